"""Which event each metric count field counts, read from the schema's field names.

GitLab generates the per-feature types of `aiUserMetrics` from its event registry: a
feature object (`codeSuggestions: codeSuggestionsUserMetrics`) has one
`<eventNameCamel>EventCount` field per event of the feature. The `aiMetrics` sub-types
follow the same rule, except `agentPlatformMetrics`, whose session counters are named
`<verb>SessionEventCount` (`createdSessionEventCount` counts
`AGENT_PLATFORM_SESSION_CREATED`). Deriving the catalogue from the schema keeps it in step
with `schema.graphql`; a count field naming no known event is a bug caught at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graphql import GraphQLObjectType, get_named_type

from simulator.events import EVENT_TYPES
from simulator.sdl import reference_schema

COUNT_SUFFIX = "EventCount"
TOTAL_FIELD = "totalEventCount"  # the feature's sum, not an event of its own
_USER_METRICS_SUFFIX = "UserMetrics"
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def constant_case(camel: str) -> str:
    """`codeSuggestionShownInIde` -> `CODE_SUGGESTION_SHOWN_IN_IDE`."""
    return _WORD_START.sub("_", camel).upper()


def camel_case(constant: str) -> str:
    """`CODE_SUGGESTIONS` -> `codeSuggestions`."""
    head, *rest = constant.lower().split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class CountField:
    """A `…EventCount` field and the event it counts."""

    field: str
    event: str


@dataclass(frozen=True)
class Feature:
    """One per-feature object of `AiUserMetrics`, e.g. `codeSuggestions`."""

    field: str
    type_name: str
    counts: tuple[CountField, ...]

    @property
    def events(self) -> frozenset[str]:
        return frozenset(count.event for count in self.counts)


def event_for_count_field(field: str) -> str:
    """The `AiUsageEventType` a count field counts; ValueError for an unknown name."""
    stem = constant_case(field.removesuffix(COUNT_SUFFIX))
    candidates = [stem]
    if stem.endswith("_SESSION"):  # agentPlatformMetrics: createdSessionEventCount
        verb = stem.removesuffix("_SESSION")
        candidates += [f"AGENT_PLATFORM_SESSION_{verb}", verb]
    for candidate in candidates:
        if candidate in EVENT_TYPES:
            return candidate
    raise ValueError(f"{field} names no AiUsageEventType value")


def _object_type(name: str) -> GraphQLObjectType:
    found = reference_schema().type_map[name]
    assert isinstance(found, GraphQLObjectType), name
    return found


def count_fields(type_name: str) -> tuple[CountField, ...]:
    """Every `…EventCount` field of a metrics type with its event, in schema order."""
    return tuple(
        CountField(field=name, event=event_for_count_field(name))
        for name in _object_type(type_name).fields
        if name.endswith(COUNT_SUFFIX) and name != TOTAL_FIELD
    )


@lru_cache(maxsize=1)
def user_metric_features() -> tuple[Feature, ...]:
    """The per-feature objects of `AiUserMetrics`, in schema order."""
    features = []
    for name, field in _object_type("AiUserMetrics").fields.items():
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType) and named.name.endswith(_USER_METRICS_SUFFIX):
            counts = count_fields(named.name)
            features.append(Feature(field=name, type_name=named.name, counts=counts))
    return tuple(features)


@lru_cache(maxsize=1)
def feature_of_event() -> dict[str, Feature]:
    """The `AiUserMetrics` feature each event belongs to."""
    return {count.event: feature for feature in user_metric_features() for count in feature.counts}


_REPLACEMENT = re.compile(r"Use `(\w+)\.(\w+)` instead")


@lru_cache(maxsize=1)
def deprecated_user_metric_counts() -> dict[str, tuple[str, str]]:
    """Deprecated `AiUserMetrics` counts and the (feature, count field) their reason names."""
    aliases = {}
    for name, field in _object_type("AiUserMetrics").fields.items():
        match = _REPLACEMENT.search(field.deprecation_reason or "")
        if match:
            aliases[name] = (match.group(1), match.group(2))
    return aliases
