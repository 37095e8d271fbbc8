"""Raw Duo events: keyed, day-ordered, one record per GitLab event."""

from __future__ import annotations

import typing as t

from tap_gitlab_duo.keys import assign_event_keys
from tap_gitlab_duo.scopes import GROUP, INSTANCE, PROJECT, Scope
from tap_gitlab_duo.streams.windowed import DayWindowStream
from tap_gitlab_duo.values import parse_gid, utc_timestamp

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gitlab_duo.windows import DayWindow


class EventStream(DayWindowStream):
    """A raw-event stream: keyed, day-ordered, one record per GitLab event."""

    primary_keys = ("event_key",)
    replication_key = "timestamp"

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

    def read_day(
        self, context: Context, window: DayWindow, *, last: bool
    ) -> list[dict[str, t.Any]]:
        scope = Scope.from_context(context)
        day = window.start_date
        # Nodes become records as pages arrive, so a day is held once, not twice.
        # GitLab may include the next day's first instants; those belong to that day.
        nodes = self.iter_window(context, window.start_date, window.end_date)
        records = [
            r
            for r in (self.node_to_record(n, scope) for n in nodes)
            if r["timestamp"].startswith(day)
        ]
        assign_event_keys(records)
        records.sort(key=lambda r: (r["timestamp"], r["event_key"]))
        return records


class CodeSuggestionEventsStream(EventStream):
    """``aiUsageData.codeSuggestionEvents``: shown, accepted and rejected suggestions."""

    name = "code_suggestion_events"
    query_file = "code_suggestion_events.graphql"
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
