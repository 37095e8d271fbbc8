"""The pure parts of tie-safe paging: cursors, page ends, packing event types."""

from __future__ import annotations

import base64
import json
from collections import Counter

from tap_gitlab_duo.backend import CLICKHOUSE, POSTGRESQL, UNKNOWN, cursor_backend
from tap_gitlab_duo.streams.ties import PAGE_END, _packed, page_end_users


def cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_the_cursor_tells_a_unique_key_from_a_tied_one() -> None:
    assert cursor_backend(cursor({"timestamp": "2026-10-05 10:00:00.1", "id": "7"})) == POSTGRESQL
    assert cursor_backend(cursor({"timestamp": "2026-10-05 10:00:00.1", "user_id": 7})) == (
        CLICKHOUSE
    )
    for opaque in (None, "", "not base64!", cursor([1, 2]), cursor({"offset": 100})):
        assert cursor_backend(opaque) == UNKNOWN


def test_only_page_ends_on_the_day_itself_count() -> None:
    nodes: list[dict[str, object]] = [
        {"timestamp": "2026-10-05T23:59:59Z", "user": {"id": "u1"}, PAGE_END: True},
        {"timestamp": "2026-10-06T00:00:00Z", "user": {"id": "u2"}, PAGE_END: True},
        {"timestamp": "2026-10-05T10:00:00Z", "user": {"id": "u3"}},
        {"timestamp": "2026-10-05T09:00:00Z", "user": None, PAGE_END: True},
    ]
    assert page_end_users(nodes, "2026-10-05") == ({"u1"}, True)


def test_event_types_are_packed_into_parts_that_fit_a_page() -> None:
    counts = Counter({"SHOWN": 70, "ACCEPTED": 30, "REJECTED": 40, "CHAT": 5})
    parts = _packed(counts, 100)
    assert sorted(name for part in parts for name in part) == sorted(counts)
    assert all(sum(counts[name] for name in part) <= 75 for part in parts)


def test_one_event_type_alone_cannot_be_split_but_two_always_are() -> None:
    assert _packed(Counter({"SHOWN": 500}), 100) == [("SHOWN",)]
    assert len(_packed(Counter({"SHOWN": 10, "ACCEPTED": 10}), 100)) == 2
