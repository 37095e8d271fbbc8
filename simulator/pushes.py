"""Pushes, which `aiMetrics.codeContributorsCount` counts: who pushed code where, each day.

GitLab counts contributors from push events, which are not Duo events; the simulator
derives them deterministically from (seed, user, day) and the Duo events of the day:

- whoever used Code Suggestions on a day pushed that day: to the project the suggestion
  was attributed to; for one attributed to a group, to their first project below that
  group (generated events: their main project); for one without namespace, to their main
  project. So a scope's Code Suggestions users of a day are among its contributors;
- besides, active people push on some days without Code Suggestions: those who never use
  Duo on about 60 % of weekdays, the others on about 20 % (weekends much less), to one of
  their projects. Bots do not push.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta

from simulator.events import CODE_SUGGESTION_EVENTS, UsageEvent
from simulator.org import Namespace, Organisation, User
from simulator.store import EventStore

Push = tuple[int, int]  # (user id, project namespace id)

# Chance to push on a day without Code Suggestions: (weekday, weekend).
_NON_DUO_PUSH_CHANCE = (0.6, 0.15)
_DUO_USER_PUSH_CHANCE = (0.2, 0.03)


def _fraction(*parts: object) -> float:
    """A stable number in [0, 1) from the parts (independent of Python's hash seed)."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _push_target(org: Organisation, user: User, namespace: Namespace | None) -> int:
    """The project a suggestion attributed to `namespace` ends up pushed to."""
    if namespace is not None and namespace.kind == "project":
        return namespace.id
    projects = [org.namespace_by_path[path] for path in user.projects]
    if namespace is None:
        return projects[0].id
    below = org.subtree_ids(namespace)
    for project in projects:  # the main project first
        if project.id in below:
            return project.id
    # An event posted for a group the user has no project in: a project of that group.
    return min(n.id for n in org.namespaces if n.kind == "project" and n.id in below)


def pushes_on(org: Organisation, seed: int, day: date, events: Iterable[UsageEvent]) -> set[Push]:
    """Every (user, project namespace) push of `day`, given all of that day's events."""
    pushes: set[Push] = set()
    for event in events:
        if event.event not in CODE_SUGGESTION_EVENTS:
            continue
        user = org.user_by_id[event.user_id]
        namespace = org.namespace_by_id.get(event.namespace_id) if event.namespace_id else None
        pushes.add((user.id, _push_target(org, user, namespace)))
    pushers = {user_id for user_id, _ in pushes}
    weekend = day.weekday() >= 5
    for user in org.users:
        if user.bot or user.state != "active" or user.id in pushers:
            continue
        chances = _NON_DUO_PUSH_CHANCE if user.activity == "idle" else _DUO_USER_PUSH_CHANCE
        if _fraction(seed, "push", user.id, day) < chances[weekend]:
            pick = int(_fraction(seed, "push-project", user.id, day) * len(user.projects))
            pushes.add((user.id, org.namespace_by_path[user.projects[pick]].id))
    return pushes


def code_contributors(
    org: Organisation,
    store: EventStore,
    namespace_ids: frozenset[int],
    start: date,
    end: date,
) -> set[int]:
    """Users who pushed to a namespace of `namespace_ids` on a day in `start`..`end`."""
    first, last = store.data_days()
    seed = store.dataset.spec.seed
    contributors: set[int] = set()
    day = max(start, first)
    while day <= min(end, last):
        for user_id, namespace_id in pushes_on(org, seed, day, store.events_on(day)):
            if namespace_id in namespace_ids:
                contributors.add(user_id)
        day += timedelta(days=1)
    return contributors
