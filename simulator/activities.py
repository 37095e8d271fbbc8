"""What people do with Duo, as sequences of usage events.

One activity is one user action with its follow-ups: a coding session (suggestions shown,
then accepted or rejected), a chat conversation, a code review and the reactions to it, an
agent platform session through its lifecycle, a burst of MCP tool calls, and so on. Events
are emitted as raw tuples `(timestamp_ms, user_id, event, namespace_id, extras_keys,
extras_values)`; the dataset gives them ids once a day is complete.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simulator import profiles
from simulator.events import NO_EXTRAS_KEYS, NO_EXTRAS_VALUES
from simulator.org import Namespace, Organisation, User
from simulator.timeutil import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS
from simulator.weighted import WeightedChoice

RawEvent = tuple[int, int, str, "int | None", tuple[str, ...], tuple[object, ...]]

ACCEPT_RATE_SHORT = 0.33
ACCEPT_RATE_LONG = 0.22
REJECT_RATE = 0.60  # the rest of the suggestions get no verdict (the user typed on)


@dataclass(frozen=True, slots=True)
class Habits:
    """Per-user choices, computed once so that picking is one random() call each."""

    user: User
    namespaces: WeightedChoice[int | None]  # where their events are attributed
    projects: WeightedChoice[tuple[int, int]]  # (project namespace id, project id)
    languages: WeightedChoice[str]
    ide: tuple[str, str, str, str, str, str]
    utc_offset_ms: int


def build_habits(org: Organisation) -> Mapping[int, Habits]:
    """Habits of every user, keyed by user id."""
    return {user.id: _habits_of(org, user) for user in org.users}


def _habits_of(org: Organisation, user: User) -> Habits:
    projects = [org.namespace_by_path[path] for path in user.projects]
    # The main project gets most of the work; GitLab attributes an event to the project when it
    # knows one, sometimes to a group (a group page), and rarely to no namespace at all.
    project_weights = [3.0 if index == 0 else 1.0 for index in range(len(projects))]
    share = 88.0 / sum(project_weights)
    namespace_weights: list[tuple[int | None, float]] = [
        (project.id, weight * share)
        for project, weight in zip(projects, project_weights, strict=True)
    ]
    parent = org.parent(projects[0])
    root = org.namespace_by_path[projects[0].root_path]
    if parent is not None and parent.id != root.id:
        namespace_weights.append((parent.id, 6.0))
        namespace_weights.append((root.id, 4.0))
    else:
        namespace_weights.append((root.id, 10.0))
    namespace_weights.append((None, 2.0))
    return Habits(
        user=user,
        namespaces=WeightedChoice(namespace_weights),
        projects=WeightedChoice(
            (_project_ids(project), weight)
            for project, weight in zip(projects, project_weights, strict=True)
        ),
        languages=WeightedChoice(
            (language, 3.0 if index == 0 else 1.0) for index, language in enumerate(user.languages)
        ),
        ide=profiles.IDE_PROFILES[user.ide],
        utc_offset_ms=int(user.utc_offset_hours * HOUR_MS),
    )


def _project_ids(project: Namespace) -> tuple[int, int]:
    assert project.project_id is not None
    return project.id, project.project_id


_SIZES = WeightedChoice(profiles.SUGGESTION_SIZES)
_COMPLETION_MODELS = WeightedChoice(
    ((name, engine), weight) for name, engine, weight in profiles.COMPLETION_MODELS
)
_GENERATION_MODELS = WeightedChoice(
    ((name, engine), weight) for name, engine, weight in profiles.GENERATION_MODELS
)
_HUMAN_FLOWS = WeightedChoice(profiles.AGENT_FLOW_TYPES)
_BOT_FLOWS = WeightedChoice(profiles.BOT_FLOW_TYPES)
_HUMAN_ENVIRONMENTS = WeightedChoice(profiles.HUMAN_ENVIRONMENTS)
_BOT_ENVIRONMENTS = WeightedChoice(profiles.BOT_ENVIRONMENTS)
_MCP_TOOLS = WeightedChoice(profiles.MCP_TOOLS)
_MCP_FAILURES = WeightedChoice(profiles.MCP_FAILURES)

# Single events of features used now and then, with their relative frequency.
_OCCASIONAL_EVENTS = WeightedChoice(
    [
        ("GENERATE_MERGE_COMMIT_MESSAGE", 4.0),
        ("SUMMARIZE_NEW_MERGE_REQUEST", 4.0),
        ("SUMMARIZE_REVIEW", 3.0),
        ("EXPLAIN_VULNERABILITY", 3.0),
        ("REQUEST_DUO_VULNERABILITY_RESOLUTION", 2.0),
        ("RESOLVE_FEATURE_DISCOVERY_SEARCH", 2.0),
        ("AI_DUO_MESSAGING_FEEDBACK_SUBMITTED", 1.0),
        ("RESTORE_AI_CATALOG_ITEM", 0.5),
        ("VIEW_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_EMPTY_STATE", 0.5),
        ("CLICK_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_LEARN_MORE", 0.4),
        ("CLICK_DUO_AGENTIC_SUBSCRIPTION_EXPIRED_UPGRADE", 0.3),
        # Deprecated, "old data only": still present in stores that kept old rows.
        ("CODE_SUGGESTIONS_REQUESTED", 0.5),
        ("CODE_SUGGESTION_DIRECT_ACCESS_TOKEN_REFRESH", 0.3),
    ]
)


def _uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so it is reproducible (uuid4() is not)."""
    bits = rng.getrandbits(128)
    digits = f"{bits:032x}"
    variant = "89ab"[bits & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


# (output list, the user's habits, start ms, last ms of the day) -> appends events
_Emitter = Callable[[list[RawEvent], Habits, int, int], None]


class ActivityGenerator:
    """Emits the events of one activity of one user, drawing everything from `rng`."""

    def __init__(self, habits: Mapping[int, Habits], rng: random.Random) -> None:
        self._habits = habits
        self._rng = rng
        # Weights per activity aim at realistic event shares: about 60 % code suggestions,
        # 15 % chat, 8 % code review, 6 % agent platform, 5 % MCP, the rest rare.
        self._human_activities: WeightedChoice[_Emitter] = WeightedChoice(
            [
                (self._coding_session, 10.9),
                (self._chat, 6.8),
                (self._code_review, 2.7),
                (self._agent_session, 1.8),
                (self._mcp_calls, 0.8),
                (self._troubleshoot, 2.0),
                (self._fix_pipeline, 0.7),
                (self._occasional, 2.0),
            ]
        )
        # The service account runs ambient agent flows and their tool calls.
        self._bot_activities: WeightedChoice[_Emitter] = WeightedChoice(
            [(self._agent_session, 7.0), (self._mcp_calls, 3.0)]
        )

    def emit(self, out: list[RawEvent], user_id: int, start_ms: int, day_end_ms: int) -> None:
        """Append one activity starting at `start_ms`; events after `day_end_ms` are left out.

        Days are generated independently, so an activity never spills into the next day.
        """
        habits = self._habits[user_id]
        chooser = self._bot_activities if habits.user.bot else self._human_activities
        chooser.pick(self._rng)(out, habits, start_ms, day_end_ms)

    def time_of_day_ms(self, user_id: int) -> int:
        """When in the UTC day this user does something: office hours in their time zone."""
        rng = self._rng
        habits = self._habits[user_id]
        if habits.user.bot or rng.random() < 0.12:
            local_ms = rng.randrange(DAY_MS)  # pipelines run around the clock; so do some people
        else:
            local_ms = int(rng.gauss(13.5, 2.6) * HOUR_MS)
        return (local_ms - habits.utc_offset_ms) % DAY_MS

    def copy_with_jitter(self, event: RawEvent) -> RawEvent:
        """A field-for-field repeat of `event` in the same second (sometimes the same ms)."""
        timestamp = event[0]
        if self._rng.random() >= 0.4:
            timestamp = timestamp - timestamp % SECOND_MS + self._rng.randrange(SECOND_MS)
        return (timestamp, *event[1:])

    # -- same-instant companions (ties on ClickHouse's (timestamp, user_id) keyset) ------------

    def next_suggestion_shown(self, rejected: RawEvent) -> RawEvent:
        """The next suggestion, shown in the very millisecond the previous one is rejected.

        The IDE rejects a suggestion because the user typed on, and the keystroke that
        rejected it asks for the next one, often answered from the suggestion cache at
        once: one user, two events, the same millisecond.
        """
        timestamp, user_id, _event, namespace_id, keys, _values = rejected
        habits = self._habits[user_id]
        values = self._suggestion_extras(habits, _SIZES.pick(self._rng))
        return (timestamp, user_id, "CODE_SUGGESTION_SHOWN_IN_IDE", namespace_id, keys, values)

    def namespace_twin(self, event: RawEvent) -> RawEvent | None:
        """The event tracked a second time, in the same millisecond, for another namespace.

        A client that reports an action both for the project and for the group it was
        started from (or for a second project of the user) leaves two rows that differ
        only in their namespace. None when the user has no other namespace.
        """
        timestamp, user_id, name, namespace_id, keys, values = event
        habits = self._habits[user_id]
        others = [n for n in habits.namespaces.items() if n is not None and n != namespace_id]
        if not others:
            return None
        return (timestamp, user_id, name, self._rng.choice(others), keys, values)

    # -- activities -------------------------------------------------------------------------

    def _coding_session(self, out: list[RawEvent], habits: Habits, t: int, end: int) -> None:
        rng = self._rng
        namespace_id = habits.namespaces.pick(rng)
        for _ in range(1 + int(rng.expovariate(0.55))):
            if t > end:
                return
            self._suggestion(out, habits, namespace_id, t, end)
            t += rng.randint(4 * SECOND_MS, 90 * SECOND_MS)

    def _suggestion(
        self, out: list[RawEvent], habits: Habits, namespace_id: int | None, t: int, end: int
    ) -> None:
        rng = self._rng
        user_id = habits.user.id
        lines = _SIZES.pick(rng)
        values = self._suggestion_extras(habits, lines)
        keys = profiles.CODE_SUGGESTION_KEYS
        out.append((t, user_id, "CODE_SUGGESTION_SHOWN_IN_IDE", namespace_id, keys, values))
        verdict = rng.random()
        long = lines >= profiles.LONG_SUGGESTION_LINES
        accept_rate = ACCEPT_RATE_LONG if long else ACCEPT_RATE_SHORT
        if verdict < accept_rate:
            follow = ("CODE_SUGGESTION_ACCEPTED_IN_IDE", t + rng.randint(400, 12 * SECOND_MS))
        elif verdict < accept_rate + REJECT_RATE:
            follow = ("CODE_SUGGESTION_REJECTED_IN_IDE", t + rng.randint(200, 6 * SECOND_MS))
        else:
            return
        if follow[1] <= end:
            out.append((follow[1], user_id, follow[0], namespace_id, keys, values))

    def _suggestion_extras(self, habits: Habits, lines: int) -> tuple[object, ...]:
        rng = self._rng
        models = (
            _GENERATION_MODELS if lines >= profiles.LONG_SUGGESTION_LINES else _COMPLETION_MODELS
        )
        branch = "main" if rng.random() < 0.3 else rng.choice(profiles.BRANCH_NAMES)
        return (
            _uuid(rng),
            profiles.SIZE_STRINGS[lines],
            habits.languages.pick(rng),
            branch,
            *habits.ide,
            *models.pick(rng),
        )

    def _chat(self, out: list[RawEvent], habits: Habits, t: int, end: int) -> None:
        rng = self._rng
        namespace_id = habits.namespaces.pick(rng)
        for _ in range(1 + int(rng.expovariate(0.8))):
            if t > end:
                return
            out.append(
                (
                    t,
                    habits.user.id,
                    "REQUEST_DUO_CHAT_RESPONSE",
                    namespace_id,
                    NO_EXTRAS_KEYS,
                    NO_EXTRAS_VALUES,
                )
            )
            t += rng.randint(20 * SECOND_MS, 4 * MINUTE_MS)

    def _code_review(self, out: list[RawEvent], habits: Habits, t: int, end: int) -> None:
        rng = self._rng
        namespace_id = habits.projects.pick(rng)[0]
        steps: list[tuple[int, str]] = []
        requester = "AUTHOR" if rng.random() < 0.8 else "NON_AUTHOR"
        steps.append((t, f"REQUEST_REVIEW_DUO_CODE_REVIEW_ON_MR_BY_{requester}"))
        if rng.random() < 0.1:
            steps.append((t + rng.randint(50, 900), "EXCLUDED_FILES_FROM_DUO_CODE_REVIEW"))
        t += rng.randint(40 * SECOND_MS, 5 * MINUTE_MS)
        outcome = rng.random()
        if outcome < 0.08:
            steps.append((t, "FIND_NOTHING_TO_REVIEW_DUO_CODE_REVIEW_ON_MR"))
        elif outcome < 0.12:
            steps.append((t, "ENCOUNTER_DUO_CODE_REVIEW_ERROR_DURING_REVIEW"))
        elif outcome < 0.37:
            steps.append((t, "FIND_NO_ISSUES_DUO_CODE_REVIEW_AFTER_REVIEW"))
        else:
            steps.append((t, "POST_COMMENT_DUO_CODE_REVIEW_ON_DIFF"))
            steps.append((t + rng.randint(100, 2 * SECOND_MS), "PUBLISH_DUO_CODE_REVIEW_COMMENTS"))
            for reaction, chance in (("UP", 0.35), ("DOWN", 0.1)):
                if rng.random() < chance:
                    at = t + rng.randint(2 * MINUTE_MS, 3 * HOUR_MS)
                    steps.append((at, f"REACT_THUMBS_{reaction}_ON_DUO_CODE_REVIEW_COMMENT"))
        user_id = habits.user.id
        out.extend(
            (at, user_id, event, namespace_id, NO_EXTRAS_KEYS, NO_EXTRAS_VALUES)
            for at, event in steps
            if at <= end
        )

    def _agent_session(self, out: list[RawEvent], habits: Habits, t: int, end: int) -> None:
        rng = self._rng
        namespace_id, project_id = habits.projects.pick(rng)
        bot = habits.user.bot
        flow_type = (_BOT_FLOWS if bot else _HUMAN_FLOWS).pick(rng)
        environment = (_BOT_ENVIRONMENTS if bot else _HUMAN_ENVIRONMENTS).pick(rng)
        values = (project_id, rng.randrange(1_000_000, 9_999_999), flow_type, environment)
        steps = [("AGENT_PLATFORM_SESSION_CREATED", t)]
        t += rng.randint(SECOND_MS, 20 * SECOND_MS)
        steps.append(("AGENT_PLATFORM_SESSION_STARTED", t))
        if rng.random() < 0.15:
            t += rng.randint(MINUTE_MS, 15 * MINUTE_MS)
            steps.append(("AGENT_PLATFORM_SESSION_STOPPED", t))
            t += rng.randint(MINUTE_MS, 30 * MINUTE_MS)
            steps.append(("AGENT_PLATFORM_SESSION_RESUMED", t))
        t += rng.randint(MINUTE_MS, 40 * MINUTE_MS)
        outcome = rng.random()
        if outcome < 0.70:
            steps.append(("AGENT_PLATFORM_SESSION_FINISHED", t))
            if environment == "ambient":
                steps.append(
                    ("DUO_WORKFLOW_WORKLOAD_COMPLETED", t + rng.randint(200, 3 * SECOND_MS))
                )
        elif outcome < 0.82:
            steps.append(("AGENT_PLATFORM_SESSION_DROPPED", t))
        else:
            steps.append(("AGENT_PLATFORM_SESSION_STOPPED", t))
        user_id = habits.user.id
        keys = profiles.AGENT_SESSION_KEYS
        for event, at in steps:
            if at > end:
                return
            if event == "DUO_WORKFLOW_WORKLOAD_COMPLETED":
                out.append((at, user_id, event, namespace_id, NO_EXTRAS_KEYS, NO_EXTRAS_VALUES))
            else:
                out.append((at, user_id, event, namespace_id, keys, values))

    def _mcp_calls(self, out: list[RawEvent], habits: Habits, t: int, end: int) -> None:
        rng = self._rng
        namespace_id = habits.namespaces.pick(rng)
        session_id = _uuid(rng)
        user_id = habits.user.id
        for _ in range(1 + int(rng.expovariate(0.6))):
            tool = _MCP_TOOLS.pick(rng)
            finished = t + rng.randint(50, 8 * SECOND_MS)
            if finished > end:
                return
            out.append(
                (
                    t,
                    user_id,
                    "START_MCP_TOOL_CALL",
                    namespace_id,
                    profiles.MCP_START_KEYS,
                    (session_id, tool),
                )
            )
            values: tuple[object, ...]
            if rng.random() < 0.9:
                keys, values = profiles.MCP_SUCCESS_KEYS, (session_id, tool, True)
            else:
                keys = profiles.MCP_FAILURE_KEYS
                values = (session_id, tool, False, *_MCP_FAILURES.pick(rng))
            out.append((finished, user_id, "FINISH_MCP_TOOL_CALL", namespace_id, keys, values))
            t = finished + rng.randint(SECOND_MS, 30 * SECOND_MS)

    def _troubleshoot(self, out: list[RawEvent], habits: Habits, t: int, _end: int) -> None:
        rng = self._rng
        namespace_id, project_id = habits.projects.pick(rng)
        merge_request_id = rng.randrange(10_000, 90_000) if rng.random() < 0.6 else None
        values = (
            rng.randrange(2_000_000, 9_000_000),
            project_id,
            rng.randrange(300_000, 900_000),
            merge_request_id,
        )
        out.append(
            (
                t,
                habits.user.id,
                "TROUBLESHOOT_JOB",
                namespace_id,
                profiles.TROUBLESHOOT_KEYS,
                values,
            )
        )

    def _fix_pipeline(self, out: list[RawEvent], habits: Habits, t: int, end: int) -> None:
        rng = self._rng
        namespace_id = habits.projects.pick(rng)[0]
        user_id = habits.user.id
        out.append(
            (
                t,
                user_id,
                "FIX_PIPELINE_SUGGESTION_POSTED",
                namespace_id,
                NO_EXTRAS_KEYS,
                NO_EXTRAS_VALUES,
            )
        )
        applied = t + rng.randint(MINUTE_MS, 20 * MINUTE_MS)
        if rng.random() < 0.4 and applied <= end:
            out.append(
                (
                    applied,
                    user_id,
                    "FIX_PIPELINE_SUGGESTION_APPLIED",
                    namespace_id,
                    NO_EXTRAS_KEYS,
                    NO_EXTRAS_VALUES,
                )
            )

    def _occasional(self, out: list[RawEvent], habits: Habits, t: int, _end: int) -> None:
        rng = self._rng
        event = _OCCASIONAL_EVENTS.pick(rng)
        namespace_id = habits.namespaces.pick(rng)
        if event == "CODE_SUGGESTIONS_REQUESTED":
            keys, values = (
                profiles.CODE_SUGGESTION_KEYS,
                self._suggestion_extras(habits, _SIZES.pick(rng)),
            )
        else:
            keys, values = NO_EXTRAS_KEYS, NO_EXTRAS_VALUES
        out.append((t, habits.user.id, event, namespace_id, keys, values))
