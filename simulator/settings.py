"""Runtime settings: knobs that tests turn while the simulator runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

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

    Add a knob by adding a field and its validator to `_VALIDATORS`.
    """

    end_date_mode: EndDateMode = "exclusive"
    clickhouse: bool = True
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
        with self._lock:
            return {name: getattr(self, name) for name in _VALIDATORS}


_VALIDATORS: dict[str, Callable[[object], object]] = {
    "end_date_mode": _end_date_mode,
    "clickhouse": _clickhouse,
}
