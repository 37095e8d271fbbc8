"""Plan the UTC day windows a sync reads.

GitLab takes ``Date`` bounds only, answers newest first and keeps no cursor that survives
between runs, so a bookmark is a completed day, never a cursor. Everything here is pure:
the caller passes in "now".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum

# GitLab flushes its event buffers every five minutes and documents about ten minutes of
# lag, so a day counts as complete only a while after it ended.
INGESTION_GRACE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class DayWindow:
    """One UTC day: ask GitLab for ``[start_date, end_date]``, keep events dated ``day``.

    ``end_date`` is the next day, which is right whether GitLab treats an explicit end
    date as inclusive or as exclusive (midnight at its start).
    """

    day: pendulum.Date
    complete: bool

    @property
    def start_date(self) -> str:
        return self.day.isoformat()

    @property
    def end_date(self) -> str:
        return self.day.add(days=1).isoformat()

    @property
    def resume_point(self) -> str:
        """The bookmark that says every day before the next one is complete."""
        return f"{self.day.add(days=1).isoformat()}T00:00:00Z"


def parse_instant(value: str | dt.datetime) -> pendulum.DateTime:
    """Parse a setting or bookmark value into an aware UTC instant."""
    if isinstance(value, dt.datetime):
        return pendulum.instance(value).in_timezone("UTC")
    parsed = pendulum.parse(value, tz="UTC")
    if isinstance(parsed, pendulum.DateTime):
        return parsed.in_timezone("UTC")
    if isinstance(parsed, pendulum.Date):
        # A bare date means that day's midnight.
        return pendulum.datetime(parsed.year, parsed.month, parsed.day)
    msg = f"not a date or instant: {value!r}"
    raise ValueError(msg)


def first_day(
    *,
    start_date: pendulum.DateTime,
    bookmark: pendulum.DateTime | None,
    lookback_days: int,
) -> pendulum.Date:
    """The first day to read: ``max(start_date, bookmark day - lookback_days)``.

    The bookmark's own day is always read again: a bookmark inside a day (an
    interrupted run) means that day was not finished.
    """
    start = start_date.date()
    if bookmark is None:
        return start
    return max(start, bookmark.date().subtract(days=lookback_days))


def plan_days(
    *,
    start_date: pendulum.DateTime,
    end_date: pendulum.DateTime | None,
    bookmark: pendulum.DateTime | None,
    lookback_days: int,
    now: pendulum.DateTime,
) -> list[DayWindow]:
    """Every day window of one sync, oldest first.

    The range is ``[max(start_date, bookmark - lookback_days), end_date or today]``,
    both ends inclusive. A day is complete when it ended at least ``INGESTION_GRACE``
    before ``now``; only complete days may be bookmarked.
    """
    now = now.in_timezone("UTC")
    last = now.date() if end_date is None else min(end_date.date(), now.date())
    day = first_day(start_date=start_date, bookmark=bookmark, lookback_days=lookback_days)
    windows: list[DayWindow] = []
    while day <= last:
        day_end = pendulum.datetime(day.year, day.month, day.day).add(days=1)
        windows.append(DayWindow(day=day, complete=day_end + INGESTION_GRACE <= now))
        day = day.add(days=1)
    return windows
