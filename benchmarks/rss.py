"""Part 2: peak RSS of the tap at two or more data sizes (latency 0)."""

from __future__ import annotations

import functools

from benchmarks import programs, report
from benchmarks.report import Row, Target
from benchmarks.scenario import DataSize
from benchmarks.session import Session, out

RSS_TARGET = 1.2  # the largest size's peak RSS within 20 % of the smallest's


def run(session: Session, scale: str) -> Row:
    per_day = session.size(min(session.args.rss_events)).events_per_day
    runs: list[Row] = []
    for events in session.args.rss_events:
        if scale == "days":
            size = DataSize.for_group_events_over_days(events, per_day, session.end_date)
        else:
            size = session.size(events)
        with session.simulator(f"rss-{events}", size, 0) as sim:
            catalog = session.catalog(sim)
            config = programs.tap_config(sim.url, size.first_date, size.end_date)
            tap = functools.partial(
                programs.run_tap,
                session.workdir,
                f"tap-rss-{events}",
                config,
                catalog,
                keep_output=False,
            )
            finished, stats = session.measured(sim, f"tap over ~{events:,} events (latency 0)", tap)
        runs.append(
            report.run_row(
                f"tap-rss-{events}",
                finished.measurement,
                finished.records,
                stats,
                target_events=events,
                days=size.days,
                events_per_day_setting=size.events_per_day,
            )
        )
    value = None
    if len(runs) >= 2:
        value = report.ratio(runs[-1]["peak_rss_mb"], runs[0]["peak_rss_mb"])
        grown = "more days" if scale == "days" else "more events per day"
        name = (
            f"peak RSS {runs[-1]['target_events']:,} / {runs[0]['target_events']:,} events "
            f"({grown})"
        )
        session.targets.append(Target(name, value, RSS_TARGET, False))
    how = "more days, same events per day" if scale == "days" else "same days, more events per day"
    out(f"\n2. Peak RSS of the tap vs data size (latency 0; {how})")
    out()
    out(report.rss_table(runs))
    if value is not None:
        out(f"\n   Largest / smallest: {value:.2f}x (target: within 20 %, <= {RSS_TARGET}x).")
    return {
        "latency_ms": 0,
        "scale": scale,
        "runs": runs,
        "ratio": None if value is None else round(value, 3),
    }
