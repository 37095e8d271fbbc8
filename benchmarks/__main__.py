"""`python -m benchmarks`: the tap against a plain sequential client, in one run.

1. Throughput at latency: the tap (default `concurrency`, plus any `--concurrency`)
   and the plain client over the same ~`--events` events, each with a start-up
   baseline (an empty day), against the bound of DESIGN "Speed".
2. Peak RSS of the tap at two data sizes (latency 0).
3. `meltano run tap-gitlab-duo target-postgres` into an embedded PostgreSQL.

Prints tables and PASS/MISS per target, writes the figures to artifacts/benchmark.json.
Exit status: 0 when everything ran (targets missed or not), 1 on errors, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import os
import platform
import signal
import sys
import tempfile
import time
import typing as t
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from types import FrameType

import requests

from benchmarks import measure, programs, report
from benchmarks.report import Row, Target
from benchmarks.scenario import REPO, DataSize, Simulator, default_end_date

DEFAULTS = {"latency_ms": 40, "events": 30_000, "rss_events": [100_000, 1_000_000]}
QUICK = {"latency_ms": 10, "events": 3_000, "rss_events": [5_000, 20_000]}
SPEED_UP_TARGET = 3.0
BOUND_TARGET = 1.3
CPU_TARGET = 2.0
RSS_TARGET = 1.2
ERRORS: tuple[type[Exception], ...] = (
    measure.RunError,
    requests.RequestException,
    OSError,
    ValueError,
    KeyError,
)

_started = time.perf_counter()


def note(message: str) -> None:
    """Progress, on stderr (the figures go to stdout)."""
    print(f"[{time.perf_counter() - _started:6.1f} s] {message}", file=sys.stderr, flush=True)


def out(text: str = "") -> None:
    print(text, flush=True)


def int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"need positive integers: {text!r}")
    return values


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--latency-ms", type=int, help="simulated GitLab latency (40; quick 10)")
    parser.add_argument(
        "--events", type=int, help="events of group acme-corp to read (30000; quick 3000)"
    )
    parser.add_argument("--days", type=int, default=20, help="days the events span (20)")
    parser.add_argument("--seed", type=int, default=42, help="the simulator's seed (42)")
    parser.add_argument(
        "--concurrency",
        type=int_list,
        default=[],
        help="also run the tap with these concurrency values, e.g. 1,8",
    )
    parser.add_argument(
        "--rss-events",
        type=int_list,
        help="data sizes of the RSS runs (100000,1000000; quick 5000,20000)",
    )
    parser.add_argument("--skip-rss", action="store_true", help="skip peak RSS vs data size")
    parser.add_argument("--skip-e2e", action="store_true", help="skip meltano run into PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="small sizes, well under a minute")
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "artifacts" / "benchmark.json",
        help="where the JSON goes (artifacts/benchmark.json)",
    )
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the work files (outputs, logs) in DIR"
    )
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.latency_ms < 0 or args.events < 1 or args.days < 1:
        parser.error("--latency-ms must be >= 0, --events and --days >= 1")
    return args


class Benchmark:
    """One benchmark run: its parameters, work directory, results and errors."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.end_date = default_end_date()
        self.errors: list[str] = []
        self.targets: list[Target] = []
        self.result: Row = {
            "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
            "parameters": {
                key: getattr(args, key)
                for key in (
                    "quick",
                    "latency_ms",
                    "events",
                    "days",
                    "seed",
                    "concurrency",
                    "rss_events",
                    "skip_rss",
                    "skip_e2e",
                )
            },
            "machine": machine(),
        }
        self._catalog: Path | None = None

    def section(self, key: str, step: Callable[[], Row]) -> None:
        """Run one part; an error is recorded and reported, and the next part runs."""
        try:
            self.result[key] = step()
        except ERRORS as error:
            message = f"{key}: {type(error).__name__}: {error}"
            self.errors.append(message)
            self.result[key] = {"error": message}
            out(f"\nERROR in {key}:\n{error}")
        finally:
            measure.stop_all()

    def simulator(self, name: str, size: DataSize, latency_ms: int) -> Simulator:
        note(
            f"starting the simulator ({size.days} days x {size.events_per_day:,} events/day, "
            f"latency {latency_ms} ms)"
        )
        return Simulator(
            size,
            seed=self.args.seed,
            latency_ms=latency_ms,
            log=self.workdir / f"simulator-{name}.log",
        )

    def catalog(self, sim: Simulator) -> Path:
        if self._catalog is None:
            self._catalog = programs.write_catalog(self.workdir, sim.url, sim.size.empty_date)
        return self._catalog

    def measured(
        self, sim: Simulator, label: str, run: Callable[[], programs.Run]
    ) -> tuple[programs.Run, dict[str, t.Any]]:
        note(f"running {label}")
        sim.reset_stats()
        finished = run()
        return finished, sim.stats()

    # --- 1. throughput --------------------------------------------------------------

    def throughput(self) -> Row:
        args = self.args
        size = DataSize.for_group_events(args.events, args.days, self.end_date)
        first, last, empty = size.first_date, size.end_date, size.empty_date
        keep = args.keep is not None
        with self.simulator("throughput", size, args.latency_ms) as sim:
            group_events = sim.count_group_events(first, last)
            catalog = self.catalog(sim)
            default_concurrency = programs.default_concurrency()
            wd = self.workdir

            def tap(
                name: str, day1: dt.date, day2: dt.date, concurrency: int | None = None
            ) -> Callable[[], programs.Run]:
                config = programs.tap_config(sim.url, day1, day2, concurrency)
                return lambda: programs.run_tap(wd, name, config, catalog, keep_output=keep)

            def plain(name: str, day1: dt.date, day2: dt.date) -> Callable[[], programs.Run]:
                return lambda: programs.run_plain(wd, name, sim.url, day1, day2, keep_output=keep)

            tap_base, tap_base_stats = self.measured(
                sim, "tap start-up (empty day)", tap("tap-startup", empty, empty)
            )
            plain_base, plain_base_stats = self.measured(
                sim, "plain client start-up (empty day)", plain("plain-startup", empty, empty)
            )
            plain_run, plain_stats = self.measured(sim, "plain client", plain("plain", first, last))
            tap_runs = [
                (
                    default_concurrency,
                    True,
                    *self.measured(
                        sim,
                        f"tap (concurrency {default_concurrency}, default)",
                        tap("tap", first, last),
                    ),
                )
            ]
            for value in args.concurrency:
                tap_runs.append(
                    (
                        value,
                        False,
                        *self.measured(
                            sim,
                            f"tap (concurrency {value})",
                            tap(f"tap-concurrency-{value}", first, last, value),
                        ),
                    )
                )

        pages = int(plain_run.details["requests"])
        pages_per_day: dict[str, int] = plain_run.details["pages_per_day"]
        longest = max(pages_per_day.values(), default=0)
        latency_s = args.latency_ms / 1000

        rows: list[Row] = []
        tap_base_row = report.run_row(
            "tap-startup",
            tap_base.measurement,
            tap_base.records,
            tap_base_stats,
            label="tap start-up (empty day)",
            program="tap",
        )
        plain_base_row = report.run_row(
            "plain-startup",
            plain_base.measurement,
            plain_base.records,
            plain_base_stats,
            label="plain client start-up (empty day)",
            program="plain",
        )
        for concurrency, is_default, run, stats in tap_runs:
            bound = report.bound_s(pages, longest, latency_s, concurrency)
            label = f"tap (concurrency {concurrency}{', default' if is_default else ''})"
            rows.append(
                report.run_row(
                    "tap" if is_default else f"tap-concurrency-{concurrency}",
                    run.measurement,
                    run.records,
                    stats,
                    tap_base_row,
                    label=label,
                    program="tap",
                    concurrency=concurrency,
                    default_concurrency=is_default,
                    bound=bound,
                    bound_s=bound["bound_s"],
                    wall_over_bound=report.ratio(run.measurement.wall_s, bound["bound_s"]),
                )
            )
        plain_row = report.run_row(
            "plain",
            plain_run.measurement,
            plain_run.records,
            plain_stats,
            plain_base_row,
            label="plain client (sequential)",
            program="plain",
            concurrency=1,
        )
        rows += [plain_row, tap_base_row, plain_base_row]

        for row in rows[:-2]:
            if row["records"] != group_events:
                self.errors.append(
                    f"{row['label']} wrote {row['records']:,} records; the "
                    f"simulator holds {group_events:,} for those days"
                )
        tap_row = rows[0]
        self.targets += [
            Target(
                "speed-up: plain wall / tap wall",
                report.ratio(plain_row["wall_s"], tap_row["wall_s"]),
                SPEED_UP_TARGET,
                True,
            ),
            Target("tap wall / bound", tap_row["wall_over_bound"], BOUND_TARGET, False),
            Target(
                "net CPU per record: tap / plain",
                report.ratio(
                    tap_row.get("cpu_s_per_100k_net"), plain_row.get("cpu_s_per_100k_net")
                ),
                CPU_TARGET,
                False,
            ),
        ]
        ms_per_request = plain_row["wall_s"] / pages * 1000 if pages else None
        result: Row = {
            "latency_ms": args.latency_ms,
            "days": size.days,
            "first_date": first.isoformat(),
            "last_date": last.isoformat(),
            "events_per_day_setting": size.events_per_day,
            "group_events": group_events,
            "pages": pages,
            "longest_day_pages": longest,
            "pages_per_day": pages_per_day,
            "plain_ms_per_request": None if ms_per_request is None else round(ms_per_request, 2),
            "runs": rows,
        }
        out(
            f"\n1. Throughput: group acme-corp, {group_events:,} events over {size.days} days "
            f"({first} .. {last}), latency {args.latency_ms} ms"
        )
        out(
            f"   data pages (plain client): {pages:,}; longest day: {longest} pages; bound at "
            f"concurrency {default_concurrency}: {tap_row['bound_s']:.2f} s = max(pages x "
            f"latency / concurrency {tap_row['bound']['pages_x_latency_over_concurrency']:.2f} s, "
            f"longest day x latency {tap_row['bound']['longest_day_chain_x_latency']:.2f} s)"
        )
        if ms_per_request is not None:
            out(
                f"   plain client: {ms_per_request:.1f} ms per request at {args.latency_ms} ms "
                "latency (the rest is server time, transport and client)"
            )
        out("   CPU and peak RSS are each process's own (wait4); net CPU subtracts start-up")
        out()
        out(report.throughput_table(rows))
        return result

    # --- 2. peak RSS ----------------------------------------------------------------

    def rss(self) -> Row:
        runs: list[Row] = []
        for events in self.args.rss_events:
            size = DataSize.for_group_events(events, self.args.days, self.end_date)
            with self.simulator(f"rss-{events}", size, 0) as sim:
                catalog = self.catalog(sim)
                config = programs.tap_config(sim.url, size.first_date, size.end_date)
                run, stats = self.measured(
                    sim,
                    f"tap over ~{events:,} events (latency 0)",
                    functools.partial(
                        programs.run_tap,
                        self.workdir,
                        f"tap-rss-{events}",
                        config,
                        catalog,
                        keep_output=False,
                    ),
                )
            runs.append(
                report.run_row(
                    f"tap-rss-{events}",
                    run.measurement,
                    run.records,
                    stats,
                    target_events=events,
                    events_per_day_setting=size.events_per_day,
                )
            )
        value = None
        if len(runs) >= 2:
            value = report.ratio(runs[-1]["peak_rss_mb"], runs[0]["peak_rss_mb"])
            name = f"peak RSS {runs[-1]['target_events']:,} / {runs[0]['target_events']:,} events"
            self.targets.append(Target(name, value, RSS_TARGET, False))
        out("\n2. Peak RSS of the tap vs data size (latency 0, same days, more events per day)")
        out()
        out(report.rss_table(runs))
        if value is not None:
            out(f"\n   largest / smallest: {value:.2f}x (target: within 20%, <= {RSS_TARGET}x)")
        return {"latency_ms": 0, "runs": runs, "ratio": None if value is None else round(value, 3)}

    # --- 3. end to end --------------------------------------------------------------

    def e2e(self) -> Row:
        from benchmarks.e2e import run_e2e

        args = self.args
        size = DataSize.for_group_events(args.events, args.days, self.end_date)
        with self.simulator("e2e", size, args.latency_ms) as sim:
            expected = sim.count_group_events(size.first_date, size.end_date)
            note(
                "running meltano run tap-gitlab-duo target-postgres (meltano install first "
                "if needed)"
            )
            figures = run_e2e(self.workdir / "e2e", sim.url, size.first_date, size.end_date)
        if figures["rows_loaded"] != expected:
            self.errors.append(
                f"meltano run loaded {figures['rows_loaded']:,} rows; the "
                f"simulator holds {expected:,}"
            )
        out(
            f"\n3. End to end: meltano run tap-gitlab-duo target-postgres (latency "
            f"{args.latency_ms} ms)"
        )
        out()
        out(
            report.table(
                ["rows loaded", "wall s", "rows/s", "CPU s (all processes)", "meltano install s"],
                [
                    [
                        report.fmt(figures["rows_loaded"]),
                        report.fmt(figures["wall_s"]),
                        report.fmt(figures["rows_per_s"], 0),
                        report.fmt(figures["cpu_s"]),
                        report.fmt(figures["install_s"]) + " (not counted)",
                    ]
                ],
            )
        )
        return {"latency_ms": args.latency_ms, "records_expected": expected, **figures}

    # --- all ------------------------------------------------------------------------

    def run(self) -> int:
        args = self.args
        out(
            f"tap-gitlab-duo benchmark: {self.result['machine']['cpus']} CPUs, Python "
            f"{platform.python_version()}, singer-sdk {self.result['machine']['singer_sdk']}"
            f"{' (quick)' if args.quick else ''}"
        )
        self.section("throughput", self.throughput)
        if not args.skip_rss:
            self.section("rss", self.rss)
        if not args.skip_e2e:
            self.section("e2e", self.e2e)
        total = time.perf_counter() - _started
        self.result["targets"] = [target.as_json() for target in self.targets]
        self.result["errors"] = self.errors
        self.result["total_seconds"] = round(total, 1)
        out("\nTargets")
        out()
        out(report.targets_table(self.targets))
        for error in self.errors:
            out(f"ERROR: {error}")
        report.write_json(args.output, self.result)
        out(f"\nTotal {total:.1f} s. Figures written to {display(args.output)}")
        return 1 if self.errors else 0


def machine() -> Row:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "singer_sdk": version("singer-sdk"),
        "tap_gitlab_duo": version("tap-gitlab-duo"),
    }


def display(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd()))
    return str(path)


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so that everything started is stopped on the way out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with contextlib.ExitStack() as stack:
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                workdir = args.keep.resolve()
            else:
                workdir = Path(
                    stack.enter_context(
                        tempfile.TemporaryDirectory(prefix="tap-gitlab-duo-benchmark-")
                    )
                )
            stack.callback(measure.stop_all)  # before the work directory goes
            return Benchmark(args, workdir).run()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping everything started", file=sys.stderr)
        return 130
    finally:
        measure.stop_all()


if __name__ == "__main__":
    sys.exit(main())
