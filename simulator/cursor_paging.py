"""Relay paging over rows that are not events: per-user metrics and seat users.

`aiUserMetrics` is a ClickHouse aggregated connection: keyset over the sort expression with
the user id as tie-breaker, its cursor URL-safe base64 of JSON holding those values.
`addOnEligibleUsers` uses graphql-ruby's offset connection, whose cursor is base64 of the
1-based position of the row. Both keep GitLab's page size rules (`first`/`last` capped at
100, 100 by default) and pageInfo answers (`after` means a previous page exists).
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from simulator.errors import ArgumentError
from simulator.paging import INVALID_CURSOR_MESSAGE, MAX_PAGE_SIZE

T = TypeVar("T")
SortKey = tuple[int, ...]


class CursorEdge(NamedTuple):
    cursor: str
    node: Any


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """One page of rows with a cursor each, and what `pageInfo` says about it."""

    rows: Sequence[T]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool
    total_count: int | None = None  # for connections with `count`: rows on every page

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None

    def edges(self) -> list[CursorEdge]:
        return [
            CursorEdge(cursor, row) for cursor, row in zip(self.cursors, self.rows, strict=True)
        ]


def empty_page() -> CursorPage[Any]:
    return CursorPage(rows=(), cursors=(), has_next_page=False, has_previous_page=False)


def _clamp(size: int | None) -> int | None:
    return None if size is None else max(0, min(size, MAX_PAGE_SIZE))


@dataclass(frozen=True)
class _Slice:
    low: int
    high: int
    has_next_page: bool
    has_previous_page: bool


def _slice(
    low: int, high: int, first: int | None, last: int | None, after: bool, before: bool
) -> _Slice:
    """Cut [low, high) of an ordered list by first/last, as GitLab's connections do."""
    first, last = _clamp(first), _clamp(last)
    if first is None and last is None:
        first = MAX_PAGE_SIZE
    has_next_page = before
    if first is not None:
        has_next_page = has_next_page or high - low > first
        high = min(high, low + first)
    has_previous_page = after
    if last is not None:
        has_previous_page = has_previous_page or high - low > last
        low = max(low, high - last)
    return _Slice(low, high, has_next_page, has_previous_page)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ArgumentError(INVALID_CURSOR_MESSAGE) from error


# -- keyset -------------------------------------------------------------------------------------


def encode_key(names: Sequence[str], key: SortKey) -> str:
    return _b64(json.dumps(dict(zip(names, map(str, key), strict=True)), separators=(",", ":")))


def decode_key(names: Sequence[str], cursor: str) -> SortKey:
    try:
        payload = json.loads(_unb64(cursor))
        return tuple(int(payload[name]) for name in names)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ArgumentError(INVALID_CURSOR_MESSAGE) from error


def keyset_page(
    rows: Sequence[T],
    key: Callable[[T], SortKey],
    names: Sequence[str],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> CursorPage[T]:
    """Page rows sorted ascending by `key`; cursors hold the key under `names`."""
    low, high = 0, len(rows)
    if after is not None:
        low = bisect_right(rows, decode_key(names, after), key=key)
    if before is not None:
        high = max(low, bisect_left(rows, decode_key(names, before), key=key))
    cut = _slice(low, high, first, last, after is not None, before is not None)
    window = rows[cut.low : cut.high]
    return CursorPage(
        rows=window,
        cursors=[encode_key(names, key(row)) for row in window],
        has_next_page=cut.has_next_page,
        has_previous_page=cut.has_previous_page,
    )


# -- offset -------------------------------------------------------------------------------------


def encode_offset(position: int) -> str:
    """graphql-ruby's offset cursor: the 1-based position of the row, base64."""
    return _b64(str(position))


def decode_offset(cursor: str) -> int:
    text = _unb64(cursor)
    if not text.isdigit():
        raise ArgumentError(INVALID_CURSOR_MESSAGE)
    return int(text)


def offset_page(
    rows: Sequence[T],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> CursorPage[T]:
    """Page rows in their order; the cursor of row i (0-based) is position i + 1."""
    low, high = 0, len(rows)
    if after is not None:
        low = min(decode_offset(after), high)
    if before is not None:
        high = max(low, min(decode_offset(before) - 1, high))
    cut = _slice(low, high, first, last, after is not None, before is not None)
    return CursorPage(
        rows=rows[cut.low : cut.high],
        cursors=[encode_offset(index + 1) for index in range(cut.low, cut.high)],
        has_next_page=cut.has_next_page,
        has_previous_page=cut.has_previous_page,
    )
