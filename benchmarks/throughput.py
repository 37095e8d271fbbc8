"""Part 1: throughput at latency, the tap against the plain client and the bound."""

from __future__ import annotations

import datetime as dt
import functools
import typing as t
from pathlib import Path

from benchmarks import programs, report
from benchmarks.report import Row, Target
from benchmarks.scenario import Simulator
from benchmarks.session import Session, out

SPEED_UP_TARGET = 3.0
BOUND_TARGET = 1.3
CPU_TARGET = 2.0
BASELINE_REPEATS = 3  # start-up runs are short and noisy: the median of three


def run(session: Session) -> Row:
    args = session.args
    size = session.size(args.events)
    first, last, empty = size.first_date, size.end_date, size.empty_date
    with session.simulator("throughput", size, args.latency_ms) as sim:
        group_events = sim.count_group_events(first, last)
        catalog = session.catalog(sim)
        default = programs.default_concurrency()
        tap = functools.partial(_tap, session, sim, catalog)
        plain = functools.partial(_plain, session, sim)

        tap_base = session.measured(
            sim,
            "tap start-up (empty day)",
            tap("tap-startup", empty, empty),
            repeat=BASELINE_REPEATS,
        )
        plain_base = session.measured(
            sim,
            "plain client start-up (empty day)",
            plain("plain-startup", empty, empty),
            repeat=BASELINE_REPEATS,
        )
        plain_run = session.measured(sim, "plain client", plain("plain", first, last))
        tap_runs = []
        for value, is_default in [(default, True), *((c, False) for c in args.concurrency)]:
            name = "tap" if is_default else f"tap-concurrency-{value}"
            label = f"tap (concurrency {value}{', default' if is_default else ''})"
            # The default run leaves `concurrency` unset, so the default is what is measured.
            run_tap = tap(name, first, last, None if is_default else value)
            tap_runs.append((value, is_default, name, label, session.measured(sim, label, run_tap)))

    pages = int(plain_run[0].details["requests"])
    pages_per_day: dict[str, int] = plain_run[0].details["pages_per_day"]
    longest = max(pages_per_day.values(), default=0)
    latency_s = args.latency_ms / 1000

    tap_base_row = _row("tap-startup", "tap start-up (empty day, median of 3)", "tap", tap_base)
    plain_base_row = _row(
        "plain-startup", "plain client start-up (empty day, median of 3)", "plain", plain_base
    )
    startup_wall = tap_base_row["wall_s"]
    day_pages = [pages_per_day[day] for day in sorted(pages_per_day)]
    page_s = plain_run[0].measurement.wall_s / pages if pages else 0.0
    tap_rows = []
    for concurrency, is_default, name, label, measured in tap_runs:
        bound = report.bound_s(pages, longest, latency_s, concurrency)
        wall = measured[0].measurement.wall_s
        tap_rows.append(
            _row(
                name,
                label,
                "tap",
                measured,
                tap_base_row,
                concurrency=concurrency,
                default_concurrency=is_default,
                bound=bound,
                bound_s=bound["bound_s"],
                wall_over_bound=report.ratio(wall, bound["bound_s"]),
                wall_net_of_startup_over_bound=report.ratio(wall - startup_wall, bound["bound_s"]),
                in_order_schedule_at_latency_s=round(
                    report.in_order_schedule_s(day_pages, latency_s, concurrency), 3
                ),
                in_order_schedule_at_plain_request_time_s=round(
                    report.in_order_schedule_s(day_pages, page_s, concurrency), 3
                ),
            )
        )
    plain_row = _row(
        "plain", "plain client (sequential)", "plain", plain_run, plain_base_row, concurrency=1
    )
    rows = [*tap_rows, plain_row, tap_base_row, plain_base_row]

    for row in [*tap_rows, plain_row]:
        if row["records"] != group_events:
            session.errors.append(
                f"{row['label']} wrote {row['records']:,} records; the simulator holds "
                f"{group_events:,} for those days"
            )
    tap_row = tap_rows[0]
    session.targets += [
        Target(
            "speed-up: plain wall / tap wall",
            report.ratio(plain_row["wall_s"], tap_row["wall_s"]),
            SPEED_UP_TARGET,
            True,
        ),
        Target("tap wall / bound", tap_row["wall_over_bound"], BOUND_TARGET, False),
        Target(
            "net CPU per record: tap / plain",
            report.ratio(tap_row.get("cpu_s_per_100k_net"), plain_row.get("cpu_s_per_100k_net")),
            CPU_TARGET,
            False,
        ),
    ]
    ms_per_request = plain_row["wall_s"] / pages * 1000 if pages else None

    bound = tap_row["bound"]
    out(
        f"\n1. Throughput: group acme-corp, {group_events:,} events over {size.days} days "
        f"({first} .. {last}), latency {args.latency_ms} ms"
    )
    out(f"   Data pages (plain client's requests): {pages:,}; longest day: {longest} pages.")
    out(
        f"   Bound at concurrency {tap_row['concurrency']}: {bound['bound_s']:.2f} s = max("
        f"pages x latency / concurrency {bound['pages_x_latency_over_concurrency']:.2f} s, "
        f"longest day x latency {bound['longest_day_chain_x_latency']:.2f} s, "
        "no rate limit)."
    )
    if ms_per_request is not None:
        out(
            f"   The plain client took {ms_per_request:.1f} ms per request at {args.latency_ms} "
            "ms latency (the rest: server, transport, client)."
        )
    out("   CPU and peak RSS are each process's own (wait4); net CPU subtracts its start-up run.")
    out()
    out(report.throughput_table(rows))
    out()
    for row in tap_rows:
        if row["wall_net_of_startup_over_bound"] is None:
            continue
        out(
            f"   {row['label']}: wall minus start-up {row['wall_s'] - startup_wall:.2f} s "
            f"({row['wall_net_of_startup_over_bound']:.2f}x the bound); its in-order day "
            f"schedule takes {row['in_order_schedule_at_latency_s']:.2f} s at the latency, "
            f"{row['in_order_schedule_at_plain_request_time_s']:.2f} s at the plain client's "
            "time per request."
        )
    return {
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


def _tap(
    session: Session,
    sim: Simulator,
    catalog: Path,
    name: str,
    first: dt.date,
    last: dt.date,
    concurrency: int | None = None,
) -> t.Callable[[], programs.Run]:
    config = programs.tap_config(sim.url, first, last, concurrency)
    return functools.partial(
        programs.run_tap, session.workdir, name, config, catalog, keep_output=session.keep_output
    )


def _plain(
    session: Session, sim: Simulator, name: str, first: dt.date, last: dt.date
) -> t.Callable[[], programs.Run]:
    return functools.partial(
        programs.run_plain,
        session.workdir,
        name,
        sim.url,
        first,
        last,
        keep_output=session.keep_output,
    )


def _row(
    name: str,
    label: str,
    program: str,
    measured: tuple[programs.Run, dict[str, t.Any]],
    baseline: Row | None = None,
    **extra: t.Any,
) -> Row:
    finished, stats = measured
    return report.run_row(
        name,
        finished.measurement,
        finished.records,
        stats,
        baseline,
        label=label,
        program=program,
        **extra,
    )
