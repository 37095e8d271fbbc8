"""Figures of a benchmark run: the derived values, the printed tables and the JSON file."""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Measurement

Row = dict[str, t.Any]


@dataclass(frozen=True)
class Target:
    """A ratio and what it must satisfy: `value >= limit` (at_least) or `value <= limit`."""

    name: str
    value: float | None
    limit: float
    at_least: bool

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def as_json(self) -> Row:
        return {
            "name": self.name,
            "value": _round(self.value, 3),
            "target": f"{'>=' if self.at_least else '<='} {self.limit:g}",
            "pass": self.passed,
        }


def run_row(
    name: str,
    measurement: Measurement,
    records: int,
    stats: dict[str, t.Any],
    baseline: Row | None = None,
    **extra: t.Any,
) -> Row:
    """One run's figures; with `baseline` (a startup run) also CPU net of start-up."""
    row: Row = {
        "name": name,
        **extra,
        "wall_s": round(measurement.wall_s, 3),
        "records": records,
        "records_per_s": round(records / measurement.wall_s, 1) if records else 0.0,
        "requests": stats.get("graphql_requests"),
        "max_in_flight": stats.get("max_in_flight"),
        "cpu_s": round(measurement.cpu_s, 3),
        "user_s": round(measurement.user_s, 3),
        "sys_s": round(measurement.sys_s, 3),
        "cpu_s_per_100k": _per_100k(measurement.cpu_s, records),
        "peak_rss_mb": round(measurement.peak_rss_mb, 1),
    }
    if baseline is not None:
        row["baseline"] = baseline["name"]
        row["cpu_s_net"] = round(measurement.cpu_s - baseline["cpu_s"], 3)
        row["cpu_s_per_100k_net"] = _per_100k(measurement.cpu_s - baseline["cpu_s"], records)
    return row


def bound_s(
    pages: int,
    longest_day_pages: int,
    latency_s: float,
    concurrency: int,
    rate_limit_per_minute: float = 0,
) -> dict[str, float]:
    """The least wall time any client could need (DESIGN, "Speed"), and its parts."""
    parts = {
        "pages_x_latency_over_concurrency": pages * latency_s / concurrency,
        "longest_day_chain_x_latency": longest_day_pages * latency_s,
        "pages_over_rate_limit": pages / (rate_limit_per_minute / 60)
        if rate_limit_per_minute
        else 0.0,
    }
    return {"bound_s": round(max(parts.values()), 3), **{k: round(v, 3) for k, v in parts.items()}}


def in_order_schedule_s(pages_per_day: list[int], page_s: float, concurrency: int) -> float:
    """Wall time of the tap's window schedule if every page took `page_s`.

    Days are read `concurrency` at once, each day's pages one after another, and a new
    day starts only when the oldest one is emitted (days are emitted in order), so a
    long day holds back the days after it. Start-up is not included.
    """
    emitted: list[float] = []
    for index, pages in enumerate(pages_per_day):
        start = emitted[index - concurrency] if index >= concurrency else 0.0
        finished = start + pages * page_s
        emitted.append(max(finished, emitted[-1]) if emitted else finished)
    return emitted[-1] if emitted else 0.0


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _per_100k(cpu_s: float, records: int) -> float | None:
    return round(cpu_s / records * 100_000, 2) if records else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --- printing -------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Left-aligned first column, right-aligned figures."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for index, cells in enumerate([headers, *rows]):
        parts = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def fmt(value: t.Any, digits: int = 2) -> str:
    """A figure for the table: thousands separators, fixed decimals, '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def throughput_table(runs: list[Row]) -> str:
    headers = [
        "run",
        "wall s",
        "records",
        "records/s",
        "requests",
        "max in flight",
        "CPU s",
        "CPU s/100k",
        "net CPU s/100k",
        "peak RSS MB",
        "bound s",
        "wall/bound",
    ]
    rows = [
        [
            run["label"],
            fmt(run["wall_s"]),
            fmt(run["records"]),
            fmt(run["records_per_s"], 0),
            fmt(run["requests"]),
            fmt(run["max_in_flight"]),
            fmt(run["cpu_s"]),
            fmt(run["cpu_s_per_100k"]),
            fmt(run.get("cpu_s_per_100k_net")),
            fmt(run["peak_rss_mb"], 1),
            fmt(run.get("bound_s")),
            _times(run.get("wall_over_bound")),
        ]
        for run in runs
    ]
    return table(headers, rows)


def targets_table(targets: list[Target]) -> str:
    rows = [
        [
            target.name,
            _times(target.value),
            f"{'>=' if target.at_least else '<='} {target.limit:g}x",
            {True: "PASS", False: "MISS", None: "n/a"}[target.passed],
        ]
        for target in targets
    ]
    return table(["target", "value", "wanted", "result"], rows)


def rss_table(runs: list[Row]) -> str:
    headers = [
        "events asked",
        "days",
        "events/day",
        "records",
        "wall s",
        "records/s",
        "requests",
        "CPU s",
        "CPU s/100k",
        "peak RSS MB",
    ]
    rows = [
        [
            fmt(run["target_events"]),
            fmt(run["days"]),
            fmt(run["events_per_day_setting"]),
            fmt(run["records"]),
            fmt(run["wall_s"]),
            fmt(run["records_per_s"], 0),
            fmt(run["requests"]),
            fmt(run["cpu_s"]),
            fmt(run["cpu_s_per_100k"]),
            fmt(run["peak_rss_mb"], 1),
        ]
        for run in runs
    ]
    return table(headers, rows)


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def write_json(path: Path, result: Row) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
