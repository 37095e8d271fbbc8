"""Stream schemas match their queries, and flattened names fit PostgreSQL."""

from __future__ import annotations

import json
import typing as t
from importlib import resources
from types import SimpleNamespace

import pendulum
import pytest

from tap_gitlab_duo import schemas
from tap_gitlab_duo.client import DuoStream
from tap_gitlab_duo.privacy import Identity
from tap_gitlab_duo.scopes import Scope
from tap_gitlab_duo.streams.events import AiUsageEventsStream, CodeSuggestionEventsStream
from tap_gitlab_duo.streams.metrics import AiMetricsStream
from tap_gitlab_duo.tap import STREAM_TYPES
from tests.stream_schemas import DERIVED

POSTGRES_MAX_IDENTIFIER = 63


def stream_name(stream_type: type[DuoStream]) -> str:
    # Each concrete stream class declares its name (the SDK types it per instance).
    return str(vars(stream_type)["name"])


def committed(name: str) -> dict[str, t.Any]:
    return t.cast(
        "dict[str, t.Any]",
        json.loads(resources.files(schemas).joinpath(f"{name}.json").read_text()),
    )


def test_every_stream_has_a_schema_file() -> None:
    for stream_type in STREAM_TYPES:
        assert committed(stream_name(stream_type))["type"] == "object"


@pytest.mark.parametrize("name", sorted(DERIVED))
def test_schema_file_equals_what_the_query_selects(name: str) -> None:
    assert committed(name) == DERIVED[name]()


@pytest.mark.parametrize(
    ("stream_type", "node"),
    [
        (
            CodeSuggestionEventsStream,
            {
                "event": "E",
                "timestamp": "2026-01-01T00:00:00Z",
                "language": "go",
                "suggestionSize": "2",
                "uniqueTrackingId": "u",
                "user": {"id": "gid://gitlab/User/1", "username": "a"},
            },
        ),
        (
            AiUsageEventsStream,
            {
                "event": "E",
                "timestamp": "2026-01-01T00:00:00Z",
                "extras": {},
                "namespacePath": "1/",
                "user": {"id": "gid://gitlab/User/1", "username": "a"},
            },
        ),
    ],
)
def test_event_records_have_exactly_the_schema_fields(
    stream_type: type[CodeSuggestionEventsStream], node: dict[str, t.Any]
) -> None:
    stream = t.cast("CodeSuggestionEventsStream", object.__new__(stream_type))
    stream._tap = SimpleNamespace(people=Identity())  # type: ignore[assignment]
    record = stream.node_to_record(node, Scope("group", "g"))
    record["event_key"] = "k"
    assert set(record) == set(committed(stream_name(stream_type))["properties"])


def test_user_flow_counts_have_exactly_the_schema_fields() -> None:
    stream = t.cast("AiMetricsStream", object.__new__(AiMetricsStream))
    stream._tap = SimpleNamespace(people=Identity())  # type: ignore[assignment]
    flow = {"flowType": "chat", "sessionsCount": 1, "user": {"id": "gid://gitlab/User/1"}}
    report = {"agentPlatform": {"userFlowCounts": [flow]}}
    (record,) = stream.period_records(
        [report], Scope("group", "g"), "day", pendulum.date(2026, 1, 1)
    )
    platform = committed("ai_metrics")["properties"]["agent_platform"]["properties"]
    items = platform["user_flow_counts"]["items"]["properties"]
    assert set(record["agent_platform"]["user_flow_counts"][0]) == set(items)


def _flattened_names(properties: dict[str, t.Any], prefix: str = "") -> list[str]:
    names = []
    for key, value in properties.items():
        name = f"{prefix}__{key}" if prefix else key
        names.append(name)
        if "properties" in value:
            names += _flattened_names(value["properties"], name)
    return names


@pytest.mark.parametrize("stream_type", STREAM_TYPES)
def test_top_level_columns_fit_postgres_identifiers(stream_type: type[DuoStream]) -> None:
    for name in committed(stream_name(stream_type))["properties"]:
        assert len(name) <= POSTGRES_MAX_IDENTIFIER


def test_some_flattened_names_are_too_long_so_flattening_needs_a_key_length() -> None:
    # Nested metric objects become jsonb columns by default. With flattening on, users
    # must set flattening_max_key_length (the README says so): prove the need is real.
    names = _flattened_names(committed("ai_user_metrics")["properties"])
    assert max(len(n) for n in names) > POSTGRES_MAX_IDENTIFIER
