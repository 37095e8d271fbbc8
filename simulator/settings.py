"""Runtime settings: knobs that tests turn while the simulator runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from simulator.faults import FaultError, FaultSchedule, fault_schedule

EndDateMode = Literal["exclusive", "inclusive"]
END_DATE_MODES: tuple[EndDateMode, ...] = ("exclusive", "inclusive")


class SettingsError(ValueError):
    """A settings change that names an unknown knob or an invalid value."""


def _end_date_mode(value: object) -> EndDateMode:
    for mode in END_DATE_MODES:
        if value == mode:
            return mode
    raise SettingsError(f"end_date_mode must be one of {', '.join(END_DATE_MODES)}")


def _clickhouse(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise SettingsError("clickhouse must be true or false")


def _int_in(name: str, minimum: int, maximum: int) -> Callable[[object], object]:
    def check(value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
            raise SettingsError(f"{name} must be an integer from {minimum} to {maximum}")
        return value

    return check


def _faults(value: object) -> FaultSchedule:
    try:
        return fault_schedule(value)
    except FaultError as error:
        raise SettingsError(f"faults: {error}") from error


@dataclass
class RuntimeSettings:
    """Current knob values.

    `end_date_mode` is how an explicit `endDate` is compared. `exclusive` is what GitLab's
    code does (the Date becomes midnight at the start of that day, compared with `<=`, so
    only events at exactly 00:00:00.000 of the end date are included); `inclusive` covers
    the whole end date.

    `clickhouse` is whether the analytics ClickHouse database is available. Without it GitLab
    answers `aiMetrics` with null and `aiUserMetrics` with no nodes, both without an error;
    raw events are still served (from PostgreSQL).

    `latency_ms` delays every `/api/graphql` response, plus a random `0..latency_jitter_ms`.

    `rate_limit_per_minute` (0: off) turns on GitLab's request throttle: at most
    `rate_limit_per_minute * rate_limit_period_seconds / 60` (rounded up) GraphQL requests in
    any `rate_limit_period_seconds`; beyond that, 429 (`rate_limiter`).

    `faults` are the injected faults (`faults`); setting them replaces the list and starts
    every trigger afresh, `[]` clears them. Read back as JSON objects.

    Add a knob by adding a field and its validator to `_VALIDATORS`.
    """

    end_date_mode: EndDateMode = "exclusive"
    clickhouse: bool = True
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    rate_limit_per_minute: int = 0
    rate_limit_period_seconds: int = 60
    faults: FaultSchedule = field(default_factory=FaultSchedule)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply all changes, or none of them when one is invalid."""
        unknown = sorted(set(changes) - set(_VALIDATORS))
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        validated = {name: _VALIDATORS[name](value) for name, value in changes.items()}
        with self._lock:
            for name, value in validated.items():
                setattr(self, name, value)

    def as_dict(self) -> dict[str, object]:
        """The values as JSON: what `update` accepts back."""
        with self._lock:
            values = {name: getattr(self, name) for name in _VALIDATORS}
            faults = self.faults
        values["faults"] = faults.as_json()
        return values


_VALIDATORS: dict[str, Callable[[object], object]] = {
    "end_date_mode": _end_date_mode,
    "clickhouse": _clickhouse,
    "latency_ms": _int_in("latency_ms", 0, 600_000),
    "latency_jitter_ms": _int_in("latency_jitter_ms", 0, 600_000),
    "rate_limit_per_minute": _int_in("rate_limit_per_minute", 0, 1_000_000),
    "rate_limit_period_seconds": _int_in("rate_limit_period_seconds", 1, 3600),
    "faults": _faults,
}
