"""What the parts of one benchmark run share: parameters, work directory, findings."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import programs
from benchmarks.report import Target
from benchmarks.scenario import DataSize, Simulator, default_end_date

_STARTED = time.perf_counter()


def note(message: str) -> None:
    """Progress, on stderr (the figures go to stdout)."""
    print(f"[{elapsed():6.1f} s] {message}", file=sys.stderr, flush=True)


def out(text: str = "") -> None:
    """Figures, on stdout."""
    print(text, flush=True)


def elapsed() -> float:
    return time.perf_counter() - _STARTED


@dataclass
class Session:
    """One benchmark run: parameters, work directory, errors and targets found so far."""

    args: argparse.Namespace
    workdir: Path
    end_date: dt.date = field(default_factory=default_end_date)
    errors: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    _catalog: Path | None = None

    @property
    def keep_output(self) -> bool:
        return self.args.keep is not None

    def size(self, events: int) -> DataSize:
        """About `events` events of group acme-corp over the run's days."""
        return DataSize.for_group_events(events, self.args.days, self.end_date)

    def simulator(self, name: str, size: DataSize, latency_ms: int) -> Simulator:
        note(
            f"starting the simulator ({size.days} days x {size.events_per_day:,} events/day, "
            f"latency {latency_ms} ms)"
        )
        log = self.workdir / f"simulator-{name}.log"
        return Simulator(size, seed=self.args.seed, latency_ms=latency_ms, log=log)

    def catalog(self, sim: Simulator) -> Path:
        """The tap's catalog with only ai_usage_events selected (discovered once)."""
        if self._catalog is None:
            self._catalog = programs.write_catalog(self.workdir, sim.url, sim.size.empty_date)
        return self._catalog

    def measured(
        self, sim: Simulator, label: str, run: Callable[[], programs.Run], *, repeat: int = 1
    ) -> tuple[programs.Run, dict[str, t.Any]]:
        """Run with fresh simulator stats; with `repeat`, the run of median CPU time."""
        note(f"running {label}" + (f" ({repeat} times)" if repeat > 1 else ""))
        runs = []
        for _ in range(repeat):
            sim.reset_stats()
            finished = run()
            runs.append((finished, sim.stats()))
        median = statistics.median_low(run.measurement.cpu_s for run, _ in runs)
        return next(pair for pair in runs if pair[0].measurement.cpu_s == median)
