"""Runtime settings: knobs that tests turn while the simulator runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from simulator.faults import FaultError, FaultSchedule, fault_schedule

EndDateMode = Literal["exclusive", "inclusive"]
END_DATE_MODES: tuple[EndDateMode, ...] = ("exclusive", "inclusive")
EventBackend = Literal["postgresql", "clickhouse"]
EVENT_BACKENDS: tuple[EventBackend, ...] = ("postgresql", "clickhouse")
SchemaVersion = Literal["current", "18.2", "17.11"]
SCHEMA_VERSIONS: tuple[SchemaVersion, ...] = ("current", "18.2", "17.11")
MAX_RETENTION_MONTHS = 120


class SettingsError(ValueError):
    """A settings change that names an unknown knob or an invalid value."""


def _end_date_mode(value: object) -> EndDateMode:
    for mode in END_DATE_MODES:
        if value == mode:
            return mode
    raise SettingsError(f"end_date_mode must be one of {', '.join(END_DATE_MODES)}")


def _event_backend(value: object) -> EventBackend:
    for backend in EVENT_BACKENDS:
        if value == backend:
            return backend
    raise SettingsError(f"event_backend must be one of {', '.join(EVENT_BACKENDS)}")


def _schema_version(value: object) -> SchemaVersion:
    for version in SCHEMA_VERSIONS:
        if value == version:
            return version
    raise SettingsError(f"schema_version must be one of {', '.join(SCHEMA_VERSIONS)}")


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

    `event_backend` is the store GitLab's finders read raw events (`aiUsageData`) from:
    `postgresql` (the default; every row, `timestamp DESC, id DESC`, unique cursors) or
    `clickhouse` (rows equal on namespace, event, timestamp and user collapsed into one,
    `timestamp DESC, user_id DESC`, cursors on that non-unique pair: rows tied with the
    last row of a full page are skipped). Independent of `clickhouse`, which is about the
    aggregates.

    `schema_version` is the GitLab version whose schema `/api/graphql` serves: `current`
    (19.4), `18.2` or `17.11` (`schema_versions`).

    `retention_months` (0: keep everything) hides, on the `postgresql` backend, raw events
    older than GitLab's monthly partitions kept for that many months: before the first day
    of the month `retention_months` months before today.

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
    event_backend: EventBackend = "postgresql"
    schema_version: SchemaVersion = "current"
    retention_months: int = 0
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
        """The values as JSON: what `update` accepts back.

        The knobs that choose which GitLab is simulated (`event_backend`, `schema_version`,
        `retention_months`) are listed once they differ from their defaults, so a simulator
        started without them answers exactly as before they existed; `/-/simulator/info`
        always shows them under `instance`.
        """
        with self._lock:
            values = {name: getattr(self, name) for name in _VALIDATORS}
            faults = self.faults
        values["faults"] = faults.as_json()
        for name, default in _LISTED_WHEN_CHANGED.items():
            if values[name] == default:
                del values[name]
        return values

    def instance(self) -> dict[str, object]:
        """Which GitLab is simulated: event backend, schema version, retention."""
        with self._lock:
            return {name: getattr(self, name) for name in _LISTED_WHEN_CHANGED}


_VALIDATORS: dict[str, Callable[[object], object]] = {
    "end_date_mode": _end_date_mode,
    "clickhouse": _clickhouse,
    "event_backend": _event_backend,
    "schema_version": _schema_version,
    "retention_months": _int_in("retention_months", 0, MAX_RETENTION_MONTHS),
    "latency_ms": _int_in("latency_ms", 0, 600_000),
    "latency_jitter_ms": _int_in("latency_jitter_ms", 0, 600_000),
    "rate_limit_per_minute": _int_in("rate_limit_per_minute", 0, 1_000_000),
    "rate_limit_period_seconds": _int_in("rate_limit_period_seconds", 1, 3600),
    "faults": _faults,
}
_LISTED_WHEN_CHANGED: dict[str, object] = {
    "event_backend": "postgresql",
    "schema_version": "current",
    "retention_months": 0,
}
