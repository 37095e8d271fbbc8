"""Synthetic event keys: stable on re-read, distinct for identical real events."""

from __future__ import annotations

import copy
import random
from decimal import Decimal

from tap_gitlab_duo.keys import EVENT_KEY_FIELDS, KEY_VERSION, assign_event_keys


def event(**overrides: object) -> dict:
    base = {
        "scope_type": "group",
        "scope_path": "acme",
        "timestamp": "2026-11-01T10:00:00Z",
        "event": "CODE_SUGGESTION_SHOWN_IN_IDE",
        "user_id": 7,
        "username": "ann",
        "language": "python",
        "suggestion_size": "3",
        "unique_tracking_id": "u-1",
    }
    base.update(overrides)
    return base


def keyed(records: list[dict]) -> list[dict]:
    records = copy.deepcopy(records)
    assign_event_keys(records)
    return records


def test_identical_events_get_distinct_keys() -> None:
    records = keyed([event(), event(), event()])
    assert len({r["event_key"] for r in records}) == 3


def test_rereading_a_day_in_any_order_gives_the_same_keys() -> None:
    day = [event(), event(), event(user_id=8), event(timestamp="2026-11-01T10:00:01Z")]
    shuffled = day[:]
    random.Random(3).shuffle(shuffled)
    assert sorted(r["event_key"] for r in keyed(day)) == sorted(
        r["event_key"] for r in keyed(shuffled)
    )


def test_a_late_identical_event_gets_a_new_key_and_keeps_the_old_ones() -> None:
    before = {r["event_key"] for r in keyed([event(), event()])}
    after = {r["event_key"] for r in keyed([event(), event(), event()])}
    assert before < after
    assert len(after - before) == 1


def test_every_key_field_changes_the_key() -> None:
    base = keyed([event(namespace_path="1/2/", extras={"a": 1})])[0]["event_key"]
    for field in EVENT_KEY_FIELDS:
        changed = event(namespace_path="1/2/", extras={"a": 1})
        changed[field] = {"different": True} if field == "extras" else "other"
        assert keyed([changed])[0]["event_key"] != base, field


def test_username_is_not_part_of_the_key() -> None:
    renamed = keyed([event(username="ann.renamed")])[0]["event_key"]
    assert renamed == keyed([event()])[0]["event_key"]


def test_extras_key_order_and_decimal_do_not_matter_for_equal_values() -> None:
    one = keyed([event(extras={"a": 1, "b": Decimal("1.5")})])[0]["event_key"]
    two = keyed([event(extras={"b": Decimal("1.5"), "a": 1})])[0]["event_key"]
    assert one == two


def test_null_user_still_gets_a_key() -> None:
    record = keyed([event(user_id=None, username=None)])[0]
    assert isinstance(record["event_key"], str)
    assert len(record["event_key"]) == 64


def test_key_is_frozen() -> None:
    # Changing the key fields or version doubles every re-read day in the warehouse:
    # this value must only change together with a documented migration.
    assert KEY_VERSION == 1
    assert keyed([event()])[0]["event_key"] == FROZEN_KEY


FROZEN_KEY = "c0aac243694c23f2d581704568d48125ff7bd3f4a4146c9e4dd093341eb16bc4"
