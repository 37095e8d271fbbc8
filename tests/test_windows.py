"""Day-window planning: the range, the lookback, completeness."""

from __future__ import annotations

import pendulum
import pytest

from tap_gitlab_duo.windows import INGESTION_GRACE, first_day, parse_instant, plan_days

NOW = pendulum.datetime(2026, 11, 22, 15, 30)


def days(windows: list) -> list[str]:
    return [w.start_date for w in windows]


def test_first_run_reads_from_start_date_through_today() -> None:
    windows = plan_days(
        start_date=pendulum.datetime(2026, 11, 18),
        end_date=None,
        bookmark=None,
        lookback_days=3,
        now=NOW,
    )
    assert days(windows) == ["2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert [w.complete for w in windows] == [True, True, True, True, False]


def test_window_asks_for_next_day_as_end_date() -> None:
    window = plan_days(
        start_date=pendulum.datetime(2026, 1, 31),
        end_date=pendulum.datetime(2026, 1, 31),
        bookmark=None,
        lookback_days=0,
        now=NOW,
    )[0]
    assert (window.start_date, window.end_date) == ("2026-01-31", "2026-02-01")
    assert window.resume_point == "2026-02-01T00:00:00Z"


def test_bookmark_minus_lookback_wins_over_older_start_date() -> None:
    windows = plan_days(
        start_date=pendulum.datetime(2026, 1, 1),
        end_date=None,
        bookmark=pendulum.datetime(2026, 11, 21),
        lookback_days=2,
        now=NOW,
    )
    assert days(windows) == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]


def test_start_date_bounds_the_lookback() -> None:
    assert first_day(
        start_date=pendulum.datetime(2026, 11, 20),
        bookmark=pendulum.datetime(2026, 11, 21),
        lookback_days=10,
    ) == pendulum.date(2026, 11, 20)


def test_bookmark_inside_a_day_rereads_that_day_even_without_lookback() -> None:
    assert first_day(
        start_date=pendulum.datetime(2026, 1, 1),
        bookmark=pendulum.datetime(2026, 11, 21, 13, 5),
        lookback_days=0,
    ) == pendulum.date(2026, 11, 21)


def test_end_date_is_inclusive_and_capped_at_today() -> None:
    windows = plan_days(
        start_date=pendulum.datetime(2026, 11, 20),
        end_date=pendulum.datetime(2027, 1, 1),
        bookmark=None,
        lookback_days=0,
        now=NOW,
    )
    assert days(windows)[-1] == "2026-11-22"
    past = plan_days(
        start_date=pendulum.datetime(2026, 10, 1),
        end_date=pendulum.datetime(2026, 10, 3, 12),
        bookmark=None,
        lookback_days=0,
        now=NOW,
    )
    assert days(past) == ["2026-10-01", "2026-10-02", "2026-10-03"]
    assert all(w.complete for w in past)


def test_yesterday_is_incomplete_until_the_grace_has_passed() -> None:
    just_after_midnight = pendulum.datetime(2026, 11, 22) + INGESTION_GRACE / 2
    windows = plan_days(
        start_date=pendulum.datetime(2026, 11, 21),
        end_date=None,
        bookmark=None,
        lookback_days=0,
        now=just_after_midnight,
    )
    assert [w.complete for w in windows] == [False, False]
    later = pendulum.datetime(2026, 11, 22) + INGESTION_GRACE
    windows = plan_days(
        start_date=pendulum.datetime(2026, 11, 21),
        end_date=None,
        bookmark=None,
        lookback_days=0,
        now=later,
    )
    assert [w.complete for w in windows] == [True, False]


def test_bookmark_in_the_future_plans_nothing_but_today_minus_lookback() -> None:
    windows = plan_days(
        start_date=pendulum.datetime(2026, 1, 1),
        end_date=None,
        bookmark=pendulum.datetime(2026, 11, 23),
        lookback_days=1,
        now=NOW,
    )
    assert days(windows) == ["2026-11-22"]


def test_windows_span_month_and_year_boundaries_one_day_each() -> None:
    windows = plan_days(
        start_date=pendulum.datetime(2025, 12, 30),
        end_date=pendulum.datetime(2026, 3, 2),
        bookmark=None,
        lookback_days=0,
        now=NOW,
    )
    assert len(windows) == 63
    assert "2026-02-28" in days(windows)
    assert "2026-02-29" not in days(windows)
    assert len(set(days(windows))) == len(windows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-02", "2026-01-02T00:00:00+00:00"),
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05+00:00"),
        ("2026-01-02T03:04:05+02:00", "2026-01-02T01:04:05+00:00"),
        ("2026-01-02T03:04:05", "2026-01-02T03:04:05+00:00"),
    ],
)
def test_parse_instant_is_utc(value: str, expected: str) -> None:
    assert parse_instant(value).isoformat() == expected
