"""The Duo usage event catalogue and the compact record every stored event is kept in."""

from __future__ import annotations

from typing import NamedTuple

# Every value of the `AiUsageEventType` enum in schema.graphql (GitLab 19.4.0-pre).
EVENT_TYPES: tuple[str, ...] = (
    "AGENT_PLATFORM_SESSION_CREATED",
    "AGENT_PLATFORM_SESSION_DROPPED",
    "AGENT_PLATFORM_SESSION_FINISHED",
    "AGENT_PLATFORM_SESSION_RESUMED",
    "AGENT_PLATFORM_SESSION_STARTED",
    "AGENT_PLATFORM_SESSION_STOPPED",
    "AI_DUO_MESSAGING_FEEDBACK_SUBMITTED",
    "CLICK_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_LEARN_MORE",
    "CLICK_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_UPGRADE",
    "CODE_SUGGESTIONS_REQUESTED",
    "CODE_SUGGESTION_ACCEPTED_IN_IDE",
    "CODE_SUGGESTION_DIRECT_ACCESS_TOKEN_REFRESH",
    "CODE_SUGGESTION_REJECTED_IN_IDE",
    "CODE_SUGGESTION_SHOWN_IN_IDE",
    "DUO_WORKFLOW_WORKLOAD_COMPLETED",
    "ENCOUNTER_DUO_CODE_REVIEW_ERROR_DURING_REVIEW",
    "EXCLUDED_FILES_FROM_DUO_CODE_REVIEW",
    "EXPLAIN_VULNERABILITY",
    "FIND_NOTHING_TO_REVIEW_DUO_CODE_REVIEW_ON_MR",
    "FIND_NO_ISSUES_DUO_CODE_REVIEW_AFTER_REVIEW",
    "FINISH_MCP_TOOL_CALL",
    "FIX_PIPELINE_SUGGESTION_APPLIED",
    "FIX_PIPELINE_SUGGESTION_POSTED",
    "GENERATE_MERGE_COMMIT_MESSAGE",
    "POST_COMMENT_DUO_CODE_REVIEW_ON_DIFF",
    "PUBLISH_DUO_CODE_REVIEW_COMMENTS",
    "REACT_THUMBS_DOWN_ON_DUO_CODE_REVIEW_COMMENT",
    "REACT_THUMBS_UP_ON_DUO_CODE_REVIEW_COMMENT",
    "REQUEST_DUO_CHAT_RESPONSE",
    "REQUEST_DUO_VULNERABILITY_RESOLUTION",
    "REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_AUTHOR",
    "REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_NON_AUTHOR",
    "RESOLVE_FEATURE_DISCOVERY_SEARCH",
    "RESTORE_AI_CATALOG_ITEM",
    "START_MCP_TOOL_CALL",
    "SUMMARIZE_NEW_MERGE_REQUEST",
    "SUMMARIZE_REVIEW",
    "TROUBLESHOOT_JOB",
    "VIEW_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_EMPTY_STATE",
)

# What `codeSuggestionEvents` restricts to, whatever the caller's `events` argument says.
CODE_SUGGESTION_EVENTS: frozenset[str] = frozenset(
    {
        "CODE_SUGGESTIONS_REQUESTED",
        "CODE_SUGGESTION_SHOWN_IN_IDE",
        "CODE_SUGGESTION_ACCEPTED_IN_IDE",
        "CODE_SUGGESTION_REJECTED_IN_IDE",
    }
)

# Shared, immutable "no extras" values, so the many events without extras cost nothing.
NO_EXTRAS_KEYS: tuple[str, ...] = ()
NO_EXTRAS_VALUES: tuple[object, ...] = ()


class UsageEvent(NamedTuple):
    """One row of `ai_usage_events`, as small as a tuple can make it.

    `extras` is split into a key tuple shared by every event of its kind and a value tuple
    shared by the events of one activity (the shown and accepted events of one suggestion),
    so a million events fit in a few hundred megabytes.
    """

    timestamp_ms: int  # UTC, milliseconds since the epoch (storage precision)
    event_id: int  # PostgreSQL-style primary key; ties on timestamp order by it
    user_id: int
    event: str  # an EVENT_TYPES name
    namespace_id: int | None  # None: visible at instance level only
    extras_keys: tuple[str, ...]
    extras_values: tuple[object, ...]

    def extras(self) -> dict[str, object]:
        """The `extras` JSON object of this event."""
        return dict(zip(self.extras_keys, self.extras_values, strict=True))

    def extras_value(self, key: str) -> object | None:
        """One `extras` value, or None when the event has no such key."""
        try:
            return self.extras_values[self.extras_keys.index(key)]
        except ValueError:
            return None
