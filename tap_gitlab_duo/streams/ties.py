"""Rows that GitLab's ClickHouse paging skips, read again so that none is lost.

On ClickHouse, GitLab pages events newest first on (timestamp, user) and starts each page
strictly after the last row of the one before. That key is not unique: a user's other
rows at the same instant (another event, another project) that fall after the end of a
full page are never served. So whenever a full page ends on a user, that user's rows of
the day are read again with the ``userIds`` filter and replace the first read's. If such
a read itself ends a full page, each user is read alone, and a user with more than a
page of rows in one day is split by event type, until no read ends on a full page.

Only a page boundary can hide rows, so a day that fits in one page costs nothing, and a
busy day costs about one request more per full page it ends on a user.
"""

from __future__ import annotations

import functools
import typing as t

from graphql import GraphQLEnumType

from tap_gitlab_duo.instance_schema import known_schema
from tap_gitlab_duo.scopes import Scope

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gitlab_duo.streams.events import EventStream
    from tap_gitlab_duo.windows import DayWindow

PAGE_END = "__tap_page_end"
Node = dict[str, t.Any]


@functools.cache
def event_names() -> tuple[str, ...]:
    """The event types GitLab's schema lists (newer instances may send more)."""
    enum = known_schema().get_type("AiUsageEventType")
    assert isinstance(enum, GraphQLEnumType)
    return tuple(enum.values)


def user_of(node: Node) -> str | None:
    return t.cast("str | None", (node.get("user") or {}).get("id"))


def page_end_users(nodes: list[Node]) -> set[str]:
    """Users on whom a full page ended: their rows at that instant may be missing."""
    return {user for n in nodes if n.get(PAGE_END) and (user := user_of(n)) is not None}


def complete_day(
    stream: EventStream, context: Context, window: DayWindow, nodes: list[Node]
) -> list[Node]:
    """The day's rows with every row a page boundary may have hidden read again."""
    if not page_end_users(nodes):
        return nodes
    operation = stream.operation_for(Scope.from_context(context))
    if "$userIds" not in operation.text:
        stream.warn_possible_gap(context, window, "this GitLab has no userIds filter")
        return nodes
    split = stream.filters_events and "$events" in operation.text
    return _complete(stream, context, window, nodes, users=None, events=None, split=split)


def _complete(
    stream: EventStream,
    context: Context,
    window: DayWindow,
    nodes: list[Node],
    *,
    users: list[str] | None,
    events: tuple[str, ...] | None,
    split: bool,
) -> list[Node]:
    boundary = page_end_users(nodes)
    if not boundary:
        return nodes
    if users is None or len(users) > 1:
        kept = [n for n in nodes if user_of(n) not in boundary]
        # The whole day's boundary users are read together; a group read's, one by one.
        groups = [sorted(boundary)] if users is None else [[u] for u in sorted(boundary)]
        for group in groups:
            again = _read(stream, context, window, group, None)
            kept += _complete(stream, context, window, again, users=group, events=None, split=split)
        return kept
    if not split or (events is not None and len(events) == 1):
        stream.warn_possible_gap(
            context, window, "one user has more than a page of rows tied at one instant"
        )
        return nodes
    names = events or event_names()
    # Rows of event types this tap does not know cannot be asked for by type: keep them
    # from the user's read.
    kept = [n for n in nodes if events is None and n.get("event") not in names]
    half = len(names) // 2
    for part in (names[:half], names[half:]):
        again = _read(stream, context, window, users, part)
        kept += _complete(stream, context, window, again, users=users, events=part, split=split)
    return kept


def _read(
    stream: EventStream,
    context: Context,
    window: DayWindow,
    users: list[str],
    events: tuple[str, ...] | None,
) -> list[Node]:
    narrowed = {**context, "user_ids": users}
    if events is not None:
        narrowed["events"] = list(events)
    return list(stream.iter_window(narrowed, window.start_date, window.end_date))
