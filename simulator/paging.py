"""Relay connection paging over rows sorted newest first, with GitLab's keyset cursors.

Two backends serve GitLab's raw Duo events, each with its own keyset connection:

- PostgreSQL orders by `(timestamp DESC, id DESC)`; a cursor is URL-safe base64 of JSON
  holding those two values, timestamp at full stored precision, so paging is exact even
  when many rows share a second.
- ClickHouse (`Gitlab::Graphql::Pagination::ClickHouseConnection`) orders by
  `(timestamp DESC, user_id DESC)`; the cursor holds those two values (timestamp as
  `%Y-%m-%d %H:%M:%S.%6N`, UTC) and the next page starts strictly after that pair. The key
  is not unique: rows of one user in one instant that straddle a page boundary are skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from simulator.errors import ArgumentError
from simulator.events import UsageEvent
from simulator.timeutil import SECOND_MS, datetime_to_ms

MAX_PAGE_SIZE = 100  # GitLab's schema-wide max_page_size, also the default page size
INVALID_CURSOR_MESSAGE = "Invalid cursor given"

_CURSOR_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))? UTC$")
# ClickHouse cursors: `ClickHouseConnection::TIME_PATTERN`, no zone (stored in UTC).
_CLICKHOUSE_CURSOR_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$")

Key = tuple[int, ...]


def _b64_json(payload: dict[str, object]) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return encoded.decode().rstrip("=")


def _json_b64(cursor: str) -> object:
    """The JSON inside a cursor; ArgumentError("Invalid cursor given") when there is none."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ArgumentError(INVALID_CURSOR_MESSAGE) from error


def _utc_seconds(timestamp_ms: int) -> tuple[str, int]:
    """`YYYY-MM-DD HH:MM:SS` of a timestamp and its milliseconds."""
    seconds, millis = divmod(timestamp_ms, SECOND_MS)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return moment, millis


def _micros(pattern: re.Pattern[str], text: object) -> int:
    """Microseconds since the epoch of a cursor timestamp (finer digits are cut off)."""
    if not isinstance(text, str):
        raise ValueError("timestamp is not a string")
    match = pattern.match(text)
    if match is None:
        raise ValueError("bad timestamp")
    moment = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
    fraction = (match.group(2) or "0").ljust(9, "0")
    return datetime_to_ms(moment) * 1000 + int(fraction[:6])


# -- PostgreSQL: (timestamp DESC, id DESC) --------------------------------------------------------


def encode_cursor(event: UsageEvent) -> str:
    moment, millis = _utc_seconds(event.timestamp_ms)
    return _b64_json({"timestamp": f"{moment}.{millis:03d}000000 UTC", "id": str(event.event_id)})


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(timestamp_ms, id) of a cursor, or ArgumentError("Invalid cursor given")."""
    payload = _json_b64(cursor)
    try:
        if not isinstance(payload, dict):
            raise TypeError("the cursor is not a JSON object")
        micros = _micros(_CURSOR_TIME, payload["timestamp"])
        event_id = int(payload["id"])
    except (ValueError, KeyError, TypeError) as error:
        raise ArgumentError(INVALID_CURSOR_MESSAGE) from error
    return micros // 1000, event_id


def _postgresql_key(event: UsageEvent) -> Key:
    # Ascending along a newest-first list, which is what bisect needs.
    return (-event.timestamp_ms, -event.event_id)


def _postgresql_cursor_key(cursor: str) -> Key:
    timestamp_ms, event_id = decode_cursor(cursor)
    return (-timestamp_ms, -event_id)


# -- ClickHouse: (timestamp DESC, user_id DESC) ---------------------------------------------------


def encode_clickhouse_cursor(event: UsageEvent) -> str:
    """`ClickHouseConnection#cursor_for`: `{"timestamp": "... .ffffff", "user_id": n}`."""
    moment, millis = _utc_seconds(event.timestamp_ms)
    return _b64_json({"timestamp": f"{moment}.{millis:03d}000", "user_id": event.user_id})


def decode_clickhouse_cursor(cursor: str) -> tuple[int, int]:
    """(timestamp in microseconds, user_id) of a ClickHouse cursor, or `Invalid cursor given`."""
    payload = _json_b64(cursor)
    try:
        if not isinstance(payload, dict):
            raise TypeError("the cursor is not a JSON object")
        micros = _micros(_CLICKHOUSE_CURSOR_TIME, payload["timestamp"])
        user_id = payload["user_id"]
        if isinstance(user_id, bool) or not isinstance(user_id, int | str):
            raise TypeError("user_id is not a number")
        return micros, int(user_id)
    except (ValueError, KeyError, TypeError) as error:
        raise ArgumentError(INVALID_CURSOR_MESSAGE) from error


def _clickhouse_key(event: UsageEvent) -> Key:
    return (-event.timestamp_ms * 1000, -event.user_id)


def _clickhouse_cursor_key(cursor: str) -> Key:
    micros, user_id = decode_clickhouse_cursor(cursor)
    return (-micros, -user_id)


@dataclass(frozen=True)
class Keyset:
    """How a backend's keyset connection orders rows and reads and writes cursors.

    `key` ascends along the newest-first rows (rows with equal keys are ties: the cursor
    cannot tell them apart); `cursor_key` is the key a cursor names.
    """

    name: str
    key: Callable[[UsageEvent], Key]
    encode: Callable[[UsageEvent], str]
    cursor_key: Callable[[str], Key]


POSTGRESQL_KEYSET = Keyset("postgresql", _postgresql_key, encode_cursor, _postgresql_cursor_key)
CLICKHOUSE_KEYSET = Keyset(
    "clickhouse", _clickhouse_key, encode_clickhouse_cursor, _clickhouse_cursor_key
)


@dataclass(frozen=True)
class Page:
    """One page of a connection and what `pageInfo` says about it."""

    rows: Sequence[UsageEvent]
    has_next_page: bool
    has_previous_page: bool
    keyset: Keyset = POSTGRESQL_KEYSET

    def cursor_for(self, row: UsageEvent) -> str:
        return self.keyset.encode(row)

    @property
    def start_cursor(self) -> str | None:
        return self.cursor_for(self.rows[0]) if self.rows else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursor_for(self.rows[-1]) if self.rows else None


def _clamp(size: int | None) -> int | None:
    # graphql-ruby: negative sizes count as 0, sizes above max_page_size as the maximum.
    return None if size is None else max(0, min(size, MAX_PAGE_SIZE))


def paginate(
    rows: Sequence[UsageEvent],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    keyset: Keyset = POSTGRESQL_KEYSET,
) -> Page:
    """Slice newest-first rows the way GitLab's keyset connection does.

    `after` keeps the rows whose key is strictly beyond the cursor's, `before` those
    strictly before it; on ClickHouse rows tied with the cursor's row go either way.
    """
    first, last = _clamp(first), _clamp(last)
    if first is None and last is None:
        first = MAX_PAGE_SIZE
    low, high = 0, len(rows)
    if after is not None:
        low = bisect_right(rows, keyset.cursor_key(after), key=keyset.key)
    if before is not None:
        high = max(low, bisect_left(rows, keyset.cursor_key(before), key=keyset.key))
    window = rows[low:high]
    has_next_page = before is not None  # GitLab: rows after a `before` cursor exist by definition
    if first is not None:
        has_next_page = has_next_page or len(window) > first
        window = window[:first]
    has_previous_page = after is not None  # GitLab answers true whenever `after` is given
    if last is not None:
        has_previous_page = has_previous_page or len(window) > last
        window = window[max(0, len(window) - last) :]
    return Page(
        rows=window,
        has_next_page=has_next_page,
        has_previous_page=has_previous_page,
        keyset=keyset,
    )
