"""The two programs measured: the tap and the plain client, each run as its own process."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

from benchmarks import measure
from benchmarks.scenario import ADMIN_TOKEN, GROUP, REPO

STREAM = "ai_usage_events"
TAP = REPO / ".venv" / "bin" / "tap-gitlab-duo"
RECORD_PREFIXES = (b'{"type":"RECORD"', b'{"type": "RECORD"')


@dataclass(frozen=True)
class Run:
    """A finished run: its measurement and the records it wrote."""

    measurement: measure.Measurement
    records: int
    details: dict[str, t.Any]


def tap_executable() -> Path:
    """The venv's `tap-gitlab-duo`, else the one next to this Python."""
    if TAP.is_file():
        return TAP
    return Path(sys.executable).parent / "tap-gitlab-duo"


def tap_config(
    url: str, first: dt.date, last: dt.date, concurrency: int | None = None
) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_url": url,
        "token": ADMIN_TOKEN,
        "group_paths": [GROUP],
        "start_date": f"{first.isoformat()}T00:00:00Z",
        "end_date": f"{last.isoformat()}T00:00:00Z",
    }
    if concurrency is not None:
        config["concurrency"] = concurrency
    return config


def default_concurrency() -> int:
    """The tap's own default for `concurrency`, read from `--about`."""
    about = subprocess.run(
        [str(tap_executable()), "--about", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(json.loads(about.stdout)["settings"]["properties"]["concurrency"]["default"])


def write_catalog(workdir: Path, url: str, day: dt.date) -> Path:
    """`--discover` output with only `ai_usage_events` selected."""
    config = _write_json(workdir / "discover-config.json", tap_config(url, day, day))
    discovered = subprocess.run(
        [str(tap_executable()), "--config", str(config), "--discover"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if discovered.returncode != 0:
        raise measure.RunError(f"tap --discover failed:\n{discovered.stderr[-3000:]}")
    catalog = json.loads(discovered.stdout)
    found = False
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == STREAM
                found = found or stream["tap_stream_id"] == STREAM
    if not found:
        raise measure.RunError(f"the tap's catalog has no stream {STREAM}")
    return _write_json(workdir / "catalog.json", catalog)


def run_tap(
    workdir: Path, name: str, config: dict[str, t.Any], catalog: Path, *, keep_output: bool
) -> Run:
    """The tap over `config`; counts the RECORD lines it wrote to a file."""
    config_path = _write_json(workdir / f"{name}.config.json", config)
    out = workdir / f"{name}.jsonl"
    measurement = measure.run_measured(
        [tap_executable(), "--config", config_path, "--catalog", catalog],
        cwd=REPO,
        stdout=out,
        stderr=workdir / f"{name}.stderr",
    )
    records = measure.count_lines(out, RECORD_PREFIXES)
    if not keep_output:
        out.unlink()
    return Run(measurement, records, {})


def run_plain(
    workdir: Path, name: str, url: str, first: dt.date, last: dt.date, *, keep_output: bool
) -> Run:
    """The plain client over days first..last; details has its pages per day."""
    out = workdir / f"{name}.jsonl"
    stats = workdir / f"{name}.stats.json"
    argv: list[str | Path] = [
        sys.executable,
        "-m",
        "benchmarks.plain_client",
        "--url",
        url,
        "--token",
        ADMIN_TOKEN,
        "--group",
        GROUP,
        "--start",
        first.isoformat(),
        "--end",
        last.isoformat(),
        "--stats",
        stats,
    ]
    measurement = measure.run_measured(
        argv, cwd=REPO, stdout=out, stderr=workdir / f"{name}.stderr"
    )
    records = measure.count_lines(out)
    if not keep_output:
        out.unlink()
    return Run(measurement, records, json.loads(stats.read_text()))


def _write_json(path: Path, value: t.Any) -> Path:
    path.write_text(json.dumps(value, indent=2))
    return path
