"""The GitLab simulator as its own process, shared by the tests of one session."""

from __future__ import annotations

import atexit
import functools
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]

# The data the tests compare against: 60 days ending on a fixed date, so runs are
# reproducible whatever today is.
SEED = 7
DATA_END = "2026-10-31"
DATA_DAYS = 60
EVENTS_PER_DAY = 400
ADMIN_TOKEN = "glpat-sim-admin"
OWNER_TOKEN = "glpat-sim-owner"


@dataclass
class SimulatorProcess:
    """A running ``python -m simulator`` and its control API."""

    process: subprocess.Popen[str]
    url: str

    def control(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        response = requests.request(method, f"{self.url}/-/simulator/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()

    def truth(
        self, scope_type: str, scope_path: str, start: str, end: str, kind: str = "all"
    ) -> list[dict[str, t.Any]]:
        params = {
            "scope_type": scope_type,
            "scope_path": scope_path,
            "start": start,
            "end": end,
            "kind": kind,
        }
        return t.cast(
            "list[dict[str, t.Any]]", self.control("GET", "truth", params=params)["events"]
        )

    def settings(self, **values: t.Any) -> None:
        self.control("POST", "settings", json=values)

    def add_events(self, events: list[dict[str, t.Any]]) -> int:
        return int(self.control("POST", "events", json={"events": events})["added"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_simulator(*extra_args: str) -> SimulatorProcess:
    """Start a simulator on a free loopback port and wait for its URL line."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--seed",
            str(SEED),
            "--end-date",
            DATA_END,
            "--days",
            str(DATA_DAYS),
            "--events-per-day",
            str(EVENTS_PER_DAY),
            *extra_args,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("GITLAB_SIMULATOR_URL="):
        process.kill()
        msg = f"the simulator did not start: {line!r}"
        raise RuntimeError(msg)
    simulator = SimulatorProcess(process=process, url=line.split("=", 1)[1])
    atexit.register(simulator.stop)
    return simulator


@functools.cache
def shared_simulator() -> SimulatorProcess:
    """One simulator for the whole session (the SDK test classes need it at import)."""
    return start_simulator()
