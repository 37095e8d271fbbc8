"""GitLab's aggregates as daily (and optionally weekly and monthly) facts.

``ai_user_metrics``: one record per scope, period, date and user (``aiUserMetrics``).
``ai_metrics``: one record per scope, period and date (``aiMetrics``).
Both are read one UTC day at a time, bookmarked on ``date`` per completed day, with
the same lookback as events: aggregates of recent days keep changing as data arrives.
"""

from __future__ import annotations

import typing as t

import pendulum
import requests

from tap_gitlab_duo.backend import CLICKHOUSE, POSTGRESQL
from tap_gitlab_duo.graphql_response import (
    ScopeNotFoundError,
    StreamUnavailableError,
    payload,
)
from tap_gitlab_duo.periods import DAY, ends_on, period_bounds
from tap_gitlab_duo.records import snake_keys
from tap_gitlab_duo.scopes import GROUP, PROJECT, Scope
from tap_gitlab_duo.streams.windowed import DayWindowStream
from tap_gitlab_duo.values import parse_gid

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_gitlab_duo.windows import DayWindow

# A user GitLab cannot name (deleted, or hidden): rows of such users are summed into one
# record under this id, so no key column is null and no count is lost.
UNKNOWN_USER_ID = 0


class MetricStream(DayWindowStream):
    """Aggregates per period; the bookmark is the first day not yet complete."""

    replication_key = "date"

    @property
    def periods(self) -> list[str]:
        configured = self.config.get("metric_periods") or [DAY]
        return [p for p in (DAY, "week", "month") if p in configured]

    def bookmark_value(self, window: DayWindow) -> str:
        return window.day.add(days=1).isoformat()

    def read_day(
        self, context: Context, window: DayWindow, *, last: bool
    ) -> list[dict[str, t.Any]]:
        scope = Scope.from_context(context)
        records: list[dict[str, t.Any]] = []
        for period in self.periods:
            # A week or month is read when it ends, or with the run's last day while it
            # is still running (later runs read it again, and the key upserts it).
            if period == DAY or ends_on(window.day, period) or last:
                first, final = period_bounds(window.day, period)
                nodes = self.read_window(context, first.isoformat(), final.isoformat())
                records += self.period_records(nodes, scope, period, first)
        return records

    def period_records(
        self, nodes: list[dict[str, t.Any]], scope: Scope, period: str, first: pendulum.Date
    ) -> list[dict[str, t.Any]]:
        raise NotImplementedError

    def record_base(self, scope: Scope, period: str, first: pendulum.Date) -> dict[str, t.Any]:
        return {
            "scope_type": scope.type,
            "scope_path": scope.path,
            "period": period,
            "date": first.isoformat(),
        }


class AiUserMetricsStream(MetricStream):
    """``aiUserMetrics``: per-user counts of every Duo feature, per period."""

    name = "ai_user_metrics"
    query_file = "ai_user_metrics.graphql"
    operations: t.ClassVar[dict[str, str]] = {
        GROUP: "AiUserMetricsGroup",
        PROJECT: "AiUserMetricsProject",
    }
    primary_keys = ("scope_type", "scope_path", "period", "date", "user_id")

    def unavailable_reason(self, context: Context) -> str | None:
        # Without ClickHouse aiUserMetrics is silently empty, like a quiet day; aiMetrics
        # is null instead, so one probe per scope and run tells them apart.
        scope = Scope.from_context(context)
        backend = self.backend_of(scope)
        if backend == POSTGRESQL:
            return "aiMetrics (no ClickHouse: per-user metrics need GitLab's ClickHouse store)"
        if backend != CLICKHOUSE:
            return "aiMetrics was denied, so per-user metrics cannot be told from a quiet day"
        return None

    def period_records(
        self, nodes: list[dict[str, t.Any]], scope: Scope, period: str, first: pendulum.Date
    ) -> list[dict[str, t.Any]]:
        by_user: dict[int, dict[str, t.Any]] = {}
        for node in nodes:
            user = node.get("user") or {}
            user_id, username = self.people.person(parse_gid(user.get("id")), user.get("username"))
            user_id = user_id or UNKNOWN_USER_ID
            metrics = snake_keys({k: v for k, v in node.items() if k != "user"})
            record = {
                **self.record_base(scope, period, first),
                "user_id": user_id,
                "username": username,
                **metrics,
            }
            if user_id in by_user:
                record = merge_counts(by_user[user_id], record)
            by_user[user_id] = record
        return [by_user[user_id] for user_id in sorted(by_user)]


def merge_counts(left: dict[str, t.Any], right: dict[str, t.Any]) -> dict[str, t.Any]:
    """Two metric rows of the same key as one: counts add up, dates take the latest."""
    merged = dict(left)
    for key, value in right.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = merge_counts(current, value)
        elif key.endswith("_count") and isinstance(value, int):
            merged[key] = (current or 0) + value
        elif key.endswith("_on") and value is not None:
            merged[key] = max(filter(None, (current, value)))
        elif current is None:
            merged[key] = value
    return merged


class AiMetricsStream(MetricStream):
    """``aiMetrics``: a scope's totals per period (users, contributors, counts)."""

    name = "ai_metrics"
    query_file = "ai_metrics.graphql"
    operations: t.ClassVar[dict[str, str]] = {GROUP: "AiMetricsGroup", PROJECT: "AiMetricsProject"}
    primary_keys = ("scope_type", "scope_path", "period", "date")

    def get_new_paginator(self) -> BaseAPIPaginator | None:  # type: ignore[override]
        return None  # one object per request, no connection

    def variables_for(self, context: Context) -> dict[str, t.Any]:
        variables = super().variables_for(context)
        variables.pop("first", None)
        return variables

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        data = payload(response).get("data") or {}
        if data.get("scope") is None:
            raise ScopeNotFoundError
        metrics = data["scope"].get("aiMetrics")
        if metrics is None:
            raise StreamUnavailableError("aiMetrics (null: no ClickHouse, or no licence)")
        yield metrics

    def period_records(
        self, nodes: list[dict[str, t.Any]], scope: Scope, period: str, first: pendulum.Date
    ) -> list[dict[str, t.Any]]:
        return [{**self.record_base(scope, period, first), **snake_keys(n)} for n in nodes]
