"""UTC days and timestamps as the simulator stores them: integer milliseconds."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

EPOCH = date(1970, 1, 1)
SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def day_start_ms(day: date) -> int:
    """Milliseconds since the epoch at 00:00:00.000 UTC of `day`."""
    return (day - EPOCH).days * DAY_MS


def day_end_ms(day: date) -> int:
    """Milliseconds since the epoch at 23:59:59.999 UTC of `day`."""
    return day_start_ms(day) + DAY_MS - 1


def day_of_ms(timestamp_ms: int) -> date:
    """The UTC calendar day a timestamp falls on."""
    return EPOCH + timedelta(days=timestamp_ms // DAY_MS)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_seconds(timestamp_ms: int) -> str:
    """GitLab's `Time` output: ISO 8601 in UTC, whole seconds (`2025-09-26T18:17:25Z`)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp_ms // SECOND_MS))


def format_millis(timestamp_ms: int) -> str:
    """ISO 8601 in UTC with milliseconds (`2025-09-26T18:17:25.042Z`): the stored precision."""
    return f"{format_seconds(timestamp_ms)[:-1]}.{timestamp_ms % SECOND_MS:03d}Z"


def datetime_to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return delta // timedelta(milliseconds=1)


def parse_timestamp_ms(text: str) -> int:
    """An ISO 8601 timestamp (optional fraction, `Z` or offset; naive means UTC) in ms."""
    # Python 3.10's fromisoformat knows neither `Z` nor fractions other than 3 or 6 digits.
    normalized = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    head, dot, rest = normalized.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, zone = rest[:digits], rest[digits:]
        normalized = f"{head}.{(fraction + '000000')[:6]}{zone}"
    return datetime_to_ms(datetime.fromisoformat(normalized))
