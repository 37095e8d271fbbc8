"""Ground truth: exactly what a perfect extractor reads for a scope and a range of days.

Every event of the scope whose UTC date lies in [start, end], as the API shows it: second
precision timestamps, and only the fields the matching GraphQL node type exposes (the
Code Suggestions columns for `codeSuggestionEvents`, `namespacePath` and `extras` for the
instance endpoint); fields a node type lacks are null. Compare as a multiset: identical
events are real and must all be there.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from simulator.events import CODE_SUGGESTION_EVENTS, UsageEvent
from simulator.org import Organisation
from simulator.scopes import Scope, namespace_filter
from simulator.store import EventFilter, EventStore
from simulator.timeutil import day_end_ms, day_start_ms, format_seconds

TruthKind = Literal["all", "code_suggestions"]
TRUTH_KINDS: tuple[TruthKind, ...] = ("all", "code_suggestions")

# CodeSuggestionEvent fields (snake_case) and the extras keys they come from.
_CODE_SUGGESTION_FIELDS = (
    ("language", "language"),
    ("suggestion_size", "suggestion_size"),
    ("unique_tracking_id", "unique_tracking_id"),
)


def truth_events(
    org: Organisation,
    store: EventStore,
    scope: Scope,
    start: date,
    end: date,
    kind: TruthKind = "all",
) -> list[dict[str, Any]]:
    """The records of `scope` dated `start`..`end` (inclusive), newest first."""
    code_suggestions = kind == "code_suggestions"
    if code_suggestions and scope.type == "instance":
        raise ValueError("the instance endpoint has no codeSuggestionEvents")
    selected = store.select(
        EventFilter(
            start_ms=day_start_ms(start),
            end_ms=day_end_ms(end),
            namespace_ids=namespace_filter(org, scope),
            event_types=CODE_SUGGESTION_EVENTS if code_suggestions else None,
        )
    )
    instance = scope.type == "instance"
    return [_record(org, event, code_suggestions, instance) for event in selected]


def _record(
    org: Organisation, event: UsageEvent, code_suggestions: bool, instance: bool
) -> dict[str, Any]:
    user = org.user_by_id[event.user_id]
    namespace = org.namespace_by_id.get(event.namespace_id) if event.namespace_id else None
    record: dict[str, Any] = {
        "timestamp": format_seconds(event.timestamp_ms),
        "event": event.event,
        "user_id": user.id,
        "username": user.username,
    }
    for field, key in _CODE_SUGGESTION_FIELDS:
        record[field] = _text(event.extras_value(key)) if code_suggestions else None
    record["namespace_path"] = namespace.traversal_path if instance and namespace else None
    record["extras"] = event.extras() if instance else None
    return record


def _text(value: object) -> str | None:
    # The GraphQL String fields render whatever extras hold as text, as GitLab does.
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
