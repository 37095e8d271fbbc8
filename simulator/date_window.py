"""The time window of a query, from its `startDate`/`endDate` arguments.

Events (GitLab's UsageEventsResolver and finders): start defaults to 7 days ago at 00:00,
end to the end of today; the range must be strictly shorter than one calendar month; the
start bound is inclusive; an explicit end is compared with `<=` against the Date turned into
a time (midnight at its start, or the end of that day in `inclusive` mode).

Metrics (`aiUserMetrics`, `aiMetrics`): whole dates, inclusive at both ends; the defaults
are the first and last day of the current month; the range must be shorter than a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pendulum

from simulator.errors import ArgumentError
from simulator.settings import EndDateMode
from simulator.timeutil import day_end_ms, day_start_ms

DEFAULT_LOOKBACK_DAYS = 7
MAX_RANGE_MESSAGE = "maximum date range is 1 month"
MAX_METRICS_RANGE_MESSAGE = "maximum date range is 1 year"


@dataclass(frozen=True)
class TimeWindow:
    """Inclusive bounds in UTC milliseconds; empty when start > end (an inverted range)."""

    start_ms: int
    end_ms: int


def one_calendar_month_before(day: date) -> date:
    """Ruby's `date - 1.month`: the same day a month earlier, clamped to that month's end."""
    earlier = pendulum.Date(day.year, day.month, day.day).subtract(months=1)
    return date(earlier.year, earlier.month, earlier.day)


def one_calendar_year_before(day: date) -> date:
    """Ruby's `date - 1.year`: 29 February becomes 28 February."""
    earlier = pendulum.Date(day.year, day.month, day.day).subtract(years=1)
    return date(earlier.year, earlier.month, earlier.day)


def metrics_dates(start_date: date | None, end_date: date | None, today: date) -> tuple[date, date]:
    """The inclusive days a metrics query covers, or ArgumentError as GitLab raises it."""
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    start = start_date if start_date is not None else month_start
    end = end_date if end_date is not None else next_month - timedelta(days=1)
    if not start > one_calendar_year_before(end):
        raise ArgumentError(MAX_METRICS_RANGE_MESSAGE)
    return start, end


def events_window(
    start_date: date | None, end_date: date | None, today: date, end_date_mode: EndDateMode
) -> TimeWindow:
    """The window GitLab reads for these arguments, or ArgumentError as GitLab raises it."""
    start = start_date if start_date is not None else today - timedelta(days=DEFAULT_LOOKBACK_DAYS)
    end = end_date if end_date is not None else today
    # GitLab: `return if start_date > end_date - 1.month`, else the error. An inverted range
    # passes this check and simply matches nothing.
    if not start > one_calendar_month_before(end):
        raise ArgumentError(MAX_RANGE_MESSAGE)
    if end_date is None:
        end_ms = day_end_ms(today)
    elif end_date_mode == "inclusive":
        end_ms = day_end_ms(end_date)
    else:
        end_ms = day_start_ms(end_date)
    return TimeWindow(start_ms=day_start_ms(start), end_ms=end_ms)
