"""Events that arrive after the fact: posted explicitly, or generated realistically.

GitLab accepts client-stamped events up to three months old (IDE extensions send their own
timestamps), so rows keep appearing in days an extractor has already read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from simulator.activities import RawEvent
from simulator.dataset import Dataset
from simulator.events import EVENT_TYPES, NO_EXTRAS_KEYS, NO_EXTRAS_VALUES
from simulator.org import Organisation
from simulator.store import EventStore
from simulator.timeutil import day_end_ms, day_start_ms, parse_timestamp_ms

_IDENTICAL_SHARE = 0.25  # late repeats of an event already stored, field for field


class InvalidEventError(ValueError):
    """A posted event that GitLab could not have stored."""


def parse_event(org: Organisation, item: object) -> RawEvent:
    """One `{"timestamp", "event", "user_id", "namespace", "extras"}` object as a raw event."""
    if not isinstance(item, Mapping):
        raise InvalidEventError("each event must be a JSON object")
    timestamp = item.get("timestamp")
    if not isinstance(timestamp, str):
        raise InvalidEventError("timestamp must be an ISO 8601 string")
    try:
        timestamp_ms = parse_timestamp_ms(timestamp)
    except ValueError as error:
        raise InvalidEventError(f"timestamp {timestamp!r} is not ISO 8601") from error
    event = item.get("event")
    if event not in EVENT_TYPES:
        raise InvalidEventError(f"event {event!r} is not an AiUsageEventType value")
    user_id = item.get("user_id")
    if not isinstance(user_id, int) or user_id not in org.user_by_id:
        raise InvalidEventError(f"user_id {user_id!r} is not a known user")
    namespace_path = item.get("namespace")
    namespace_id = None
    if namespace_path is not None:
        namespace = (
            org.namespace_by_path.get(namespace_path) if isinstance(namespace_path, str) else None
        )
        if namespace is None:
            raise InvalidEventError(f"namespace {namespace_path!r} is not a known group or project")
        namespace_id = namespace.id
    extras = item.get("extras") or {}
    if not isinstance(extras, Mapping):
        raise InvalidEventError("extras must be a JSON object")
    keys = tuple(str(key) for key in extras) or NO_EXTRAS_KEYS
    values = tuple(extras.values()) or NO_EXTRAS_VALUES
    return (timestamp_ms, user_id, str(event), namespace_id, keys, values)


def generate_late_events(
    dataset: Dataset, store: EventStore, count: int, days_back: int, seed: int
) -> list[RawEvent]:
    """`count` realistic events stamped in the `days_back` days before the dataset's end date.

    About a quarter repeat an event already stored on that day (same user, event, namespace,
    extras and second), the rest are fresh activity. The same arguments on the same store
    give the same events.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if days_back < 1:
        raise ValueError("days_back must be at least 1")
    rng = dataset.rng_for(f"late-events/{seed}")
    generator = dataset.activities(rng)
    days = [dataset.end_date - timedelta(days=back) for back in range(1, days_back + 1)]
    out: list[RawEvent] = []
    while len(out) < count:
        day = rng.choice(days)
        existing = store.events_on(day)
        if existing and rng.random() < _IDENTICAL_SHARE:
            original = rng.choice(existing)
            out.append(generator.copy_with_jitter((original.timestamp_ms, *original[2:])))
            continue
        user_id = dataset.pick_user(rng)
        start = day_start_ms(day) + generator.time_of_day_ms(user_id)
        generator.emit(out, user_id, start, day_end_ms(day))
    return out[:count]
