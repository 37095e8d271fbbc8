"""Rows that GitLab's ClickHouse paging skips, read again so that none is lost.

On ClickHouse, GitLab pages events newest first on (timestamp, user) and starts each page
strictly after the last row of the one before. That key is not unique: a user's other
rows at the same instant (another event, another project) that fall after the end of a
full page are never served. So whenever a full page ends on a user, that user's rows of
the day are read again with the ``userIds`` filter and replace the first read's: the
boundary users together when their rows fit in one page, else one by one, and a user
with more than a page of rows in the day split by the event types seen, packed so that
each part fits in a page. A page that GitLab's cursor shows to be PostgreSQL's (a unique
key) is not marked, so those instances pay nothing.

Rows a read returns outside its filter are dropped (a GitLab that ignored the filter
would otherwise multiply them), and a day that cannot be narrowed enough is named in a
warning.
"""

from __future__ import annotations

import json
import typing as t
from collections import Counter

from tap_gitlab_duo.scopes import Scope

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_gitlab_duo.streams.events import EventStream
    from tap_gitlab_duo.windows import DayWindow

PAGE_END = "__tap_page_end"
Node = dict[str, t.Any]
# Page sizes of the extra reads of a user no filter can narrow: their page ends fall
# elsewhere than those of the first read's 100.
SHIFTED_PAGE_SIZES = (97, 89)


def user_of(node: Node) -> str | None:
    return t.cast("str | None", (node.get("user") or {}).get("id"))


def page_end_users(nodes: t.Iterable[Node], day: str) -> tuple[set[str], bool]:
    """Users on whom a full page ended on ``day``; and whether such a row had no user.

    A page ending on the next day's rows can only hide rows that belong to that day.
    """
    users: set[str] = set()
    anonymous = False
    for node in nodes:
        if node.get(PAGE_END) and str(node.get("timestamp", "")).startswith(day):
            user = user_of(node)
            if user is None:
                anonymous = True
            else:
                users.add(user)
    return users, anonymous


def boundary_users(
    stream: EventStream, context: Context, window: DayWindow, nodes: t.Iterable[Node]
) -> set[str]:
    """``page_end_users``, with a warning when a page ended on a row without user."""
    users, anonymous = page_end_users(nodes, window.start_date)
    if anonymous:
        stream.note_gap(context, window, "a page ended on a row without user")
    return users


def complete_users(
    stream: EventStream,
    context: Context,
    window: DayWindow,
    seen: dict[str, Counter[str]],
) -> list[Node]:
    """Every row of the day of each boundary user, read again until no page hides any.

    ``seen`` maps each boundary user to the first read's rows by event type: a busy user
    is read straight away in parts by event type, each part sized to fit in a page.
    """
    operation = stream.operation_for(Scope.from_context(context))
    if "$userIds" not in operation.text:
        stream.note_gap(context, window, "this GitLab has no userIds filter")
        return []
    reader = _Reader(stream, context, window, "$events" in operation.text)
    users = sorted(seen)
    if len(users) > 1 and sum(c.total() for c in seen.values()) < stream.page_size:
        return reader.complete(users, None)
    rows: list[Node] = []
    for user in users:
        busy = seen[user].total() >= stream.page_size
        parts = _packed(seen[user], stream.page_size) if busy and reader.split_by_event else []
        if len(parts) >= 2:
            rows += [row for part in parts for row in reader.complete([user], part)]
        else:
            rows += reader.complete([user], None)
    return rows


class _Reader:
    """Reads of one scope and day narrowed by users and event types."""

    def __init__(
        self, stream: EventStream, context: Context, window: DayWindow, events_filter: bool
    ) -> None:
        self.stream = stream
        self.context = context
        self.window = window
        self.split_by_event = stream.filters_events and events_filter

    def complete(self, users: list[str], events: tuple[str, ...] | None) -> list[Node]:
        nodes = self._read(users, events)
        boundary = boundary_users(self.stream, self.context, self.window, nodes)
        if not boundary:
            return nodes
        if len(users) > 1:
            kept = [n for n in nodes if user_of(n) not in boundary]
            for user in sorted(boundary):
                kept += self.complete([user], None)
            return kept
        seen = Counter(str(n.get("event")) for n in nodes)
        parts = _packed(seen, self.stream.page_size) if self.split_by_event else []
        if len(parts) < 2:
            return self._shifted_union(nodes, users, events)
        return [row for part in parts for row in self.complete(users, part)]

    def _shifted_union(
        self, nodes: list[Node], users: list[str], events: tuple[str, ...] | None
    ) -> list[Node]:
        """One user's rows that no narrower filter can split, read with other page sizes.

        Each read misses only rows tied with its own page ends; reads never invent rows.
        Taking every row as often as the read that saw it most often recovers a row
        unless all reads ended a page at its instant, which is then named in a warning.
        """
        reads = [nodes]
        for size in SHIFTED_PAGE_SIZES:
            reads.append(self._read(users, events, first=min(size, self.stream.page_size - 1)))
        most: Counter[str] = Counter()
        rows: dict[str, Node] = {}
        for read in reads:
            counts = Counter(_identity(n) for n in read)
            for identity, count in counts.items():
                most[identity] = max(most[identity], count)
            rows.update((_identity(n), n) for n in read)
        ends = [{str(n.get("timestamp")) for n in read if n.get(PAGE_END)} for read in reads]
        if set.intersection(*ends):
            self.stream.note_gap(
                self.context, self.window, "every read of a busy user ended a page at one instant"
            )
        return [rows[identity] for identity, count in most.items() for _ in range(count)]

    def _read(
        self, users: list[str], events: tuple[str, ...] | None, first: int | None = None
    ) -> list[Node]:
        with self.stream.narrowed(users, events, first):
            nodes = list(
                self.stream.iter_window(self.context, self.window.start_date, self.window.end_date)
            )
        wanted = [
            n for n in nodes if user_of(n) in users and (events is None or n.get("event") in events)
        ]
        if len(wanted) < len(nodes):
            self.stream.note_gap(self.context, self.window, "GitLab ignored a filter")
        return wanted


def _identity(node: Node) -> str:
    """A row's content, the same for identical rows (the page-end mark aside)."""
    return json.dumps({k: v for k, v in node.items() if k != PAGE_END}, sort_keys=True)


def _packed(counts: Counter[str], page_size: int) -> list[tuple[str, ...]]:
    """Event types in parts whose rows seen so far fill at most three quarters of a page.

    Fewer than two parts means the rows cannot be narrowed further by event type.
    """
    capacity = max(1, page_size * 3 // 4)
    parts: list[list[str]] = []
    sizes: list[int] = []
    for name, count in counts.most_common():
        for index, size in enumerate(sizes):
            if size + count <= capacity:
                parts[index].append(name)
                sizes[index] += count
                break
        else:
            parts.append([name])
            sizes.append(count)
    if len(parts) == 1 and len(parts[0]) > 1:
        names = parts[0]
        parts = [names[: len(names) // 2], names[len(names) // 2 :]]
    return [tuple(sorted(part)) for part in parts]
