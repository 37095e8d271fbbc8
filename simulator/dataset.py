"""Deterministic usage events, one UTC day at a time.

Each day is generated from its own seed, derived from (seed, day), so any day can be
generated alone, lazily, in any order, and always comes out the same. Within a day, events
are sorted by timestamp and numbered: ids grow with time as PostgreSQL sequence ids do.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter

from simulator.activities import ActivityGenerator, Habits, RawEvent, build_habits
from simulator.events import UsageEvent
from simulator.org import Organisation
from simulator.timeutil import DAY_MS, EPOCH, SECOND_MS, day_start_ms
from simulator.weighted import WeightedChoice

# Ids of generated events are `epoch day * DAY_ID_STRIDE + rank in the day`: stable whatever
# else was generated, and increasing with time. Events added later get ids above all of them.
DAY_ID_STRIDE = 1 << 28
LATE_ID_BASE = 1 << 53

_USAGE_WEIGHT = {"heavy": 12.0, "regular": 5.0, "light": 1.5, "idle": 0.0}
_BOT_WEIGHT = 3.0
_WEEKEND_FACTOR = 0.3
_MEAN_WEEK_FACTOR = (5 + 2 * _WEEKEND_FACTOR) / 7  # keeps `events_per_day` the average
# Same-millisecond companions (see `_add_same_instant_companions`).
_NEXT_SHOWN_SHARE = 0.15  # rejections answered by the next suggestion in the same ms
_SAME_MS_PUBLISH = 0.5  # code review comments posted and published in the same ms


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: `days` days ending on `end_date` (inclusive)."""

    seed: int = 42
    end_date: date = date(2025, 9, 30)
    days: int = 45
    events_per_day: int = 1500

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not 0 <= self.events_per_day * 3 < DAY_ID_STRIDE:
            raise ValueError(f"events_per_day must be between 0 and {DAY_ID_STRIDE // 3}")

    @property
    def first_date(self) -> date:
        return self.end_date - timedelta(days=self.days - 1)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a day is built.

    Building a day allocates tens of thousands of tuples, which keeps triggering collections
    that find nothing (events hold no cycles); pausing makes generation about 30 % faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Dataset:
    """The generated part of the event store (late events live in the store)."""

    def __init__(self, spec: DatasetSpec, org: Organisation) -> None:
        self.spec = spec
        self.org = org
        self.habits: Mapping[int, Habits] = build_habits(org)
        self._users = WeightedChoice(
            (user.id, _BOT_WEIGHT if user.bot else _USAGE_WEIGHT[user.activity])
            for user in org.users
        )

    @property
    def first_date(self) -> date:
        return self.spec.first_date

    @property
    def end_date(self) -> date:
        return self.spec.end_date

    def covers(self, day: date) -> bool:
        return self.first_date <= day <= self.end_date

    def days(self) -> Iterator[date]:
        """Every generated day, oldest first."""
        day = self.first_date
        while day <= self.end_date:
            yield day
            day += timedelta(days=1)

    def rng_for(self, purpose: str) -> random.Random:
        """A generator seeded from the dataset seed and `purpose`: stable across processes."""
        return random.Random(f"gitlab-simulator/{self.spec.seed}/{purpose}")

    def activities(self, rng: random.Random) -> ActivityGenerator:
        return ActivityGenerator(self.habits, rng)

    def pick_user(self, rng: random.Random) -> int:
        return self._users.pick(rng)

    def generate_day(self, day: date) -> list[UsageEvent]:
        """All generated events of `day`, oldest first; empty outside the dataset's days."""
        if not self.covers(day) or self.spec.events_per_day == 0:
            return []
        rng = self.rng_for(day.isoformat())
        with _collector_paused():
            raw = self._raw_day(rng, day)
            raw.sort(key=itemgetter(0))  # stable: ties keep generation order, hence stable ids
            first_id = (day - EPOCH).days * DAY_ID_STRIDE
            return [
                UsageEvent(timestamp, first_id + rank, user_id, event, namespace_id, keys, values)
                for rank, (timestamp, user_id, event, namespace_id, keys, values) in enumerate(raw)
            ]

    def _raw_day(self, rng: random.Random, day: date) -> list[RawEvent]:
        generator = self.activities(rng)
        start = day_start_ms(day)
        end = start + DAY_MS - 1
        target = self._event_count(rng, day)
        out: list[RawEvent] = []
        while len(out) < target:
            user_id = self.pick_user(rng)
            generator.emit(out, user_id, start + generator.time_of_day_ms(user_id), end)
        self._add_hard_cases(rng, generator, out, start, end)
        self._add_same_instant_companions(day, out)
        return out

    def _event_count(self, rng: random.Random, day: date) -> int:
        factor = _WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
        jitter = rng.uniform(0.85, 1.15)
        return round(self.spec.events_per_day * factor / _MEAN_WEEK_FACTOR * jitter)

    def _add_hard_cases(
        self,
        rng: random.Random,
        generator: ActivityGenerator,
        out: list[RawEvent],
        start: int,
        end: int,
    ) -> None:
        """Edge cases a correct extractor must survive, a few of each every day."""
        # Activities starting exactly at midnight and in the last 100 ms of the day: they
        # test the day boundaries and how an explicit endDate is compared.
        for _ in range(rng.randint(1, 2)):
            generator.emit(out, self.pick_user(rng), start, end)
        for _ in range(rng.randint(1, 2)):
            generator.emit(out, self.pick_user(rng), end - rng.randrange(100), end)
        # Genuine repeats: same user, event, namespace and extras in the same second (and
        # sometimes the same millisecond), identical in the API's output.
        if out:
            for _ in range(rng.randint(2, 4)):
                out.append(generator.copy_with_jitter(rng.choice(out)))

    def _add_same_instant_companions(self, day: date, out: list[RawEvent]) -> None:
        """Rows of one user in one millisecond that differ in event or namespace.

        ClickHouse pages events by (timestamp, user_id), which such rows share: when they
        straddle a page boundary, GitLab's keyset skips those after it. Drawn from a random
        stream of their own, after everything else, so the rest of the day is unchanged.
        """
        rng = self.rng_for(f"{day.isoformat()}/same-instant")
        generator = self.activities(rng)
        companions: list[RawEvent] = []
        publishing: dict[tuple[int, int | None], int] = {}
        for index, event in enumerate(out):
            name = event[2]
            if name == "CODE_SUGGESTION_REJECTED_IN_IDE" and rng.random() < _NEXT_SHOWN_SHARE:
                companions.append(generator.next_suggestion_shown(event))
            elif name == "POST_COMMENT_DUO_CODE_REVIEW_ON_DIFF":
                publishing[(event[1], event[3])] = event[0]
            elif name == "PUBLISH_DUO_CODE_REVIEW_COMMENTS" and rng.random() < _SAME_MS_PUBLISH:
                # Comments posted and published by one request: the same millisecond.
                posted = publishing.pop((event[1], event[3]), None)
                if posted is not None and 0 <= event[0] - posted <= 2 * SECOND_MS:
                    out[index] = (posted, *event[1:])
        for _ in range(rng.randint(1, 3)):
            twin = generator.namespace_twin(rng.choice(out)) if out else None
            if twin is not None:
                companions.append(twin)
        out.extend(companions)
