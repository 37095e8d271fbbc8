"""Relay connection paging over rows sorted newest first, with GitLab's keyset cursors.

GitLab's PostgreSQL keyset connection orders by `(timestamp DESC, id DESC)`; a cursor is
URL-safe base64 of JSON holding those two values, timestamp at full stored precision, so
paging is exact even when many rows share a second.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from simulator.errors import ArgumentError
from simulator.events import UsageEvent
from simulator.timeutil import SECOND_MS, datetime_to_ms

MAX_PAGE_SIZE = 100  # GitLab's schema-wide max_page_size, also the default page size
INVALID_CURSOR_MESSAGE = "Invalid cursor given"

_CURSOR_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))? UTC$")


def _sort_key(event: UsageEvent) -> tuple[int, int]:
    # Ascending along a newest-first list, which is what bisect needs.
    return (-event.timestamp_ms, -event.event_id)


def encode_cursor(event: UsageEvent) -> str:
    seconds, millis = divmod(event.timestamp_ms, SECOND_MS)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    payload = {"timestamp": f"{moment}.{millis:03d}000000 UTC", "id": str(event.event_id)}
    encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return encoded.decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(timestamp_ms, id) of a cursor, or ArgumentError("Invalid cursor given")."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        match = _CURSOR_TIME.match(payload["timestamp"])
        if match is None:
            raise ValueError("bad timestamp")
        moment = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
        fraction = (match.group(2) or "0").ljust(9, "0")
        event_id = int(payload["id"])
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise ArgumentError(INVALID_CURSOR_MESSAGE) from error
    return datetime_to_ms(moment) + int(fraction[:3]), event_id


@dataclass(frozen=True)
class Page:
    """One page of a connection and what `pageInfo` says about it."""

    rows: Sequence[UsageEvent]
    has_next_page: bool
    has_previous_page: bool

    @property
    def start_cursor(self) -> str | None:
        return encode_cursor(self.rows[0]) if self.rows else None

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.rows[-1]) if self.rows else None


def _clamp(size: int | None) -> int | None:
    # graphql-ruby: negative sizes count as 0, sizes above max_page_size as the maximum.
    return None if size is None else max(0, min(size, MAX_PAGE_SIZE))


def paginate(
    rows: Sequence[UsageEvent],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Page:
    """Slice newest-first rows the way GitLab's keyset connection does."""
    first, last = _clamp(first), _clamp(last)
    if first is None and last is None:
        first = MAX_PAGE_SIZE
    low, high = 0, len(rows)
    if after is not None:
        timestamp_ms, event_id = decode_cursor(after)
        low = bisect_right(rows, (-timestamp_ms, -event_id), key=_sort_key)
    if before is not None:
        timestamp_ms, event_id = decode_cursor(before)
        high = max(low, bisect_left(rows, (-timestamp_ms, -event_id), key=_sort_key))
    window = rows[low:high]
    has_next_page = before is not None  # GitLab: rows after a `before` cursor exist by definition
    if first is not None:
        has_next_page = has_next_page or len(window) > first
        window = window[:first]
    has_previous_page = after is not None  # GitLab answers true whenever `after` is given
    if last is not None:
        has_previous_page = has_previous_page or len(window) > last
        window = window[max(0, len(window) - last) :]
    return Page(rows=window, has_next_page=has_next_page, has_previous_page=has_previous_page)
