"""How a simulator is set up before it starts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from simulator.auth import TokenGrant, default_tokens
from simulator.faults import Fault
from simulator.settings import (
    END_DATE_MODES,
    EndDateMode,
    EventBackend,
    RuntimeSettings,
    SchemaVersion,
)
from simulator.timeutil import utc_now


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything fixed for the life of one simulator.

    `end_date` defaults to today (UTC, by `clock`); events cover the `days` days ending on it,
    inclusive. `clock` is what "today" means for GraphQL date defaults; tests can freeze it.
    """

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    seed: int = 42
    end_date: date | None = None
    days: int = 45
    events_per_day: int = 1500
    end_date_mode: EndDateMode = "exclusive"
    clickhouse: bool = True  # the initial value of the runtime setting of the same name
    event_backend: EventBackend = "postgresql"
    schema_version: SchemaVersion = "current"
    retention_months: int = 0
    # Initial values of the runtime settings of the same names (`settings.RuntimeSettings`).
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    rate_limit_per_minute: int = 0
    rate_limit_period_seconds: int = 60
    faults: tuple[Fault, ...] = ()
    tokens: Mapping[str, TokenGrant] = field(default_factory=default_tokens)
    clock: Callable[[], datetime] = utc_now
    cached_events: int = 1_000_000  # generated events kept in memory; the rest regenerate

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.events_per_day < 0:
            raise ValueError("events_per_day must not be negative")
        if self.end_date_mode not in END_DATE_MODES:
            raise ValueError(f"end_date_mode must be one of {', '.join(END_DATE_MODES)}")
        if self.cached_events < 0:
            raise ValueError("cached_events must not be negative")
        RuntimeSettings().update(self.initial_settings())  # SettingsError is a ValueError

    def initial_settings(self) -> dict[str, object]:
        """The runtime settings a simulator starts with."""
        return {
            "end_date_mode": self.end_date_mode,
            "clickhouse": self.clickhouse,
            "event_backend": self.event_backend,
            "schema_version": self.schema_version,
            "retention_months": self.retention_months,
            "latency_ms": self.latency_ms,
            "latency_jitter_ms": self.latency_jitter_ms,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "rate_limit_period_seconds": self.rate_limit_period_seconds,
            "faults": list(self.faults),
        }

    def resolved_end_date(self) -> date:
        return self.end_date if self.end_date is not None else self.clock().date()
