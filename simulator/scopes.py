"""Which events a group, a project or the whole instance sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from simulator.events import UsageEvent
from simulator.org import Namespace, Organisation
from simulator.store import EventFilter, EventStore
from simulator.timeutil import day_end_ms, day_start_ms

ScopeType = Literal["group", "project", "instance"]
SCOPE_TYPES: tuple[ScopeType, ...] = ("group", "project", "instance")


class UnknownScopeError(LookupError):
    """A group or project path that the organisation does not have."""


@dataclass(frozen=True)
class Scope:
    """What events are read through: a group, a project, or the instance (`path` empty)."""

    type: ScopeType
    path: str = ""

    def namespace(self, org: Organisation) -> Namespace | None:
        """The scope's group or project namespace; None for the instance."""
        if self.type == "instance":
            return None
        found = org.group(self.path) if self.type == "group" else org.project(self.path)
        if found is None:
            raise UnknownScopeError(f"no {self.type} with full path {self.path!r}")
        return found


def namespace_filter(org: Organisation, scope: Scope) -> frozenset[int] | None:
    """Namespace ids whose events the scope sees; None means every event, even without one.

    A group sees itself and every namespace below it (subgroups and project namespaces), a
    project only its own namespace, the instance everything, including events that have no
    namespace at all.
    """
    namespace = scope.namespace(org)
    if namespace is None:
        return None
    if namespace.kind == "project":
        return frozenset({namespace.id})
    return org.subtree_ids(namespace)


def scope_events(
    org: Organisation,
    store: EventStore,
    scope: Scope,
    start: date,
    end: date,
    event_types: frozenset[str] | None = None,
) -> tuple[UsageEvent, ...]:
    """Every event the scope sees dated `start`..`end` (whole UTC days, inclusive).

    `event_types`: only those (the events an older GitLab version tracked); None: all.
    """
    return store.select(
        EventFilter(
            start_ms=day_start_ms(start),
            end_ms=day_end_ms(end),
            namespace_ids=namespace_filter(org, scope),
            event_types=event_types,
        )
    )
