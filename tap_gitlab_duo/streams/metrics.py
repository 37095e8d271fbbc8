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
from singer_sdk.exceptions import FatalAPIError

from tap_gitlab_duo.backend import CLICKHOUSE, POSTGRESQL
from tap_gitlab_duo.graphql_response import (
    ScopeNotFoundError,
    StreamUnavailableError,
    find_connection,
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

# Why a metric stream is skipped for a scope, by what the backend probe found. Without
# ClickHouse the cause is the store, not the licence or the role: saying both would send
# users to the wrong fix.
NO_CLICKHOUSE_CAUSE = (
    "this GitLab has no ClickHouse for analytics (GitLab.com and Dedicated have it; a "
    "self-managed instance needs ClickHouse configured)"
)
PROBE_FAILED_CAUSE = (
    "GitLab denied or kept failing the ClickHouse probe (aiMetrics): if denied, {access}; "
    "if it failed, the next run probes again"
)


class MetricStream(DayWindowStream):
    """Aggregates per period; the bookmark is the first day not yet complete."""

    replication_key = "date"

    @property
    def periods(self) -> list[str]:
        configured = self.config.get("metric_periods") or [DAY]
        return [p for p in (DAY, "week", "month") if p in configured]

    def bookmark_value(self, window: DayWindow) -> str:
        return window.day.add(days=1).isoformat()

    def unavailable_reason(self, context: Context) -> str | None:
        # Without ClickHouse aiUserMetrics is silently empty, like a quiet day, and
        # aiMetrics null: one probe per scope and run tells them apart before reading.
        backend = self.backend_of(Scope.from_context(context))
        if backend == POSTGRESQL:
            return "aiMetrics is null, so GitLab keeps no metrics here"
        if backend != CLICKHOUSE:
            return (
                "the ClickHouse probe (aiMetrics) was denied or kept failing, so missing "
                "per-user metrics cannot be told from a quiet day"
            )
        return None

    def unavailable_cause(self, scope: Scope) -> str:
        backend = self.backend_of(scope)
        if backend == POSTGRESQL:
            return NO_CLICKHOUSE_CAUSE
        if backend == CLICKHOUSE:
            return super().unavailable_cause(scope)  # ClickHouse is there: access is not
        return PROBE_FAILED_CAUSE.format(access=super().unavailable_cause(scope))

    def read_day(
        self, context: Context, window: DayWindow, *, last: bool
    ) -> list[dict[str, t.Any]]:
        scope = Scope.from_context(context)
        # The day synced, for failure lines: a week or month read starts before it.
        context = {**context, "day": window.day.isoformat()}
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

    def period_records(
        self, nodes: list[dict[str, t.Any]], scope: Scope, period: str, first: pendulum.Date
    ) -> list[dict[str, t.Any]]:
        """One record per user, by user id.

        GitLab 19.4 may send nodes with a null ``user``: they all become one record under
        ``UNKNOWN_USER_ID`` with their counts summed (``merge_counts``) and no username.
        """
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
    """``aiMetrics``: a scope's totals per period (users, contributors, counts).

    ``agentPlatform.userFlowCounts`` is a connection inside the object: its first page
    comes with the object, the rest through its own operation, and the record holds
    every node as ``agent_platform.user_flow_counts``.
    """

    name = "ai_metrics"
    query_file = "ai_metrics.graphql"
    operations: t.ClassVar[dict[str, str]] = {GROUP: "AiMetricsGroup", PROJECT: "AiMetricsProject"}
    user_flow_count_pages: t.ClassVar[dict[str, str]] = {
        GROUP: "AiMetricsUserFlowCountsGroup",
        PROJECT: "AiMetricsUserFlowCountsProject",
    }
    primary_keys = ("scope_type", "scope_path", "period", "date")

    def get_new_paginator(self) -> BaseAPIPaginator | None:  # type: ignore[override]
        return None  # one object per request; its nested connection is paged below

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        data = payload(response).get("data") or {}
        if data.get("scope") is None:
            raise ScopeNotFoundError
        metrics = data["scope"].get("aiMetrics")
        if metrics is None:
            # The cause (no ClickHouse, or no access) comes from the backend probe.
            raise StreamUnavailableError("GitLab returned null for aiMetrics")
        yield metrics

    def read_window(
        self, context: Context, start_date: str, end_date: str
    ) -> list[dict[str, t.Any]]:
        reports = super().read_window(context, start_date, end_date)
        window_context = {**context, "start_date": start_date, "end_date": end_date}
        for report in reports:
            platform = report.get("agentPlatform")
            # Absent on GitLab versions without the field (pruned from the query).
            if platform and platform.get("userFlowCounts") is not None:
                platform["userFlowCounts"] = self.every_user_flow_count(
                    window_context, platform["userFlowCounts"]
                )
        return reports

    def every_user_flow_count(
        self, window_context: Context, page: dict[str, t.Any]
    ) -> list[dict[str, t.Any]]:
        """The nodes of the first page of ``userFlowCounts`` and of every page after it."""
        nodes = list(page.get("nodes") or ())
        scope = Scope.from_context(window_context)
        operation = self.operation(self.query_file, self.user_flow_count_pages[scope.type])
        seen: set[str] = set()
        while page["pageInfo"].get("hasNextPage"):
            cursor = page["pageInfo"].get("endCursor")
            with self.failures_named(window_context):
                if not cursor or cursor in seen:
                    # Stopping would drop the rest of the connection; going on, loop.
                    msg = (
                        "GitLab reported a next page of userFlowCounts but sent no new "
                        "endCursor (report it to its admins)"
                    )
                    raise FatalAPIError(msg)
                seen.add(cursor)
                variables = {**self.variables_for(window_context), "after": cursor}
                body = self.execute(operation, variables)
            found = find_connection(body.get("data"))
            if found is None:
                msg = "GitLab returned null on the way to aiMetrics.agentPlatform.userFlowCounts"
                raise StreamUnavailableError(msg)
            page = found
            nodes += page.get("nodes") or ()
        return nodes

    def unavailable_reason(self, context: Context) -> str | None:
        # aiMetrics answers null itself where it cannot be served: no probe is needed
        # before reading (the warning's cause asks the probe only after a null).
        return None

    def period_records(
        self, nodes: list[dict[str, t.Any]], scope: Scope, period: str, first: pendulum.Date
    ) -> list[dict[str, t.Any]]:
        return [{**self.record_base(scope, period, first), **self.report_fields(n)} for n in nodes]

    def report_fields(self, report: dict[str, t.Any]) -> dict[str, t.Any]:
        """An ``aiMetrics`` object in snake_case, its users named as every stream names them."""
        fields: dict[str, t.Any] = snake_keys(report)
        platform = fields.get("agent_platform")
        if platform and platform.get("user_flow_counts") is not None:
            platform["user_flow_counts"] = [
                self.user_flow_count(node) for node in platform["user_flow_counts"]
            ]
        return fields

    def user_flow_count(self, node: dict[str, t.Any]) -> dict[str, t.Any]:
        user = node.get("user") or {}
        user_id, username = self.people.person(parse_gid(user.get("id")), user.get("username"))
        return {
            "user_id": user_id,
            "username": username,
            "flow_type": node.get("flow_type"),
            "sessions_count": node.get("sessions_count"),
        }
