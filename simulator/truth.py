"""Ground truth: exactly what a perfect extractor reads for a scope and a range of days.

Every event of the scope whose UTC date lies in [start, end], as the API shows it: second
precision timestamps, and only the fields the matching GraphQL node type exposes (the
Code Suggestions columns for `codeSuggestionEvents`, `namespacePath` and `extras` for the
instance endpoint); fields a node type lacks are null. Compare as a multiset: identical
events are real and must all be there.

The truth follows the event backend: on ClickHouse it is the collapsed rows (one per
namespace, event, millisecond and user), in ClickHouse's order, what a client gets when
nothing is skipped at a page boundary; on PostgreSQL with a retention, the rows GitLab
still holds. An older GitLab version never tracked the events its schema lacks.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from simulator.events import CODE_SUGGESTION_EVENTS, UsageEvent
from simulator.finders import visible_event_types
from simulator.org import Organisation
from simulator.scopes import Scope, namespace_filter
from simulator.settings import EventBackend
from simulator.store import EventFilter, EventStore
from simulator.timeutil import day_end_ms, day_start_ms, format_millis, format_seconds

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
    backend: EventBackend = "postgresql",
    retained_from: date | None = None,
    tracked_events: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The records of `scope` dated `start`..`end` (inclusive), newest first.

    `backend`: whose rows and order; `retained_from`: the first day PostgreSQL still holds
    (None: everything); `tracked_events`: the events the GitLab version tracked (None: all).
    """
    return [
        _record(org, event, kind == "code_suggestions", scope.type == "instance")
        for event in truth_rows(
            org, store, scope, start, end, kind, backend, retained_from, tracked_events
        )
    ]


def truth_rows(
    org: Organisation,
    store: EventStore,
    scope: Scope,
    start: date,
    end: date,
    kind: TruthKind = "all",
    backend: EventBackend = "postgresql",
    retained_from: date | None = None,
    tracked_events: frozenset[str] | None = None,
) -> tuple[UsageEvent, ...]:
    """The stored rows behind `truth_events`, in the backend's order."""
    code_suggestions = kind == "code_suggestions"
    if code_suggestions and scope.type == "instance":
        raise ValueError("the instance endpoint has no codeSuggestionEvents")
    start_ms = day_start_ms(start)
    if backend == "postgresql" and retained_from is not None:
        start_ms = max(start_ms, day_start_ms(retained_from))
    return store.select(
        EventFilter(
            start_ms=start_ms,
            end_ms=day_end_ms(end),
            namespace_ids=namespace_filter(org, scope),
            event_types=visible_event_types(
                CODE_SUGGESTION_EVENTS if code_suggestions else None, tracked_events
            ),
        ),
        backend,
    )


def pager_record(org: Organisation, event: UsageEvent) -> dict[str, Any]:
    """Everything about a stored row, for diagnostics: ids, milliseconds, every column."""
    user = org.user_by_id[event.user_id]
    namespace = org.namespace_by_id.get(event.namespace_id) if event.namespace_id else None
    return {
        "timestamp": format_seconds(event.timestamp_ms),
        "timestamp_ms": event.timestamp_ms,
        "timestamp_iso_ms": format_millis(event.timestamp_ms),
        "event": event.event,
        "user_id": user.id,
        "username": user.username,
        "namespace_path": namespace.traversal_path if namespace else None,
        "namespace_full_path": namespace.full_path if namespace else None,
        **{field: _text(event.extras_value(key)) for field, key in _CODE_SUGGESTION_FIELDS},
        "extras": event.extras(),
    }


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
