"""`aiUserMetrics` rows: one per user with events, counted per event and per feature.

GitLab sums `ai_usage_events_daily` per user and event (`sumIf`), so a row is a set of
counters plus the latest day each event happened. The rows here are GraphQL-shaped
dictionaries (field names as in the schema, dates as `date`, `user` as the `User`), so the
resolvers and the ground truth read the very same objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from simulator.events import UsageEvent
from simulator.features import (
    camel_case,
    constant_case,
    deprecated_user_metric_counts,
    feature_of_event,
    user_metric_features,
)
from simulator.org import Organisation
from simulator.timeutil import day_of_ms

UserMetricsNode = dict[str, Any]
SortKey = tuple[int, ...]

_TOTAL_SORT = "TOTAL_EVENTS_COUNT"
_FEATURE_TOTAL_SUFFIX = "_TOTAL_COUNT"


def user_metrics_nodes(org: Organisation, events: Iterable[UsageEvent]) -> list[UserMetricsNode]:
    """One `AiUserMetrics` object per user with at least one event, by user id."""
    counts: dict[int, Counter[str]] = {}
    last_days: dict[int, dict[str, date]] = {}
    for event in events:
        counts.setdefault(event.user_id, Counter())[event.event] += 1
        day = day_of_ms(event.timestamp_ms)
        latest = last_days.setdefault(event.user_id, {})
        if event.event not in latest or latest[event.event] < day:
            latest[event.event] = day
    return [_node(org, user_id, counts[user_id], last_days[user_id]) for user_id in sorted(counts)]


def _node(
    org: Organisation, user_id: int, counts: Counter[str], last_days: dict[str, date]
) -> UserMetricsNode:
    node: UserMetricsNode = {
        "user": org.user_by_id[user_id],
        "totalEventCount": sum(counts.values()),
        "lastDuoActivityOn": max(last_days.values()),
    }
    for feature in user_metric_features():
        section: dict[str, Any] = {count.field: counts[count.event] for count in feature.counts}
        section["totalEventCount"] = sum(counts[event] for event in feature.events)
        section["lastDuoActivityOn"] = max(
            (last_days[event] for event in feature.events if event in last_days), default=None
        )
        node[feature.field] = section
    for alias, (feature_field, count_field) in deprecated_user_metric_counts().items():
        node[alias] = node[feature_field][count_field]
    return node


@dataclass(frozen=True)
class UserMetricsOrder:
    """How `aiUserMetrics` is ordered: a sort value (if any), then the user id ascending.

    `key` is ascending along the returned list (descending sorts negate the value), and
    `names` label its parts in the cursor.
    """

    key: Callable[[UserMetricsNode], SortKey]
    names: tuple[str, ...]


def _user_id(node: UserMetricsNode) -> int:
    user_id: int = node["user"].id
    return user_id


def _value_reader(sort_subject: str) -> Callable[[UserMetricsNode], int]:
    """What an `AiUserMetricsSort` value (without `_ASC`/`_DESC`) sorts by."""
    if sort_subject == _TOTAL_SORT:
        return lambda node: int(node["totalEventCount"])
    if sort_subject.endswith(_FEATURE_TOTAL_SUFFIX):
        feature = camel_case(sort_subject.removesuffix(_FEATURE_TOTAL_SUFFIX))
        return lambda node: int(node[feature]["totalEventCount"])
    owner = feature_of_event()[sort_subject]
    field = next(count.field for count in owner.counts if count.event == sort_subject)
    return lambda node: int(node[owner.field][field])


def user_metrics_order(sort: str | None) -> UserMetricsOrder:
    """The order for an `AiUserMetricsSort` value; without one, by user id."""
    if sort is None:
        return UserMetricsOrder(key=lambda node: (_user_id(node),), names=("user_id",))
    subject, _, direction = sort.rpartition("_")
    read = _value_reader(subject)
    sign = -1 if direction == "DESC" else 1
    return UserMetricsOrder(
        key=lambda node: (sign * read(node), _user_id(node)), names=("sort_value", "user_id")
    )


def sort_subjects() -> set[str]:
    """Every subject `user_metrics_order` understands, for checking against the schema."""
    subjects = {_TOTAL_SORT} | set(feature_of_event())
    subjects |= {constant_case(f.field) + _FEATURE_TOTAL_SUFFIX for f in user_metric_features()}
    return subjects
