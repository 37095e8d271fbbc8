"""The simulated GitLab a benchmark runs against: data sizing, start, control, stop."""

from __future__ import annotations

import datetime as dt
import sys
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks import measure

REPO = Path(__file__).resolve().parents[1]
GROUP = "acme-corp"
ADMIN_TOKEN = "glpat-sim-admin"  # noqa: S105 (the simulator's documented admin token)
# Share of the simulator's generated events that lie inside group acme-corp (the rest
# are globex's and namespace-less ones): about 0.92 on working days and weekends alike.
# Only used to size the data; the real count is measured and reported.
GROUP_SHARE = 0.92
START_TIMEOUT_S = 60
CONTROL_TIMEOUT_S = 300


@dataclass(frozen=True)
class DataSize:
    """`days` UTC days of generated events ending on `end_date` (inclusive)."""

    days: int
    events_per_day: int
    end_date: dt.date

    @classmethod
    def for_group_events(cls, events: int, days: int, end_date: dt.date) -> DataSize:
        """About `events` events of group acme-corp over `days` days."""
        per_day = max(1, round(events / days / GROUP_SHARE))
        return cls(days=days, events_per_day=per_day, end_date=end_date)

    @classmethod
    def for_group_events_over_days(
        cls, events: int, events_per_day: int, end_date: dt.date
    ) -> DataSize:
        """About `events` events of group acme-corp, `events_per_day` a day: more days."""
        days = max(1, round(events / (events_per_day * GROUP_SHARE)))
        return cls(days=days, events_per_day=events_per_day, end_date=end_date)

    @property
    def first_date(self) -> dt.date:
        return self.end_date - dt.timedelta(days=self.days - 1)

    @property
    def empty_date(self) -> dt.date:
        """A day without data: the day after the last one."""
        return self.end_date + dt.timedelta(days=1)


def default_end_date() -> dt.date:
    """The data ends a few days ago, so every day of it (and the empty day after) is
    complete and in the past for the tap, whatever the date is."""
    return dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=3)


class Simulator:
    """A `python -m simulator` process and its control API."""

    def __init__(self, size: DataSize, *, seed: int, latency_ms: int, log: Path) -> None:
        self.size = size
        self.log = log
        argv = [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--end-date",
            size.end_date.isoformat(),
            "--days",
            str(size.days),
            "--events-per-day",
            str(size.events_per_day),
            "--latency-ms",
            str(latency_ms),
            # A self-managed instance on PostgreSQL: events page on a unique key, so the
            # tap and the plain client make the same requests. (On ClickHouse the tap also
            # reads again the users a full page ends on; tests/test_ties.py counts that.)
            "--no-clickhouse",
        ]
        self._stdout = log.with_suffix(".stdout")
        self.process = measure.start(argv, cwd=REPO, stdout=self._stdout, stderr=log)
        try:
            self.url = self._wait_for_url()
        except BaseException:
            self.stop()
            raise

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            lines = self._stdout.read_text().splitlines()
            if lines and lines[0].startswith("GITLAB_SIMULATOR_URL="):
                return lines[0].split("=", 1)[1].strip()
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        msg = f"the simulator did not start:\n{measure.tail(self.log)}"
        raise measure.RunError(msg)

    def control(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        response = requests.request(
            method, f"{self.url}/-/simulator/{path}", timeout=CONTROL_TIMEOUT_S, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, t.Any]:
        return t.cast("dict[str, t.Any]", self.control("GET", "stats"))

    def reset_stats(self) -> None:
        self.control("POST", "stats/reset")

    def count_group_events(self, first: dt.date, last: dt.date) -> int:
        """Events of group acme-corp dated first..last (the simulator's ground truth).

        Asking for them also generates every day, so no measured run pays for that.
        """
        params = {
            "scope_type": "group",
            "scope_path": GROUP,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "kind": "all",
        }
        return len(self.control("GET", "truth", params=params)["events"])

    def stop(self) -> None:
        measure.stop(self.process)

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
