"""Raw Duo events: keyed, day-ordered, one record per GitLab event."""

from __future__ import annotations

import contextlib
import functools
import threading
import typing as t
from collections import Counter

import requests

from tap_gitlab_duo.backend import POSTGRESQL, POSTGRESQL_RETENTION_MONTHS, cursor_backend
from tap_gitlab_duo.graphql_response import connection
from tap_gitlab_duo.keys import assign_event_keys
from tap_gitlab_duo.scopes import GROUP, INSTANCE, PROJECT, Scope
from tap_gitlab_duo.streams import ties
from tap_gitlab_duo.streams.ties import PAGE_END
from tap_gitlab_duo.streams.windowed import DayWindowStream
from tap_gitlab_duo.values import parse_gid, utc_timestamp

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gitlab_duo.windows import DayWindow


class EventStream(DayWindowStream):
    """A raw-event stream: keyed, day-ordered, one record per GitLab event."""

    primary_keys = ("event_key",)
    replication_key = "timestamp"
    # Whether GitLab honours the ``events`` filter here (codeSuggestionEvents sets it).
    filters_events = True

    def node_to_record(self, node: dict[str, t.Any], scope: Scope) -> dict[str, t.Any]:
        user = node.get("user") or {}
        user_id, username = self.people.person(parse_gid(user.get("id")), user.get("username"))
        return {
            "scope_type": scope.type,
            "scope_path": scope.path,
            "timestamp": utc_timestamp(node["timestamp"]),
            "event": node["event"],
            "user_id": user_id,
            "username": username,
        }

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        # The last row of a full page is marked unless GitLab's cursor shows a unique
        # key (PostgreSQL): on ClickHouse rows tied with it may be skipped (``ties``).
        found = connection(response)
        nodes = found.get("nodes") or []
        page_info = found.get("pageInfo") or {}
        if (
            nodes
            and page_info.get("hasNextPage")
            and cursor_backend(page_info.get("endCursor")) != POSTGRESQL
        ):
            nodes[-1] = {**nodes[-1], PAGE_END: True}
        yield from nodes

    @contextlib.contextmanager
    def narrowed(
        self, users: list[str], events: tuple[str, ...] | None, first: int | None = None
    ) -> t.Iterator[None]:
        """Requests of this thread ask only for these users (and events) meanwhile.

        Kept out of the request context, which the SDK logs: user ids stay out of logs.
        """
        self._narrowing.filters = (users, events, first)
        try:
            yield
        finally:
            self._narrowing.filters = None

    @functools.cached_property
    def _narrowing(self) -> threading.local:
        return threading.local()

    def variables_for(self, context: Context) -> dict[str, t.Any]:
        variables = super().variables_for(context)
        filters = getattr(self._narrowing, "filters", None)
        if filters is not None:
            users, events, first = filters
            variables["userIds"] = users
            if events is not None:
                variables["events"] = list(events)
            if first is not None:
                variables["first"] = first
        return variables

    def note_gap(self, context: Context, window: DayWindow, reason: str) -> None:
        """Say, once per scope and day, that GitLab's paging may have hidden rows."""
        scope = Scope.from_context(context)
        with self._gap_lock:
            if (scope, window.start_date) in self._gaps_reported:
                return
            self._gaps_reported.add((scope, window.start_date))
        self.logger.warning(
            "Stream '%s', %s, %s: rows tied with the end of a full page may be missing: %s.",
            self.name,
            scope,
            window.day,
            reason,
        )

    @functools.cached_property
    def _gaps_reported(self) -> set[tuple[Scope, str]]:
        return set()

    _gap_lock = threading.Lock()

    def windows(self, context: Context) -> list[DayWindow]:
        windows = super().windows(context)
        scope = Scope.from_context(context)
        kept_from = self.now.subtract(months=POSTGRESQL_RETENTION_MONTHS).date()
        # Only a range reaching past PostgreSQL's retention needs to know the store.
        if windows and windows[0].day < kept_from and self.backend_of(scope) == POSTGRESQL:
            self.logger.warning(
                "Stream '%s', %s: GitLab without ClickHouse keeps raw events for %d "
                "months, so days before %s may be empty or incomplete, and GitLab "
                "cannot give them back. Syncing what it still has.",
                self.name,
                scope,
                POSTGRESQL_RETENTION_MONTHS,
                kept_from,
            )
        return windows

    def read_day(
        self, context: Context, window: DayWindow, *, last: bool
    ) -> list[dict[str, t.Any]]:
        scope = Scope.from_context(context)
        day = window.start_date
        # Nodes become records as pages arrive, so a day is held once, not twice.
        records = []
        page_ends = []
        for node in self.iter_window(context, window.start_date, window.end_date):
            if node.get(PAGE_END):
                page_ends.append(node)
            records.append(self.node_to_record(node, scope))
        boundary = ties.boundary_users(self, context, window, page_ends)
        if boundary:
            # Each boundary user's rows of the first read, counted by event type.
            user_of_id = {self.people.person(parse_gid(u), None)[0]: u for u in boundary}
            seen: dict[str, Counter[str]] = {u: Counter() for u in boundary}
            for record in records:
                if (user := user_of_id.get(record["user_id"])) is not None:
                    seen[user][record["event"]] += 1
            again = ties.complete_users(self, context, window, seen)
            if again:
                # The boundary users' rows of the first read give way to their full re-read.
                records = [r for r in records if r["user_id"] not in user_of_id]
                records += [self.node_to_record(n, scope) for n in again]
        # GitLab may include the next day's first instants; those belong to that day.
        records = [r for r in records if r["timestamp"].startswith(day)]
        assign_event_keys(records)
        records.sort(key=lambda r: (r["timestamp"], r["event_key"]))
        return records


class CodeSuggestionEventsStream(EventStream):
    """``aiUsageData.codeSuggestionEvents``: shown, accepted and rejected suggestions."""

    name = "code_suggestion_events"
    query_file = "code_suggestion_events.graphql"
    filters_events = False  # GitLab's resolver overrides the events argument
    operations: t.ClassVar[dict[str, str]] = {
        GROUP: "CodeSuggestionEventsGroup",
        PROJECT: "CodeSuggestionEventsProject",
    }

    def node_to_record(self, node: dict[str, t.Any], scope: Scope) -> dict[str, t.Any]:
        record = super().node_to_record(node, scope)
        record["language"] = node.get("language")
        record["suggestion_size"] = node.get("suggestionSize")
        record["unique_tracking_id"] = node.get("uniqueTrackingId")
        return record


class AiUsageEventsStream(EventStream):
    """``aiUsageData.all``: every Duo feature's events, code suggestions included."""

    name = "ai_usage_events"
    query_file = "ai_usage_events.graphql"
    operations: t.ClassVar[dict[str, str]] = {
        GROUP: "AiUsageEventsGroup",
        PROJECT: "AiUsageEventsProject",
        INSTANCE: "AiUsageEventsInstance",
    }

    def node_to_record(self, node: dict[str, t.Any], scope: Scope) -> dict[str, t.Any]:
        record = super().node_to_record(node, scope)
        # Only the instance endpoint has these; group and project rows leave them null.
        record["extras"] = node.get("extras")
        record["namespace_path"] = node.get("namespacePath")
        return record
