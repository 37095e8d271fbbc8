"""What GitLab's usage-event finders read on each backend, and what a naive pager gets.

`Ai::UsageEventsFinder` picks `ClickHouseUsageEventsFinder` when ClickHouse analytics are
on for the namespace, else `PostgresqlUsageEventsFinder`. They differ in what a client sees:

- PostgreSQL keeps every row (ids make them unique) for a limited time: its monthly
  partitions are dropped once older than the retention (`retain_for`, 3 months in
  GitLab): rows before the first day of the month `retention_months` months ago are gone.
- ClickHouse keeps everything, but its finder groups rows on (namespace, event,
  timestamp, user) and formats the window bounds to whole seconds
  (`strftime('%Y-%m-%d %H:%M:%S')`), and its connection pages on the non-unique
  (timestamp, user_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pendulum

from simulator.date_window import TimeWindow, events_window
from simulator.events import UsageEvent
from simulator.paging import CLICKHOUSE_KEYSET, POSTGRESQL_KEYSET, Keyset, paginate
from simulator.settings import EndDateMode, EventBackend
from simulator.store import EventFilter, EventStore
from simulator.timeutil import DAY_MS, SECOND_MS, day_start_ms

KEYSETS: dict[EventBackend, Keyset] = {
    "postgresql": POSTGRESQL_KEYSET,
    "clickhouse": CLICKHOUSE_KEYSET,
}


def retention_start(today: date, months: int) -> date | None:
    """The first day PostgreSQL still holds: `(Date.today - months).beginning_of_month`.

    GitLab's monthly partitioning drops a partition once it ends before that day
    (`MonthlyStrategy#oldest_active_date`). None: no retention (0 months).
    """
    if months <= 0:
        return None
    earlier = pendulum.Date(today.year, today.month, today.day).subtract(months=months)
    return date(earlier.year, earlier.month, 1)


def finder_window(
    window: TimeWindow, backend: EventBackend, retained_from: date | None = None
) -> TimeWindow:
    """The bounds a backend's finder applies for a resolver's window."""
    if backend == "clickhouse":
        # ClickHouseUsageEventsFinder#format_timestamp: whole seconds, the fraction cut.
        return TimeWindow(
            start_ms=window.start_ms - window.start_ms % SECOND_MS,
            end_ms=window.end_ms - window.end_ms % SECOND_MS,
        )
    if retained_from is not None:
        return TimeWindow(max(window.start_ms, day_start_ms(retained_from)), window.end_ms)
    return window


def visible_event_types(
    requested: frozenset[str] | None, tracked: frozenset[str] | None
) -> frozenset[str] | None:
    """The event types a request reads: those asked for that the GitLab version tracks."""
    if tracked is None:
        return requested
    return tracked if requested is None else requested & tracked


@dataclass(frozen=True)
class NaivePages:
    """What a client paging one day with `first` and `after` only gets, on one backend.

    `rows` are every row of the day the backend holds for the scope (the ground truth, in
    the backend's order); `pages[i]` is the index in `rows` of each row page `i` brought
    (rows of other days that the window also covers are left out); `skipped` are the
    indexes of the rows no page brought.
    """

    backend: EventBackend
    rows: tuple[UsageEvent, ...]
    pages: tuple[tuple[int, ...], ...]
    skipped: tuple[int, ...]

    @property
    def requests(self) -> int:
        return len(self.pages)


def naive_pages(
    store: EventStore,
    namespace_ids: frozenset[int] | None,
    day: date,
    *,
    backend: EventBackend,
    end_date_mode: EndDateMode,
    today: date,
    first: int = 100,
    event_types: frozenset[str] | None = None,
    user_ids: frozenset[int] | None = None,
    retained_from: date | None = None,
) -> NaivePages:
    """Page `startDate: day, endDate: day + 1` as the resolver would, following `endCursor`.

    The request window is the robust one (GitLab's end date may be exclusive); only the
    rows dated `day` count.
    """
    window = finder_window(
        events_window(day, day + timedelta(days=1), today=today, end_date_mode=end_date_mode),
        backend,
        retained_from,
    )
    selected = store.select(
        EventFilter(
            start_ms=window.start_ms,
            end_ms=window.end_ms,
            namespace_ids=namespace_ids,
            event_types=event_types,
            user_ids=user_ids,
        ),
        backend,
    )
    day_start = day_start_ms(day)
    in_day = [row for row in selected if day_start <= row.timestamp_ms < day_start + DAY_MS]
    position = {id(row): index for index, row in enumerate(in_day)}
    pages: list[tuple[int, ...]] = []
    after: str | None = None
    keyset = KEYSETS[backend]
    seen: set[int] = set()
    while True:
        page = paginate(selected, first=first, after=after, keyset=keyset)
        brought = tuple(position[id(row)] for row in page.rows if id(row) in position)
        seen.update(brought)
        pages.append(brought)
        if not page.has_next_page or not page.rows:
            break
        after = page.end_cursor
    skipped = tuple(index for index in range(len(in_day)) if index not in seen)
    return NaivePages(backend=backend, rows=tuple(in_day), pages=tuple(pages), skipped=skipped)
