"""`python -m simulator`: run the GitLab simulator until SIGTERM or SIGINT.

The first line on stdout is `GITLAB_SIMULATOR_URL=http://<host>:<port>`, so a parent process
can start it on port 0 and read where it listens; a summary goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from types import FrameType

from simulator.app import Simulator
from simulator.auth import ADMIN_TOKEN, GUEST_TOKEN, OUTSIDER_TOKEN, OWNER_TOKEN, REPORTER_TOKEN
from simulator.config import SimulatorConfig
from simulator.faults import Fault, FaultError, parse_fault_spec
from simulator.settings import END_DATE_MODES, EVENT_BACKENDS, SCHEMA_VERSIONS
from simulator.timeutil import utc_now


def _fault(spec: str) -> Fault:
    try:
        return parse_fault_spec(spec)
    except FaultError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _parse_args(argv: Sequence[str] | None) -> SimulatorConfig:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A local GitLab GraphQL API serving simulated GitLab Duo usage events.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--seed", type=int, default=42, help="seed of the generated data")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day with events, YYYY-MM-DD (default: today, UTC)",
    )
    parser.add_argument("--days", type=int, default=45, help="number of days with events")
    parser.add_argument(
        "--events-per-day", type=int, default=1500, help="average number of events per day"
    )
    parser.add_argument(
        "--end-date-mode",
        choices=END_DATE_MODES,
        default="exclusive",
        help="how an explicit endDate is compared (GitLab's code: exclusive)",
    )
    parser.add_argument(
        "--no-clickhouse",
        dest="clickhouse",
        action="store_false",
        help="run without ClickHouse: aiMetrics is null and aiUserMetrics empty, silently",
    )
    parser.add_argument(
        "--event-backend",
        choices=EVENT_BACKENDS,
        default="postgresql",
        help="where raw events come from: postgresql (every row, unique cursors) or "
        "clickhouse (identical rows collapsed, (timestamp, user_id) cursors that skip ties)",
    )
    parser.add_argument(
        "--schema-version",
        choices=SCHEMA_VERSIONS,
        default="current",
        help="the GitLab version whose schema is served (see README)",
    )
    parser.add_argument(
        "--retention-months",
        type=int,
        default=0,
        help="PostgreSQL backend: hide raw events before the first day of the month this "
        "many months before today, as GitLab's partitions (default 0: keep everything)",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="freeze the simulator's clock on this day, YYYY-MM-DD (date defaults and the "
        "retention follow it; default: the real date)",
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="delay every GraphQL response by this much"
    )
    parser.add_argument(
        "--latency-jitter-ms", type=int, default=0, help="plus a random delay up to this much"
    )
    parser.add_argument(
        "--rate-limit-per-minute",
        type=int,
        default=0,
        help="throttle GraphQL requests as GitLab does, with 429 (default 0: off)",
    )
    parser.add_argument(
        "--rate-limit-period-seconds",
        type=int,
        default=60,
        help="the throttle's window; it admits per-minute x period / 60 requests",
    )
    parser.add_argument(
        "--fault",
        dest="faults",
        type=_fault,
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. rate_limit:count=3,retry_after=2 (repeatable; see README)",
    )
    args = parser.parse_args(argv)
    clock: Callable[[], datetime] = utc_now
    if args.today is not None:
        noon = datetime(args.today.year, args.today.month, args.today.day, 12, tzinfo=timezone.utc)
        clock = lambda: noon  # noqa: E731
    try:
        return SimulatorConfig(
            host=args.host,
            port=args.port,
            seed=args.seed,
            end_date=args.end_date,
            days=args.days,
            events_per_day=args.events_per_day,
            end_date_mode=args.end_date_mode,
            clickhouse=args.clickhouse,
            event_backend=args.event_backend,
            schema_version=args.schema_version,
            retention_months=args.retention_months,
            latency_ms=args.latency_ms,
            latency_jitter_ms=args.latency_jitter_ms,
            rate_limit_per_minute=args.rate_limit_per_minute,
            rate_limit_period_seconds=args.rate_limit_period_seconds,
            faults=tuple(args.faults),
            clock=clock,
        )
    except ValueError as error:
        parser.error(str(error))


def _knobs_line(simulator: Simulator) -> str:
    """The latency, throttle and faults in force at start, if any."""
    settings = simulator.settings
    knobs = []
    if settings.latency_ms or settings.latency_jitter_ms:
        knobs.append(f"latency {settings.latency_ms}+{settings.latency_jitter_ms} ms")
    if settings.rate_limit_per_minute:
        knobs.append(
            f"rate limit {settings.rate_limit_per_minute}/min "
            f"(window {settings.rate_limit_period_seconds} s)"
        )
    knobs += [f"fault {json.dumps(fault)}" for fault in settings.faults.as_json()]
    return f"  {'; '.join(knobs)}\n" if knobs else ""


def _retention_text(simulator: Simulator) -> str:
    months = simulator.settings.retention_months
    return f", retention {months} months" if months else ""


def main(argv: Sequence[str] | None = None) -> int:
    simulator = Simulator(_parse_args(argv))
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    simulator.start()
    print(f"GITLAB_SIMULATOR_URL={simulator.url}", flush=True)
    spec = simulator.dataset.spec
    print(
        f"GitLab simulator on {simulator.url} (POST {simulator.graphql_url})\n"
        f"  data: seed {spec.seed}, {spec.days} days {spec.first_date}..{spec.end_date}, "
        f"~{spec.events_per_day} events/day, end-date mode {simulator.settings.end_date_mode}, "
        f"ClickHouse {'on' if simulator.settings.clickhouse else 'off'}, "
        f"events from {simulator.settings.event_backend}, "
        f"schema {simulator.settings.schema_version}, today {simulator.today}"
        f"{_retention_text(simulator)}\n"
        f"  groups: {', '.join(n.full_path for n in simulator.org.namespaces if n.kind == 'group')}"
        f"; {sum(n.kind == 'project' for n in simulator.org.namespaces)} projects; "
        f"{len(simulator.org.users)} users\n"
        f"  tokens: {ADMIN_TOKEN} (admin), {OWNER_TOKEN}, {REPORTER_TOKEN}, {GUEST_TOKEN}, "
        f"{OUTSIDER_TOKEN}\n"
        f"{_knobs_line(simulator)}"
        f"  control: {simulator.url}/-/simulator/{{health,info,truth,stats,settings,events,seats}}",
        file=sys.stderr,
        flush=True,
    )
    # Wake up now and then: signal handlers run in the main thread between waits.
    while not stop.wait(0.5):
        pass
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
