"""`aiMetrics`: aggregate Duo metrics of a scope over whole days, from its events.

`AiMetricsReport` has one method per `AiMetrics` field; the resolvers call the method of
each selected field (so only what a query selects is computed, as GitLab's lookahead
does) and the ground truth calls all of them. Counts, distinct users and lines of code
come from the same events that `aiUsageData` serves, late events included.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from simulator.events import UsageEvent
from simulator.features import count_fields
from simulator.org import Organisation
from simulator.pushes import code_contributors
from simulator.store import EventStore

SHOWN = "CODE_SUGGESTION_SHOWN_IN_IDE"
ACCEPTED = "CODE_SUGGESTION_ACCEPTED_IN_IDE"
CHAT = "REQUEST_DUO_CHAT_RESPONSE"
TROUBLESHOOT = "TROUBLESHOOT_JOB"
SESSION_CREATED = "AGENT_PLATFORM_SESSION_CREATED"
SESSION_STARTED = "AGENT_PLATFORM_SESSION_STARTED"
SESSION_FINISHED = "AGENT_PLATFORM_SESSION_FINISHED"

DEFAULT_FLOW_SORT = "SESSIONS_COUNT_DESC"


def event_counts(events: Iterable[UsageEvent], type_name: str) -> dict[str, int]:
    """The `…EventCount` fields of a metrics type, counted over `events`."""
    fields = count_fields(type_name)
    field_of = {count.event: count.field for count in fields}
    counts = dict.fromkeys((count.field for count in fields), 0)
    for event in events:
        field = field_of.get(event.event)
        if field is not None:
            counts[field] += 1
    return counts


def distinct_users(events: Iterable[UsageEvent], event_types: Collection[str] = ()) -> int:
    """How many users have an event (of `event_types`, when given)."""
    return len({e.user_id for e in events if not event_types or e.event in event_types})


def _lines(size: object) -> int:
    """`suggestion_size` is a string of an integer in GitLab's extras."""
    try:
        return int(str(size))
    except ValueError:
        return 0


def code_suggestion_metrics(
    events: Iterable[UsageEvent],
    ide_names: Collection[str] | None = None,
    languages: Collection[str] | None = None,
) -> dict[str, Any]:
    """`codeSuggestionMetrics` over shown and accepted suggestions matching the filters."""
    shown = accepted = shown_lines = accepted_lines = 0
    users: set[int] = set()
    seen_ides: set[str] = set()
    seen_languages: set[str] = set()
    for event in events:
        if event.event not in (SHOWN, ACCEPTED):
            continue
        ide = event.extras_value("ide_name")
        language = event.extras_value("language")
        if ide_names and ide not in ide_names:
            continue
        if languages and language not in languages:
            continue
        lines = _lines(event.extras_value("suggestion_size"))
        if event.event == SHOWN:
            shown += 1
            shown_lines += lines
        else:
            accepted += 1
            accepted_lines += lines
        users.add(event.user_id)
        if isinstance(ide, str):
            seen_ides.add(ide)
        if isinstance(language, str):
            seen_languages.add(language)
    return {
        "acceptedCount": accepted,
        "acceptedLinesOfCode": accepted_lines,
        "contributorsCount": len(users),
        "ideNames": sorted(seen_ides),
        "languages": sorted(seen_languages),
        "shownCount": shown,
        "shownLinesOfCode": shown_lines,
    }


# -- agent platform -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentPlatformReport:
    """`agentPlatformMetrics` over the events of the selected flow types."""

    org: Organisation
    events: Sequence[UsageEvent]

    @cached_property
    def counts(self) -> dict[str, int]:
        return event_counts(self.events, "agentPlatformMetrics")

    def flow_metrics(self, sort: str | None = None) -> list[dict[str, Any]]:
        """Per flow type: sessions created, their users, completion and median duration."""
        created: dict[str, set[object]] = {}
        users: dict[str, set[int]] = {}
        started: dict[object, int] = {}
        finished: dict[object, int] = {}
        for event in self.events:
            session = event.extras_value("session_id")
            if event.event == SESSION_CREATED:
                flow = str(event.extras_value("flow_type"))
                created.setdefault(flow, set()).add(session)
                users.setdefault(flow, set()).add(event.user_id)
            elif event.event == SESSION_STARTED:
                started[session] = min(started.get(session, event.timestamp_ms), event.timestamp_ms)
            elif event.event == SESSION_FINISHED:
                finished[session] = max(
                    finished.get(session, event.timestamp_ms), event.timestamp_ms
                )
        metrics = []
        for flow, sessions in created.items():
            done = [s for s in sessions if s in finished]
            durations_ms = [finished[s] - started[s] for s in done if s in started]
            metrics.append(
                {
                    "flowType": flow,
                    "sessionsCount": len(sessions),
                    "usersCount": len(users[flow]),
                    "completionRate": len(done) / len(sessions),
                    "medianExecutionTime": (
                        statistics.median(durations_ms) / 1000 if durations_ms else None
                    ),
                }
            )
        return _sorted_flows(metrics, sort or DEFAULT_FLOW_SORT)

    def user_flow_counts(self) -> list[dict[str, Any]]:
        """Sessions created per user and flow type, by user id and flow type."""
        sessions: dict[tuple[int, str], set[object]] = {}
        for event in self.events:
            if event.event == SESSION_CREATED:
                key = (event.user_id, str(event.extras_value("flow_type")))
                sessions.setdefault(key, set()).add(event.extras_value("session_id"))
        return [
            {"user": self.org.user_by_id[user_id], "flowType": flow, "sessionsCount": len(ids)}
            for (user_id, flow), ids in sorted(sessions.items())
        ]


_FLOW_SORT_FIELDS = {
    "SESSIONS_COUNT": "sessionsCount",
    "USERS_COUNT": "usersCount",
    "MEDIAN_TIME": "medianExecutionTime",
}


def _sorted_flows(metrics: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Order by the `FlowTypeSort` value, nulls last, then by flow type."""
    subject, _, direction = sort.rpartition("_")
    field = _FLOW_SORT_FIELDS[subject]
    sign = -1 if direction == "DESC" else 1
    return sorted(
        metrics,
        key=lambda m: (m[field] is None, sign * (m[field] or 0), m["flowType"]),
    )


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AiMetricsReport:
    """The `AiMetrics` of one scope and range of days; a method per field."""

    org: Organisation
    store: EventStore
    namespace_ids: frozenset[int]
    start: date
    end: date
    events: Sequence[UsageEvent]

    def agent_platform(
        self, flow_types: Collection[str] | None = None, not_flow_types: Collection[str] = ()
    ) -> AgentPlatformReport:
        """Flow type filters: events without a flow type only pass an exclusion filter."""
        agent_events = {count.event for count in count_fields("agentPlatformMetrics")}
        selected = [
            event
            for event in self.events
            if event.event in agent_events
            and (not flow_types or event.extras_value("flow_type") in flow_types)
            and event.extras_value("flow_type") not in not_flow_types
        ]
        return AgentPlatformReport(self.org, selected)

    def chat(self) -> dict[str, int]:
        return event_counts(self.events, "duoChatMetrics")

    def code_contributors_count(self) -> int:
        return len(
            code_contributors(self.org, self.store, self.namespace_ids, self.start, self.end)
        )

    def code_review(self) -> dict[str, int]:
        return event_counts(self.events, "codeReviewMetrics")

    def code_suggestions(
        self, ide_names: Collection[str] | None = None, languages: Collection[str] | None = None
    ) -> dict[str, Any]:
        return code_suggestion_metrics(self.events, ide_names, languages)

    def duo_chat_contributors_count(self) -> int:
        return distinct_users(self.events, {CHAT})

    def duo_used_count(self) -> int:
        return distinct_users(self.events)

    def mcp(self) -> dict[str, int]:
        return event_counts(self.events, "mcpMetrics")

    def root_cause_analysis_users_count(self) -> int:
        return distinct_users(self.events, {TROUBLESHOOT})

    def troubleshoot(self) -> dict[str, int]:
        return event_counts(self.events, "troubleshootJobMetrics")

    def as_object(self) -> dict[str, Any]:
        """The current metric fields with default arguments, as GraphQL answers them.

        The deprecated top-level Code Suggestions counts are copies of `codeSuggestions`
        fields; left out: `agentPlatform.userFlowCounts` (a connection).
        """
        agent_platform = self.agent_platform()
        code_suggestions = self.code_suggestions()
        return {
            "codeSuggestionsAcceptedCount": code_suggestions["acceptedCount"],
            "codeSuggestionsContributorsCount": code_suggestions["contributorsCount"],
            "codeSuggestionsShownCount": code_suggestions["shownCount"],
            "agentPlatform": {
                **agent_platform.counts,
                "flowMetrics": agent_platform.flow_metrics(),
            },
            "chat": self.chat(),
            "codeContributorsCount": self.code_contributors_count(),
            "codeReview": self.code_review(),
            "codeSuggestions": self.code_suggestions(),
            "duoChatContributorsCount": self.duo_chat_contributors_count(),
            "duoUsedCount": self.duo_used_count(),
            "mcp": self.mcp(),
            "rootCauseAnalysisUsersCount": self.root_cause_analysis_users_count(),
            "troubleshoot": self.troubleshoot(),
        }
