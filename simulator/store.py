"""The event store: generated days (made lazily, kept in a bounded cache) plus late events.

It answers one question, the finder's: which events lie in a time window, in a set of
namespaces, of some event types and users, newest first: as PostgreSQL keeps them
(`timestamp DESC, id DESC`, every row) or as ClickHouse's finder returns them (rows equal
on namespace, event, timestamp and user collapsed into one, `timestamp DESC, user_id DESC`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from simulator.activities import RawEvent
from simulator.dataset import LATE_ID_BASE, Dataset
from simulator.events import UsageEvent
from simulator.settings import EventBackend
from simulator.timeutil import day_of_ms

DEFAULT_CACHED_EVENTS = 1_000_000  # regenerating an evicted day is exact, only slower
_CACHED_SELECTIONS = 64


def _newest_first(event: UsageEvent) -> tuple[int, int]:
    return (event.timestamp_ms, event.event_id)


def clickhouse_order(event: UsageEvent) -> tuple[int, int, str, bool, int]:
    """ClickHouse's `ORDER BY timestamp DESC, user_id DESC`, ascending along the rows.

    ClickHouse leaves the order of rows equal on both columns to chance; here they follow
    the event name, then the namespace, so that every request sees the same order.
    """
    namespace = event.namespace_id
    return (-event.timestamp_ms, -event.user_id, event.event, namespace is not None, namespace or 0)


def collapse(rows: Iterable[UsageEvent]) -> tuple[UsageEvent, ...]:
    """ClickHouse's finder: one row per (namespace, event, timestamp, user), in its order.

    `GROUP BY namespace_path, event, timestamp, user_id` with `argMax(extras, timestamp)`:
    the rows of a group share their timestamp, so the extras kept are those of the row
    stored last (the highest id), which makes the choice deterministic.
    """
    kept: dict[tuple[int | None, str, int, int], UsageEvent] = {}
    for row in rows:
        group = (row.namespace_id, row.event, row.timestamp_ms, row.user_id)
        other = kept.get(group)
        if other is None or row.event_id > other.event_id:
            kept[group] = row
    return tuple(sorted(kept.values(), key=clickhouse_order))


@dataclass(frozen=True)
class EventFilter:
    """The finder's arguments. Bounds are inclusive; None filters mean "any"."""

    start_ms: int
    end_ms: int
    namespace_ids: frozenset[int] | None = None  # None: every event, even without namespace
    event_types: frozenset[str] | None = None
    user_ids: frozenset[int] | None = None

    def matches(self, event: UsageEvent) -> bool:
        return (
            self.start_ms <= event.timestamp_ms <= self.end_ms
            and (self.namespace_ids is None or event.namespace_id in self.namespace_ids)
            and (self.event_types is None or event.event in self.event_types)
            and (self.user_ids is None or event.user_id in self.user_ids)
        )


class EventStore:
    """Thread-safe access to every event, generated or added later."""

    def __init__(self, dataset: Dataset, cached_events: int = DEFAULT_CACHED_EVENTS) -> None:
        self.dataset = dataset
        self._cached_events_budget = cached_events
        self._lock = threading.RLock()
        self._days: OrderedDict[date, tuple[UsageEvent, ...]] = OrderedDict()  # LRU, newest 1st
        self._cached_events = 0
        self._late: dict[date, list[UsageEvent]] = {}
        self._next_late_id = LATE_ID_BASE
        self._selections: OrderedDict[tuple[EventFilter, EventBackend], tuple[UsageEvent, ...]] = (
            OrderedDict()
        )
        self._revision = 0  # grows with every add: what was derived from the events is stale

    @property
    def revision(self) -> int:
        with self._lock:
            return self._revision

    # -- reading ------------------------------------------------------------------------------

    def events_on(self, day: date) -> tuple[UsageEvent, ...]:
        """Every event of a UTC day, newest first."""
        with self._lock:
            cached = self._days.get(day)
            if cached is not None:
                self._days.move_to_end(day)
                return cached
            events = list(self.dataset.generate_day(day))
            events.extend(self._late.get(day, ()))
            merged = tuple(sorted(events, key=_newest_first, reverse=True))
            self._remember_day(day, merged)
            return merged

    def select(
        self, event_filter: EventFilter, backend: EventBackend = "postgresql"
    ) -> tuple[UsageEvent, ...]:
        """Events matching the filter, newest first, as the backend's finder returns them.

        `postgresql`: every stored row, `timestamp DESC, id DESC`. `clickhouse`: rows equal
        on namespace, event, timestamp and user collapsed (`collapse`), `timestamp DESC,
        user_id DESC`.
        """
        key = (event_filter, backend)
        with self._lock:
            cached = self._selections.get(key)
            if cached is not None:
                self._selections.move_to_end(key)
                return cached
            if backend == "clickhouse":
                selected = collapse(self.select(event_filter))
            else:
                selected = tuple(self._scan(event_filter))
            self._selections[key] = selected
            if len(self._selections) > _CACHED_SELECTIONS:
                self._selections.popitem(last=False)
            return selected

    def data_days(self) -> tuple[date, date]:
        """The first and last day holding any event, generated or late."""
        with self._lock:
            first, last = self.dataset.first_date, self.dataset.end_date
            if self._late:
                first, last = min(first, *self._late), max(last, *self._late)
            return first, last

    def _scan(self, event_filter: EventFilter) -> Iterable[UsageEvent]:
        first, last = self.data_days()
        day = min(day_of_ms(event_filter.end_ms), last)
        stop = max(day_of_ms(event_filter.start_ms), first)
        while day >= stop:
            for event in self.events_on(day):
                if event_filter.matches(event):
                    yield event
            day -= timedelta(days=1)

    # -- writing ------------------------------------------------------------------------------

    def add(self, raw_events: Iterable[RawEvent]) -> int:
        """Store events that arrive late, with ids above every existing one; returns how many."""
        with self._lock:
            added = 0
            for timestamp, user_id, event, namespace_id, keys, values in raw_events:
                stored = UsageEvent(
                    timestamp, self._next_late_id, user_id, event, namespace_id, keys, values
                )
                self._next_late_id += 1
                day = day_of_ms(timestamp)
                self._late.setdefault(day, []).append(stored)
                self._forget_day(day)
                added += 1
            self._selections.clear()
            self._revision += 1
            return added

    def late_events(self) -> Sequence[UsageEvent]:
        """Every event added after generation, in the order they were added."""
        with self._lock:
            events = [event for day_events in self._late.values() for event in day_events]
            return sorted(events, key=lambda event: event.event_id)

    # -- day cache ----------------------------------------------------------------------------

    def _remember_day(self, day: date, events: tuple[UsageEvent, ...]) -> None:
        self._days[day] = events
        self._cached_events += len(events)
        while self._cached_events > self._cached_events_budget and len(self._days) > 1:
            _, evicted = self._days.popitem(last=False)
            self._cached_events -= len(evicted)

    def _forget_day(self, day: date) -> None:
        evicted = self._days.pop(day, None)
        if evicted is not None:
            self._cached_events -= len(evicted)
