"""The HTML report, rendered from the marts and opened in a real headless Chromium.

The warehouse is the one tests/test_analytics.py builds (shared per session). The report
command runs as users run it (`bash scripts/report.sh`, connection from
TARGET_POSTGRES_SQLALCHEMY_URL, schema from DBT_POSTGRES_SCHEMA). Debian's Chromium,
driven by Playwright, opens the file with the network cut off: every chart must have
drawn its SVG with data in it, and the console must stay free of errors. A screenshot of
the whole page is kept in artifacts/report.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.meltano import REPO_ROOT
from tests.test_analytics import ANALYTICS_SCHEMA, GROUP, Warehouse, shared_warehouse

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
# Debian's packages; DejaVu so that text renders on a machine without any font.
CHROMIUM_PACKAGES = ["chromium", "fonts-dejavu-core"]
APT_TIMEOUT_S = 900
SCREENSHOT = REPO_ROOT / "artifacts" / "report.png"
EXPECTED_CHARTS = 10


@pytest.fixture(scope="session")
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    return shared_warehouse(request)


def install_chromium() -> None:
    """`apt-get install chromium` unless it is there (as root, or with password-less sudo)."""
    if CHROMIUM.is_file():
        return
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.fail(f"{CHROMIUM} is missing and there is no apt-get to install it", pytrace=False)
    sudo: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            pytest.fail(f"{CHROMIUM} is missing: run `apt-get install chromium` as root",
                        pytrace=False)  # fmt: skip
        sudo = ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    started = time.monotonic()
    for command in (
        [*sudo, apt, "update", "-qq"],
        [*sudo, apt, "install", "-y", "-qq", "--no-install-recommends", *CHROMIUM_PACKAGES],
    ):
        result = subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=APT_TIMEOUT_S, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed (exit {result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}",
                pytrace=False,
            )
    if not CHROMIUM.is_file():
        pytest.fail(f"apt-get installed {CHROMIUM_PACKAGES} but {CHROMIUM} is missing",
                    pytrace=False)  # fmt: skip
    print(f"installed {' '.join(CHROMIUM_PACKAGES)} in {time.monotonic() - started:.0f} s")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    install_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def run_report(warehouse: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    """`bash scripts/report.sh ARGS` with the warehouse's connection, nothing else leaking in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TARGET_POSTGRES_", "DBT_", "MELTANO_"))}  # fmt: skip
    env["TARGET_POSTGRES_SQLALCHEMY_URL"] = warehouse.postgres.sqlalchemy_url
    env["DBT_POSTGRES_SCHEMA"] = ANALYTICS_SCHEMA
    empty_env_file = warehouse.workdir / "report.env"
    empty_env_file.touch()
    return subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "report.sh"), "--env-file", str(empty_env_file),
         *args],
        cwd=warehouse.workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def report(warehouse: Warehouse) -> Path:
    output = warehouse.workdir / "report" / "gitlab-duo.html"
    result = run_report(warehouse, "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Report written to {output}" in result.stdout
    assert f"({EXPECTED_CHARTS} of {EXPECTED_CHARTS} charts; scope group {GROUP})" in result.stdout
    return output


def test_report_is_one_self_contained_file(report: Path) -> None:
    # The browser test below also cuts the network off: nothing may be fetched.
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "Plotly.newPlot" in text
    assert len(text) > 1_000_000  # plotly.js is inlined


def test_every_chart_renders_in_chromium_without_console_errors(report: Path, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []

    def console(message: Any) -> None:
        if message.type in {"error", "warning"}:
            problems.append(f"console.{message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def offline(route: Any) -> None:
        requests.append(route.request.url)
        route.abort()

    page.route("http://**/*", offline)
    page.route("https://**/*", offline)
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_function(
        """() => document.body.dataset.ready === 'true'
                 && [...document.querySelectorAll('section[data-chart] .js-plotly-plot')]
                    .every(div => div.querySelector('svg.main-svg'))""",
        timeout=60_000,
    )
    charts = page.evaluate(
        """() => [...document.querySelectorAll('section[data-chart]')].map(section => {
            const plot = section.querySelector('.js-plotly-plot');
            const svg = plot ? plot.querySelector('svg.main-svg') : null;
            const box = plot ? plot.getBoundingClientRect() : {width: 0, height: 0};
            const card = section.getBoundingClientRect();
            const drawn = svg ? svg.getBoundingClientRect() : {right: 0, bottom: 0};
            return {
                name: section.dataset.chart,
                rendered: section.dataset.rendered,
                svg: Boolean(svg),
                traces: plot ? plot.querySelectorAll('g.trace').length : 0,
                // Drawn bars, lines and markers: paths with a real outline.
                marks: plot ? [...plot.querySelectorAll('g.trace path')].filter(path => {
                    const d = path.getAttribute('d') || '';
                    return d.length > 8 && d !== 'M0,0Z';
                }).length : 0,
                width: box.width,
                height: box.height,
                // The drawing stays inside its card (no overlap with the next one).
                inside: drawn.right <= card.right + 1 && drawn.bottom <= card.bottom + 1,
            };
        })"""
    )
    declared = page.eval_on_selector("div.grid", "grid => Number(grid.dataset.charts)")
    assert declared == len(charts) == EXPECTED_CHARTS
    for chart in charts:
        assert chart["rendered"] == "true", chart
        assert chart["svg"], f"{chart['name']}: no SVG drawn"
        assert chart["traces"] > 0, f"{chart['name']}: no trace {chart}"
        assert chart["marks"] > 0, f"{chart['name']}: nothing drawn {chart}"
        assert chart["width"] > 200, chart
        assert chart["height"] > 150, chart
        assert chart["inside"], f"{chart['name']}: drawn outside its card {chart}"
    reconciliation = page.inner_text("section[data-table=reconciliation]")
    assert "raw events match GitLab" in reconciliation
    kpis = page.inner_text("div.kpis")
    assert "Active users, 28 days" in kpis
    assert "seats active" in kpis
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.close()
    assert not problems, problems
    assert not requests, f"the report tried to load {requests}"
    assert SCREENSHOT.stat().st_size > 50_000


def test_report_explains_a_missing_schema(warehouse: Warehouse) -> None:
    result = run_report(warehouse, "--schema", "no_such_schema", "--output",
                        str(warehouse.workdir / "unused.html"))  # fmt: skip
    assert result.returncode == 1
    assert "Schema 'no_such_schema' has no marts" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (warehouse.workdir / "unused.html").exists()
