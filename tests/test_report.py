"""The HTML report, rendered from the marts and opened in a real headless Chromium.

The warehouse is the one tests/test_analytics.py builds (shared per session). The report
command runs as users run it (`bash scripts/report.sh`, connection from
TARGET_POSTGRES_SQLALCHEMY_URL, schema from DBT_POSTGRES_SCHEMA). Headless Chromium,
driven by Playwright, opens the file with the network cut off: every chart must have
drawn its SVG with data in it, and the console must stay free of errors. A screenshot of
the whole page is kept in artifacts/report.png.

The browser is Debian's Chromium (/usr/bin/chromium), installed with apt-get when it is
missing and apt-get can run as root (or with password-less sudo); otherwise Playwright's
own Chromium build (`python -m playwright install chromium`, into the user's cache, no
root needed). When neither works the test fails and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def system_chromium() -> Path | None:
    """Debian's Chromium (or another `chromium` on PATH), if installed."""
    if CHROMIUM.is_file():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def apt_prefix() -> list[str] | None:
    """How to run apt-get: `[]` as root, `["sudo", "-n"]` with password-less sudo, else None."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") is None:
        return None
    probe = subprocess.run(["sudo", "-n", "true"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30, check=False)  # fmt: skip
    return ["sudo", "-n"] if probe.returncode == 0 else None


def run_install_step(command: list[str], env: dict[str, str]) -> str | None:
    """Run one install command; None when it succeeded, else what went wrong."""
    try:
        result = subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=APT_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{' '.join(command)}` failed: {error}"
    if result.returncode != 0:
        return (
            f"`{' '.join(command)}` failed (exit {result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return None


def install_debian_chromium(prefix: list[str]) -> str | None:
    """`apt-get install chromium`; None when /usr/bin/chromium is there afterwards."""
    apt = shutil.which("apt-get") or "apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        [*prefix, apt, "update", "-qq"],
        [*prefix, apt, "install", "-y", "-qq", "--no-install-recommends", *CHROMIUM_PACKAGES],
    ):
        error = run_install_step(command, env)
        if error is not None:
            return error
    if system_chromium() is None:
        return f"apt-get installed {CHROMIUM_PACKAGES} but {CHROMIUM} is missing"
    return None


def chromium_executable() -> Path | None:
    """The Chromium to drive: a system one (Path), or Playwright's own build (None).

    Installs Debian's Chromium with apt-get when it is missing and apt-get can run as root;
    otherwise (or when that fails) downloads Playwright's Chromium. Fails the test, with
    what was tried, when neither works.
    """
    found = system_chromium()
    if found is not None:
        return found
    problems: list[str] = []
    started = time.monotonic()
    prefix = apt_prefix()
    if prefix is None:
        problems.append(
            f"{CHROMIUM} is missing and apt-get cannot install it here "
            "(needs apt-get, and root or password-less sudo)"
        )
    else:
        error = install_debian_chromium(prefix)
        found = system_chromium()
        if error is None and found is not None:
            print(f"installed {' '.join(CHROMIUM_PACKAGES)} in {time.monotonic() - started:.0f} s")
            return found
        problems.append(error or f"{CHROMIUM} is missing after apt-get")
    # Playwright's own build: downloaded into ~/.cache/ms-playwright (or
    # PLAYWRIGHT_BROWSERS_PATH); a no-op when it is there already.
    error = run_install_step([sys.executable, "-m", "playwright", "install", "chromium"],
                             dict(os.environ))  # fmt: skip
    if error is None:
        return None
    problems.append(error)
    pytest.fail(
        "no Chromium for the report test. Install Debian's (`apt-get install chromium "
        "fonts-dejavu-core` as root) or Playwright's (`python -m playwright install "
        "chromium`). Tried:\n- " + "\n- ".join(problems),
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_executable()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            if executable is None:
                browser = playwright.chromium.launch(headless=True)
            else:
                browser = playwright.chromium.launch(executable_path=str(executable),
                                                     headless=True)  # fmt: skip
        except PlaywrightError as error:
            which = executable or "Playwright's Chromium"
            hint = (
                ""
                if executable
                else "\n(missing system libraries? as root: `python -m playwright install-deps "
                "chromium`, or install Debian's chromium)"
            )
            pytest.fail(f"{which} does not start: {error}{hint}", pytrace=False)
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
