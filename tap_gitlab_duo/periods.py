"""Calendar periods for aggregate metrics: day, ISO week (Monday first), month.

Distinct counts (users, contributors) and ratios cannot be summed from days, so weekly
and monthly rows are asked from GitLab as such.
"""

from __future__ import annotations

import pendulum

DAY, WEEK, MONTH = "day", "week", "month"
PERIODS = (DAY, WEEK, MONTH)


def period_bounds(day: pendulum.Date, period: str) -> tuple[pendulum.Date, pendulum.Date]:
    """First and last day (inclusive) of the period that contains ``day``."""
    if period == DAY:
        return day, day
    if period == WEEK:
        return day.start_of("week"), day.end_of("week")
    if period == MONTH:
        return day.start_of("month"), day.end_of("month")
    msg = f"unknown period {period!r}"
    raise ValueError(msg)


def ends_on(day: pendulum.Date, period: str) -> bool:
    """Whether ``day`` is the last day of its period."""
    return period_bounds(day, period)[1] == day
