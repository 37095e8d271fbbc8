"""`python -m benchmarks`: the tap against a plain sequential client, in one run.

1. Throughput at latency: the tap (default `concurrency`, plus any `--concurrency`)
   and the plain client over the same ~`--events` events of group acme-corp, each with
   a start-up baseline (an empty day), against the bound of DESIGN "Speed".
2. Peak RSS of the tap at two data sizes (latency 0).
3. `meltano run tap-gitlab-duo target-postgres` into an embedded PostgreSQL.

Prints tables and PASS/MISS per target and writes the figures to
artifacts/benchmark.json. Exit status: 0 when everything ran, whether targets were met
or not; 1 on errors; 130 when interrupted. Everything started is stopped on the way out.
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
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from types import FrameType

import requests

from benchmarks import e2e, measure, report, rss, throughput
from benchmarks.report import Row
from benchmarks.scenario import REPO
from benchmarks.session import Session, elapsed, out

DEFAULTS = {"latency_ms": 40, "events": 30_000, "rss_events": [100_000, 1_000_000]}
QUICK = {"latency_ms": 10, "events": 3_000, "rss_events": [5_000, 20_000]}
ERRORS = (measure.RunError, requests.RequestException, OSError, ValueError, KeyError)
PARAMETERS = (
    "quick",
    "latency_ms",
    "events",
    "days",
    "seed",
    "concurrency",
    "rss_events",
    "rss_scale",
    "skip_rss",
    "skip_e2e",
)


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
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--latency-ms", type=int, help="simulated GitLab latency (40; quick: 10)")
    add("--events", type=int, help="events of group acme-corp to read (30000; quick: 3000)")
    add("--days", type=int, default=20, help="days the events span (20)")
    add("--seed", type=int, default=42, help="the simulator's seed (42)")
    add(
        "--concurrency",
        type=int_list,
        default=[],
        metavar="N[,N...]",
        help="also run the tap with these concurrency values, e.g. 1,8",
    )
    add(
        "--rss-events",
        type=int_list,
        metavar="N,N",
        help="data sizes of the RSS runs (100000,1000000; quick: 5000,20000)",
    )
    add(
        "--rss-scale",
        choices=["both", "events-per-day", "days"],
        default="both",
        help="grow the RSS runs' data by days at the smallest size's events per day, by "
        "events per day over the same days, or both (default)",
    )
    add("--skip-rss", action="store_true", help="skip part 2, peak RSS vs data size")
    add("--skip-e2e", action="store_true", help="skip part 3, meltano run into PostgreSQL")
    add("--quick", action="store_true", help="small sizes: well under a minute")
    add(
        "--output",
        type=Path,
        default=REPO / "artifacts" / "benchmark.json",
        help="where the JSON goes (artifacts/benchmark.json)",
    )
    add(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the work files (outputs, logs) in DIR instead of a temporary directory",
    )
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.latency_ms < 0 or args.events < 1 or args.days < 1:
        parser.error("--latency-ms must be >= 0, --events and --days >= 1")
    return args


def run_benchmark(args: argparse.Namespace, workdir: Path) -> int:
    session = Session(args, workdir)
    result: Row = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks", *sys.argv[1:]]),
        "parameters": {name: getattr(args, name) for name in PARAMETERS},
        "machine": machine(),
    }
    out(
        f"tap-gitlab-duo benchmark{' (quick)' if args.quick else ''}: "
        f"{result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
        f"singer-sdk {result['machine']['singer_sdk']}"
    )
    parts: list[tuple[str, Callable[[Session], Row]]] = [("throughput", throughput.run)]
    if not args.skip_rss:
        scales = ["days", "events-per-day"] if args.rss_scale == "both" else [args.rss_scale]
        parts += [(f"rss_{scale}", functools.partial(rss.run, scale=scale)) for scale in scales]
    if not args.skip_e2e:
        parts.append(("e2e", e2e.run))
    for key, part in parts:
        try:
            result[key] = part(session)
        except ERRORS as error:
            message = f"{key}: {type(error).__name__}: {error}"
            session.errors.append(message)
            result[key] = {"error": message}
            out(f"\nERROR in {key}: {type(error).__name__}: {error}")
        finally:
            measure.stop_all()

    result["targets"] = [target.as_json() for target in session.targets]
    result["errors"] = session.errors
    result["total_seconds"] = round(elapsed(), 1)
    out("\nTargets")
    out()
    out(report.targets_table(session.targets))
    for message in session.errors:
        out(f"ERROR: {message}")
    report.write_json(args.output, result)
    out(f"\nTotal {elapsed():.1f} s. Figures written to {shown(args.output)}.")
    return 1 if session.errors else 0


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


def shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd()))
    return str(path)


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: everything started gets stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with contextlib.ExitStack() as stack:
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                workdir = args.keep.resolve()
            else:
                temporary = tempfile.TemporaryDirectory(prefix="tap-gitlab-duo-benchmark-")
                workdir = Path(stack.enter_context(temporary))
            stack.callback(measure.stop_all)  # before the work directory goes
            return run_benchmark(args, workdir)
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        return 130
    finally:
        measure.stop_all()


if __name__ == "__main__":
    sys.exit(main())
