"""The GitLab simulator, checked over real HTTP as the tap will use it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from graphql import GraphQLEnumType, build_schema

from simulator import (
    ADMIN_TOKEN,
    GUEST_TOKEN,
    OUTSIDER_TOKEN,
    OWNER_TOKEN,
    REPORTER_TOKEN,
    Simulator,
    SimulatorConfig,
)
from simulator.dataset import Dataset, DatasetSpec
from simulator.events import CODE_SUGGESTION_EVENTS, EVENT_TYPES
from simulator.org import build_organisation
from simulator.timeutil import day_start_ms

REPO = Path(__file__).resolve().parents[1]
END = date(2025, 9, 30)  # a Tuesday
BUSY_DAY = date(2025, 9, 29)  # a Monday: well over 100 events per scope
SECOND_PRECISION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

EVENTS_QUERY = """
query Events($fullPath: ID!, $startDate: Date, $endDate: Date, $first: Int, $after: String,
             $events: [AiUsageEventType!], $userIds: [UserID!]) {
  group(fullPath: $fullPath) {
    aiUsageData {
      all(startDate: $startDate, endDate: $endDate, first: $first, after: $after,
          events: $events, userIds: $userIds) {
        nodes { event timestamp user { id username } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}
"""

SCOPED_QUERIES = {
    ("group", "all"): """
query($path: ID!, $startDate: Date, $endDate: Date, $after: String) {
  scope: group(fullPath: $path) { aiUsageData { conn: all(startDate: $startDate,
    endDate: $endDate, first: 100, after: $after) {
    nodes { event timestamp user { id username } } pageInfo { hasNextPage endCursor } } } }
}""",
    ("project", "all"): """
query($path: ID!, $startDate: Date, $endDate: Date, $after: String) {
  scope: project(fullPath: $path) { aiUsageData { conn: all(startDate: $startDate,
    endDate: $endDate, first: 100, after: $after) {
    nodes { event timestamp user { id username } } pageInfo { hasNextPage endCursor } } } }
}""",
    ("group", "code_suggestions"): """
query($path: ID!, $startDate: Date, $endDate: Date, $after: String) {
  scope: group(fullPath: $path) { aiUsageData { conn: codeSuggestionEvents(
    startDate: $startDate, endDate: $endDate, first: 100, after: $after) {
    nodes { event timestamp language suggestionSize uniqueTrackingId user { id username } }
    pageInfo { hasNextPage endCursor } } } }
}""",
    ("instance", "all"): """
query($startDate: Date, $endDate: Date, $after: String) {
  scope: aiUsageData { conn: all(startDate: $startDate, endDate: $endDate, first: 100,
    after: $after) {
    nodes { event timestamp extras namespacePath user { id username } }
    pageInfo { hasNextPage endCursor } } }
}""",
}


def small_config(**overrides: Any) -> SimulatorConfig:
    settings: dict[str, Any] = {"seed": 7, "end_date": END, "days": 10, "events_per_day": 200}
    settings.update(overrides)
    return SimulatorConfig(**settings)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """A simulator that no test changes."""
    with Simulator(small_config()) as simulator:
        yield simulator


@pytest.fixture
def fresh_sim() -> Iterator[Simulator]:
    """A simulator of its own, for tests that add events or change settings."""
    with Simulator(small_config()) as simulator:
        yield simulator


def post_graphql(
    sim: Simulator,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = ADMIN_TOKEN,
    operation_name: str | None = None,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name:
        body["operationName"] = operation_name
    return requests.post(sim.graphql_url, json=body, headers=headers, timeout=30)


def graphql(
    sim: Simulator,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = ADMIN_TOKEN,
) -> dict[str, Any]:
    response = post_graphql(sim, query, variables, token)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def read_day(
    sim: Simulator, scope_type: str, scope_path: str, day: date, kind: str = "all"
) -> tuple[list[dict[str, Any]], int]:
    """Every node of day `day` the robust way (startDate D, endDate D+1, keep D), and pages."""
    query = SCOPED_QUERIES[(scope_type, kind)]
    variables: dict[str, Any] = {
        "startDate": day.isoformat(),
        "endDate": (day + timedelta(days=1)).isoformat(),
    }
    if scope_type != "instance":
        variables["path"] = scope_path
    nodes: list[dict[str, Any]] = []
    pages = 0
    after = None
    while True:
        payload = graphql(sim, query, {**variables, "after": after})
        assert "errors" not in payload, payload
        scope = payload["data"]["scope"]
        connection = scope["conn"] if scope_type == "instance" else scope["aiUsageData"]["conn"]
        nodes.extend(connection["nodes"])
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return [n for n in nodes if n["timestamp"].startswith(day.isoformat())], pages
        after = connection["pageInfo"]["endCursor"]


def as_truth_record(node: dict[str, Any], scope_type: str, kind: str) -> tuple[Any, ...]:
    """A node in the shape of a truth record, hashable for multiset comparison."""
    user_id = int(node["user"]["id"].rsplit("/", 1)[1])
    code = kind == "code_suggestions"
    instance = scope_type == "instance"
    return (
        node["timestamp"],
        node["event"],
        user_id,
        node["user"]["username"],
        node.get("language") if code else None,
        node.get("suggestionSize") if code else None,
        node.get("uniqueTrackingId") if code else None,
        node.get("namespacePath") if instance else None,
        repr(sorted(node["extras"].items())) if instance else None,
    )


def truth_multiset(records: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter(
        (
            r["timestamp"],
            r["event"],
            r["user_id"],
            r["username"],
            r["language"],
            r["suggestion_size"],
            r["unique_tracking_id"],
            r["namespace_path"],
            repr(sorted(r["extras"].items())) if r["extras"] is not None else None,
        )
        for r in records
    )


def http_truth(sim: Simulator, **params: str) -> list[dict[str, Any]]:
    response = requests.get(f"{sim.url}/-/simulator/truth", params=params, timeout=30)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


# -- authentication and visibility ------------------------------------------------------------


def test_unknown_token_is_refused_with_gitlab_401_body(sim: Simulator) -> None:
    bearer = post_graphql(sim, '{ group(fullPath: "acme-corp") { id } }', token="glpat-wrong")
    private = requests.post(
        sim.graphql_url,
        json={"query": "{ queryComplexity { score } }"},
        headers={"PRIVATE-TOKEN": "glpat-wrong"},
        timeout=30,
    )
    for response in (bearer, private):
        assert response.status_code == 401
        assert response.json() == {"errors": [{"message": "Invalid token"}]}


def test_private_token_header_authenticates(sim: Simulator) -> None:
    response = requests.post(
        sim.graphql_url,
        json={"query": '{ group(fullPath: "acme-corp") { id fullPath name } }'},
        headers={"PRIVATE-TOKEN": OWNER_TOKEN},
        timeout=30,
    )
    assert response.json() == {
        "data": {
            "group": {"id": "gid://gitlab/Group/9970", "fullPath": "acme-corp", "name": "ACME Corp"}
        }
    }


def test_anonymous_callers_see_nothing_private(sim: Simulator) -> None:
    payload = graphql(
        sim,
        """{ group(fullPath: "acme-corp") { id } project(fullPath: "globex/website") { id }
             aiUsageData { all { nodes { event } } } }""",
        token=None,
    )
    assert payload == {"data": {"group": None, "project": None, "aiUsageData": None}}


@pytest.mark.parametrize(
    ("token", "visible"),
    [(ADMIN_TOKEN, True), (OWNER_TOKEN, False), (REPORTER_TOKEN, False), (GUEST_TOKEN, False)],
)
def test_instance_usage_data_is_for_admins_only(sim: Simulator, token: str, visible: bool) -> None:
    payload = graphql(sim, "{ aiUsageData { all(first: 1) { nodes { event } } } }", token=token)
    assert "errors" not in payload
    assert (payload["data"]["aiUsageData"] is not None) is visible


@pytest.mark.parametrize(
    ("token", "sees_group", "sees_usage"),
    [
        (ADMIN_TOKEN, True, True),
        (OWNER_TOKEN, True, True),
        (REPORTER_TOKEN, True, True),
        (GUEST_TOKEN, True, False),
        (OUTSIDER_TOKEN, False, False),
    ],
)
def test_group_usage_data_needs_reporter(
    sim: Simulator, token: str, sees_group: bool, sees_usage: bool
) -> None:
    payload = graphql(
        sim,
        '{ group(fullPath: "acme-corp/product") { fullPath aiUsageData { __typename } } }',
        token=token,
    )
    assert "errors" not in payload
    group = payload["data"]["group"]
    assert (group is not None) is sees_group
    assert (group is not None and group["aiUsageData"] is not None) is sees_usage


def test_unknown_paths_resolve_to_null(sim: Simulator) -> None:
    payload = graphql(
        sim,
        """{ nope: group(fullPath: "acme-corp/nope") { id }
             projectAsGroup: group(fullPath: "acme-corp/product/web-app") { id }
             missing: project(fullPath: "globex/nope") { id }
             project(fullPath: "acme-corp/product/web-app") { id fullPath } }""",
    )
    assert payload == {
        "data": {
            "nope": None,
            "projectAsGroup": None,
            "missing": None,
            "project": {
                "id": "gid://gitlab/Project/52019",
                "fullPath": "acme-corp/product/web-app",
            },
        }
    }


# -- ordering, paging, cursors ----------------------------------------------------------------


def test_events_come_newest_first(sim: Simulator) -> None:
    nodes, _ = read_day(sim, "instance", "", BUSY_DAY)
    timestamps = [node["timestamp"] for node in nodes]
    assert len(timestamps) > 100
    assert timestamps == sorted(timestamps, reverse=True)
    assert timestamps[0] > timestamps[-1]


@pytest.mark.parametrize(
    ("scope_type", "scope_path", "kind", "several_pages"),
    [
        ("group", "acme-corp", "all", True),
        ("group", "acme-corp/platform", "all", False),
        ("project", "acme-corp/product/web-app", "all", False),
        ("group", "acme-corp", "code_suggestions", True),
        ("instance", "", "all", True),
    ],
)
def test_paging_through_a_day_gives_exactly_the_truth(
    sim: Simulator, scope_type: str, scope_path: str, kind: str, several_pages: bool
) -> None:
    nodes, pages = read_day(sim, scope_type, scope_path, BUSY_DAY, kind)
    truth = http_truth(
        sim,
        scope_type=scope_type,
        scope_path=scope_path,
        start=BUSY_DAY.isoformat(),
        end=BUSY_DAY.isoformat(),
        kind=kind,
    )
    assert len(truth) > 0
    assert Counter(as_truth_record(n, scope_type, kind) for n in nodes) == truth_multiset(truth)
    assert (pages > 1) is several_pages


def test_first_is_capped_at_100_and_defaults_to_100(sim: Simulator) -> None:
    variables = {"fullPath": "acme-corp", "startDate": "2025-09-28", "endDate": "2025-09-30"}
    capped = graphql(sim, EVENTS_QUERY, {**variables, "first": 500})
    default = graphql(sim, EVENTS_QUERY, variables)
    for payload in (capped, default):
        connection = payload["data"]["group"]["aiUsageData"]["all"]
        assert len(connection["nodes"]) == 100
        assert connection["pageInfo"]["hasNextPage"] is True


def test_page_info_and_cursors(sim: Simulator) -> None:
    query = """
    query($after: String, $first: Int) { aiUsageData { all(startDate: "2025-09-29",
        endDate: "2025-09-30", first: $first, after: $after) {
      edges { cursor node { event timestamp user { id } } }
      nodes { event timestamp user { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
    first = graphql(sim, query, {"first": 10})["data"]["aiUsageData"]["all"]
    assert [edge["node"] for edge in first["edges"]] == first["nodes"]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    assert first["pageInfo"]["hasPreviousPage"] is False
    # Resuming from the 5th edge gives the 6th onwards.
    resumed = graphql(sim, query, {"first": 5, "after": first["edges"][4]["cursor"]})
    resumed_conn = resumed["data"]["aiUsageData"]["all"]
    assert resumed_conn["nodes"] == first["nodes"][5:10]
    assert resumed_conn["pageInfo"]["hasPreviousPage"] is True


def test_last_page_keeps_its_end_cursor(sim: Simulator) -> None:
    variables: dict[str, Any] = {
        "fullPath": "acme-corp/platform/infra",
        "startDate": "2025-09-29",
        "endDate": "2025-09-30",
        "first": 100,
    }
    connection = graphql(sim, EVENTS_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]
    while connection["pageInfo"]["hasNextPage"]:
        variables["after"] = connection["pageInfo"]["endCursor"]
        connection = graphql(sim, EVENTS_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]
    assert connection["nodes"]
    assert connection["pageInfo"]["endCursor"] is not None
    # Past the end: an empty page, no cursors.
    variables["after"] = connection["pageInfo"]["endCursor"]
    empty = graphql(sim, EVENTS_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]
    assert empty["nodes"] == []
    assert empty["pageInfo"]["hasNextPage"] is False
    assert empty["pageInfo"]["endCursor"] is None


def test_has_next_page_is_exact_on_a_full_last_page(sim: Simulator) -> None:
    variables: dict[str, Any] = {
        "fullPath": "globex",
        "startDate": "2025-09-29",
        "endDate": "2025-09-30",
        "events": ["CODE_SUGGESTION_SHOWN_IN_IDE"],
    }
    everything = graphql(sim, EVENTS_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]
    count = len(everything["nodes"])
    assert 1 < count < 100
    assert everything["pageInfo"]["hasNextPage"] is False
    exact = graphql(sim, EVENTS_QUERY, {**variables, "first": count})
    short = graphql(sim, EVENTS_QUERY, {**variables, "first": count - 1})
    assert exact["data"]["group"]["aiUsageData"]["all"]["pageInfo"]["hasNextPage"] is False
    assert short["data"]["group"]["aiUsageData"]["all"]["pageInfo"]["hasNextPage"] is True


def test_last_and_before_page_backwards(sim: Simulator) -> None:
    query = """
    query($last: Int, $before: String) { aiUsageData { all(startDate: "2025-09-29",
        endDate: "2025-09-30", first: 20) { nodes { timestamp event user { id } }
        edges { cursor } } back: all(startDate: "2025-09-29", endDate: "2025-09-30",
        last: $last, before: $before) { nodes { timestamp event user { id } }
        pageInfo { hasNextPage hasPreviousPage } } } }"""
    first20 = graphql(sim, query, {"last": 1})["data"]["aiUsageData"]["all"]
    data = graphql(sim, query, {"last": 5, "before": first20["edges"][15]["cursor"]})
    back = data["data"]["aiUsageData"]["back"]
    assert back["nodes"] == first20["nodes"][10:15]
    assert back["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}


def test_garbage_cursor_is_an_error_on_the_field(sim: Simulator) -> None:
    payload = graphql(sim, EVENTS_QUERY, {"fullPath": "acme-corp", "after": "bm90IGEgY3Vyc29y"})
    assert payload["data"] == {"group": {"aiUsageData": {"all": None}}}
    assert [e["message"] for e in payload["errors"]] == ["Invalid cursor given"]
    assert payload["errors"][0]["path"] == ["group", "aiUsageData", "all"]


# -- date arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        ("2025-09-01", "2025-09-30", True),
        ("2025-09-01", "2025-10-01", False),
        ("2025-08-31", "2025-09-30", True),  # September 30 minus a month is August 30
        ("2025-08-30", "2025-09-30", False),
        ("2025-03-01", "2025-03-31", True),
        ("2025-02-28", "2025-03-31", False),  # March 31 minus a month is February 28
    ],
)
def test_date_range_must_be_shorter_than_a_calendar_month(
    sim: Simulator, start: str, end: str, allowed: bool
) -> None:
    response = post_graphql(
        sim, EVENTS_QUERY, {"fullPath": "acme-corp", "startDate": start, "endDate": end, "first": 1}
    )
    assert response.status_code == 200
    payload = response.json()
    if allowed:
        assert "errors" not in payload
    else:
        assert payload["data"] == {"group": {"aiUsageData": {"all": None}}}
        assert payload["errors"][0]["message"] == "maximum date range is 1 month"
        assert payload["errors"][0]["path"] == ["group", "aiUsageData", "all"]


def test_inverted_date_range_is_empty_not_an_error(sim: Simulator) -> None:
    payload = graphql(
        sim,
        EVENTS_QUERY,
        {"fullPath": "acme-corp", "startDate": "2025-09-29", "endDate": "2025-09-27"},
    )
    assert payload == {
        "data": {
            "group": {
                "aiUsageData": {
                    "all": {
                        "nodes": [],
                        "pageInfo": {
                            "hasNextPage": False,
                            "hasPreviousPage": False,
                            "startCursor": None,
                            "endCursor": None,
                        },
                    }
                }
            }
        }
    }


def test_date_arguments_accept_timestamps_cut_to_their_date(sim: Simulator) -> None:
    as_dates = graphql(
        sim,
        EVENTS_QUERY,
        {"fullPath": "acme-corp", "startDate": "2025-09-28", "endDate": "2025-09-29"},
    )
    as_times = graphql(
        sim,
        EVENTS_QUERY,
        {
            "fullPath": "acme-corp",
            "startDate": "2025-09-28T17:00:00Z",
            "endDate": "2025-09-29T23:00:00Z",
        },
    )
    assert as_times == as_dates
    assert as_dates["data"]["group"]["aiUsageData"]["all"]["nodes"]


def _instance_timestamps(sim: Simulator, start: str, end: str) -> list[str]:
    query = """query($s: Date, $e: Date, $after: String) { aiUsageData { all(startDate: $s,
        endDate: $e, after: $after) {
        nodes { timestamp } pageInfo { hasNextPage endCursor } } } }"""
    timestamps: list[str] = []
    after = None
    while True:
        connection = graphql(sim, query, {"s": start, "e": end, "after": after})["data"][
            "aiUsageData"
        ]["all"]
        timestamps.extend(node["timestamp"] for node in connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            return timestamps
        after = connection["pageInfo"]["endCursor"]


def test_exclusive_end_date_keeps_only_events_at_its_midnight(sim: Simulator) -> None:
    day, next_day = BUSY_DAY, BUSY_DAY + timedelta(days=1)
    at_midnight = [
        e for e in sim.store.events_on(next_day) if e.timestamp_ms == day_start_ms(next_day)
    ]
    assert at_midnight  # every day has events at exactly 00:00:00.000
    timestamps = _instance_timestamps(sim, day.isoformat(), next_day.isoformat())
    on_next_day = [t for t in timestamps if t.startswith(next_day.isoformat())]
    assert on_next_day == [f"{next_day.isoformat()}T00:00:00Z"] * len(at_midnight)
    on_day = [t for t in timestamps if t.startswith(day.isoformat())]
    assert len(on_day) == len(sim.store.events_on(day))


def test_inclusive_end_date_mode_covers_the_whole_end_date(fresh_sim: Simulator) -> None:
    day = BUSY_DAY
    exclusive = _instance_timestamps(fresh_sim, day.isoformat(), day.isoformat())
    response = requests.post(
        f"{fresh_sim.url}/-/simulator/settings", json={"end_date_mode": "inclusive"}, timeout=30
    )
    assert response.json()["end_date_mode"] == "inclusive"
    inclusive = _instance_timestamps(fresh_sim, day.isoformat(), day.isoformat())
    assert set(exclusive) == {f"{day.isoformat()}T00:00:00Z"}
    assert len(inclusive) == len(fresh_sim.store.events_on(day))
    assert all(t.startswith(day.isoformat()) for t in inclusive)


def test_settings_reject_unknown_knobs_and_values(fresh_sim: Simulator) -> None:
    url = f"{fresh_sim.url}/-/simulator/settings"
    assert requests.post(url, json={"latency": 5}, timeout=30).status_code == 400
    assert requests.post(url, json={"end_date_mode": "sometimes"}, timeout=30).status_code == 400
    assert requests.get(url, timeout=30).json() == {
        "end_date_mode": "exclusive",
        "clickhouse": True,
        "latency_ms": 0,
        "latency_jitter_ms": 0,
        "rate_limit_per_minute": 0,
        "rate_limit_period_seconds": 60,
        "faults": [],
    }


def test_default_window_is_the_last_seven_days() -> None:
    frozen = Simulator(small_config(clock=lambda: datetime(2025, 9, 30, 12, tzinfo=timezone.utc)))
    with frozen:
        payload = graphql(frozen, "{ aiUsageData { all(last: 1) { nodes { timestamp } } } }")
        oldest = payload["data"]["aiUsageData"]["all"]["nodes"][0]["timestamp"]
        newest = graphql(frozen, "{ aiUsageData { all(first: 1) { nodes { timestamp } } } }")
    assert oldest.startswith("2025-09-23T00:00:0")  # 7 days before today, from 00:00
    assert newest["data"]["aiUsageData"]["all"]["nodes"][0]["timestamp"].startswith(
        "2025-09-30T23:59:59"
    )


# -- node contents ----------------------------------------------------------------------------


def test_timestamps_are_rendered_in_whole_seconds(sim: Simulator) -> None:
    nodes, _ = read_day(sim, "group", "acme-corp", BUSY_DAY, "code_suggestions")
    assert nodes
    assert all(SECOND_PRECISION.match(node["timestamp"]) for node in nodes)
    assert any(not node["timestamp"].endswith(":00Z") for node in nodes)


def test_code_suggestion_nodes_carry_extras_columns(sim: Simulator) -> None:
    nodes, _ = read_day(sim, "group", "acme-corp", BUSY_DAY, "code_suggestions")
    assert {node["event"] for node in nodes} <= CODE_SUGGESTION_EVENTS
    shown = [n for n in nodes if n["event"] == "CODE_SUGGESTION_SHOWN_IN_IDE"]
    assert shown
    assert all(n["language"] and n["suggestionSize"].isdigit() for n in shown)
    accepted_ids = {
        n["uniqueTrackingId"] for n in nodes if n["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE"
    }
    assert accepted_ids
    assert accepted_ids <= {n["uniqueTrackingId"] for n in shown}


def test_instance_nodes_have_extras_and_traversal_paths(sim: Simulator) -> None:
    nodes, _ = read_day(sim, "instance", "", BUSY_DAY)
    paths = {node["namespacePath"] for node in nodes}
    assert "9970/10002/10013/" in paths  # acme-corp/product/web-app's project namespace
    assert None in paths  # events without a namespace exist at instance level only
    agent = [n for n in nodes if n["event"] == "AGENT_PLATFORM_SESSION_CREATED"]
    assert agent
    assert set(agent[0]["extras"]) == {"project_id", "session_id", "flow_type", "environment"}
    chat = [n for n in nodes if n["event"] == "REQUEST_DUO_CHAT_RESPONSE"]
    assert chat
    assert all(n["extras"] == {} for n in chat)


def test_user_core_fields(sim: Simulator) -> None:
    query = """{ aiUsageData { all(startDate: "2025-09-22", endDate: "2025-09-30") {
        nodes { user { id username name state bot human webUrl } } } } }"""
    users = [n["user"] for n in graphql(sim, query)["data"]["aiUsageData"]["all"]["nodes"]]
    assert users
    for user in users:
        assert re.match(r"^gid://gitlab/User/\d+$", user["id"])
        assert user["human"] is not user["bot"]
        assert user["webUrl"] == f"{sim.url}/{user['username']}"
        assert user["state"] in {"active", "blocked", "deactivated"}


def test_identical_events_are_all_returned(sim: Simulator) -> None:
    for day in (BUSY_DAY, BUSY_DAY - timedelta(days=1), BUSY_DAY - timedelta(days=2)):
        truth = truth_multiset(
            http_truth(sim, scope_type="instance", start=day.isoformat(), end=day.isoformat())
        )
        repeated = {record: count for record, count in truth.items() if count > 1}
        assert repeated, f"no identical events on {day}"
        nodes, _ = read_day(sim, "instance", "", day)
        served = Counter(as_truth_record(n, "instance", "all") for n in nodes)
        assert {record: served[record] for record in repeated} == repeated


# -- filters ----------------------------------------------------------------------------------


def test_events_and_user_filters(sim: Simulator) -> None:
    variables = {
        "fullPath": "acme-corp",
        "startDate": "2025-09-22",
        "endDate": "2025-09-30",
        "events": ["REQUEST_DUO_CHAT_RESPONSE"],
        "userIds": ["gid://gitlab/User/1207"],
    }
    nodes = graphql(sim, EVENTS_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]["nodes"]
    assert nodes
    assert {n["event"] for n in nodes} == {"REQUEST_DUO_CHAT_RESPONSE"}
    assert {n["user"]["username"] for n in nodes} == {"alice.nguyen"}


def test_code_suggestion_events_ignore_the_events_argument(sim: Simulator) -> None:
    query = """{ group(fullPath: "acme-corp") { aiUsageData { codeSuggestionEvents(
        startDate: "2025-09-29", endDate: "2025-09-30", events: [REQUEST_DUO_CHAT_RESPONSE]) {
        nodes { event } } } } }"""
    nodes = graphql(sim, query)["data"]["group"]["aiUsageData"]["codeSuggestionEvents"]["nodes"]
    assert nodes
    assert {n["event"] for n in nodes} <= CODE_SUGGESTION_EVENTS


def test_user_ids_must_be_user_global_ids(sim: Simulator) -> None:
    payload = graphql(
        sim, EVENTS_QUERY, {"fullPath": "acme-corp", "userIds": ["gid://gitlab/Project/1"]}
    )
    assert payload["data"] is None
    assert "does not represent an instance of User" in payload["errors"][0]["message"]


# -- scopes -----------------------------------------------------------------------------------


def _common_fields(records: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter((r["timestamp"], r["event"], r["user_id"]) for r in records)


def test_group_scope_covers_subgroups_and_projects(sim: Simulator) -> None:
    window = {"start": "2025-09-24", "end": "2025-09-30"}
    root = _common_fields(http_truth(sim, scope_type="group", scope_path="acme-corp", **window))
    platform = _common_fields(
        http_truth(sim, scope_type="group", scope_path="acme-corp/platform", **window)
    )
    infra_project = _common_fields(
        http_truth(
            sim,
            scope_type="project",
            scope_path="acme-corp/platform/infra/terraform-modules",
            **window,
        )
    )
    globex = _common_fields(http_truth(sim, scope_type="group", scope_path="globex", **window))
    instance = _common_fields(http_truth(sim, scope_type="instance", **window))
    assert infra_project
    assert platform
    assert infra_project <= platform <= root  # multiset inclusion
    assert platform != root
    assert root + globex <= instance
    assert (root + globex) != instance  # events without a namespace: instance only
    assert not root & globex


def test_project_scope_is_its_own_namespace_only(sim: Simulator) -> None:
    records = http_truth(sim, scope_type="instance", start="2025-09-29", end="2025-09-29")
    in_web_app = Counter(
        (r["timestamp"], r["event"], r["user_id"])
        for r in records
        if r["namespace_path"] == "9970/10002/10013/"
    )
    project = http_truth(
        sim,
        scope_type="project",
        scope_path="acme-corp/product/web-app",
        start="2025-09-29",
        end="2025-09-29",
    )
    assert in_web_app
    assert _common_fields(project) == in_web_app


# -- data -------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    first = Simulator(small_config(seed=11)).truth("instance")
    again = Simulator(small_config(seed=11)).truth("instance")
    other = Simulator(small_config(seed=12)).truth("instance")
    assert first
    assert first == again
    assert first != other


def test_a_day_does_not_depend_on_the_range_it_was_generated_in() -> None:
    org = build_organisation()
    short = Dataset(DatasetSpec(seed=3, end_date=END, days=2, events_per_day=100), org)
    long = Dataset(
        DatasetSpec(seed=3, end_date=END + timedelta(days=20), days=40, events_per_day=100), org
    )
    assert short.generate_day(END) == long.generate_day(END)
    assert short.generate_day(END)


def test_dataset_is_realistic_and_has_every_event_type() -> None:
    org = build_organisation()
    dataset = Dataset(DatasetSpec(seed=5, end_date=END, days=28, events_per_day=1500), org)
    events = [event for day in dataset.days() for event in dataset.generate_day(day)]
    counts = Counter(event.event for event in events)
    assert set(counts) == set(EVENT_TYPES)
    code_suggestions = sum(counts[e] for e in CODE_SUGGESTION_EVENTS)
    assert 0.5 < code_suggestions / len(events) < 0.75
    acceptance = counts["CODE_SUGGESTION_ACCEPTED_IN_IDE"] / counts["CODE_SUGGESTION_SHOWN_IN_IDE"]
    assert 0.25 < acceptance < 0.35
    assert 0.01 < sum(e.namespace_id is None for e in events) / len(events) < 0.04
    assert 1300 < len(events) / 28 < 1700  # events_per_day is the average
    enum = build_schema((REPO / "tap_gitlab_duo" / "gitlab_schema.graphql").read_text()).type_map[
        "AiUsageEventType"
    ]
    assert isinstance(enum, GraphQLEnumType)
    assert set(enum.values) == set(EVENT_TYPES)


def test_every_day_has_its_edge_cases() -> None:
    org = build_organisation()
    dataset = Dataset(DatasetSpec(seed=9, end_date=END, days=7, events_per_day=150), org)
    for day in dataset.days():
        events = dataset.generate_day(day)
        start = day_start_ms(day)
        assert any(e.timestamp_ms == start for e in events), day
        assert any(e.timestamp_ms >= start + 86_399_900 for e in events), day
        repeats = Counter(
            (e.timestamp_ms // 1000, e.user_id, e.event, e.namespace_id, e.extras_values)
            for e in events
        )
        assert max(repeats.values()) > 1, day
        assert len({e.event_id for e in events}) == len(events)


def test_organisation_shape() -> None:
    org = build_organisation()
    assert len(org.users) == 40
    assert sum(user.bot for user in org.users) == 1
    assert org.namespace_by_path["acme-corp/platform/infra"].traversal_path == "9970/10001/10005/"
    projects = [n.full_path for n in org.namespaces if n.kind == "project"]
    assert projects == [
        "acme-corp/platform/api-gateway",
        "acme-corp/platform/infra/terraform-modules",
        "acme-corp/product/web-app",
        "acme-corp/product/mobile-app",
        "acme-corp/product/data-pipeline",
        "globex/website",
    ]


# -- late events ------------------------------------------------------------------------------


def test_posted_late_event_shows_in_truth_and_queries(fresh_sim: Simulator) -> None:
    user = fresh_sim.org.user_by_username["alice.nguyen"]
    late = {
        "timestamp": "2025-09-25T12:34:56.789Z",
        "event": "CODE_SUGGESTION_ACCEPTED_IN_IDE",
        "user_id": user.id,
        "namespace": "acme-corp/product/web-app",
        "extras": {"unique_tracking_id": "late-1", "suggestion_size": "7", "language": "go"},
    }
    window = {
        "scope_type": "group",
        "scope_path": "acme-corp/product",
        "start": "2025-09-25",
        "end": "2025-09-25",
        "kind": "code_suggestions",
    }
    before = http_truth(fresh_sim, **window)
    response = requests.post(
        f"{fresh_sim.url}/-/simulator/events", json={"events": [late]}, timeout=30
    )
    assert response.json() == {"added": 1}
    after = http_truth(fresh_sim, **window)
    assert truth_multiset(after) - truth_multiset(before) == Counter(
        {
            (
                "2025-09-25T12:34:56Z",
                "CODE_SUGGESTION_ACCEPTED_IN_IDE",
                user.id,
                "alice.nguyen",
                "go",
                "7",
                "late-1",
                None,
                None,
            ): 1
        }
    )
    nodes, _ = read_day(
        fresh_sim, "group", "acme-corp/product", date(2025, 9, 25), "code_suggestions"
    )
    assert [n for n in nodes if n["uniqueTrackingId"] == "late-1"] == [
        {
            "event": "CODE_SUGGESTION_ACCEPTED_IN_IDE",
            "timestamp": "2025-09-25T12:34:56Z",
            "language": "go",
            "suggestionSize": "7",
            "uniqueTrackingId": "late-1",
            "user": {"id": user.global_id, "username": "alice.nguyen"},
        }
    ]


def test_invalid_late_events_are_refused(fresh_sim: Simulator) -> None:
    url = f"{fresh_sim.url}/-/simulator/events"
    bad_user = {"timestamp": "2025-09-25T12:00:00Z", "event": "TROUBLESHOOT_JOB", "user_id": 1}
    bad_event = {"timestamp": "2025-09-25T12:00:00Z", "event": "NOPE", "user_id": 1207}
    for event in (bad_user, bad_event):
        response = requests.post(url, json={"events": [event]}, timeout=30)
        assert response.status_code == 400
        assert "error" in response.json()
    assert fresh_sim.store.late_events() == []


def test_generated_late_events_are_deterministic_and_land_in_the_past(fresh_sim: Simulator) -> None:
    window = {"scope_type": "instance", "start": "2025-09-20", "end": "2025-09-30"}
    before = truth_multiset(http_truth(fresh_sim, **window))
    response = requests.post(
        f"{fresh_sim.url}/-/simulator/late-events",
        json={"count": 40, "days_back": 3, "seed": 5},
        timeout=30,
    )
    assert response.json() == {"added": 40}
    added = truth_multiset(http_truth(fresh_sim, **window)) - before
    assert sum(added.values()) == 40
    assert {record[0][:10] for record in added} <= {"2025-09-27", "2025-09-28", "2025-09-29"}
    # Some repeat an event that was already there, field for field.
    assert any(before[record] for record in added)
    # GraphQL serves them too.
    day = date(2025, 9, 28)
    nodes, _ = read_day(fresh_sim, "instance", "", day)
    served = Counter(as_truth_record(n, "instance", "all") for n in nodes)
    assert served == truth_multiset(
        http_truth(fresh_sim, scope_type="instance", start=day.isoformat(), end=day.isoformat())
    )
    # The same request on an identical simulator adds the same events.
    twin = Simulator(small_config())
    twin.add_late_events(40, 3, 5)
    assert twin.truth("instance") == fresh_sim.truth("instance")


# -- GraphQL protocol -------------------------------------------------------------------------


def test_documents_with_several_operations_and_fragments(sim: Simulator) -> None:
    document = """
    fragment Who on UserCore { username }
    query First { group(fullPath: "acme-corp") { fullPath } }
    query Second { project(fullPath: "globex/website") { fullPath aiUsageData {
        all(startDate: "2025-09-29", endDate: "2025-09-30", first: 1) {
          nodes { user { ...Who } } } } } }
    """
    first = post_graphql(sim, document, operation_name="First").json()
    second = post_graphql(sim, document, operation_name="Second").json()
    neither = post_graphql(sim, document).json()
    assert first == {"data": {"group": {"fullPath": "acme-corp"}}}
    nodes = second["data"]["project"]["aiUsageData"]["all"]["nodes"]
    assert len(nodes) == 1
    assert set(nodes[0]["user"]) == {"username"}
    assert "errors" in neither


@pytest.mark.parametrize(
    "query",
    [
        '{ group(fullPath: "acme-corp") { id ',  # syntax error
        '{ group(fullPath: "acme-corp") { notAField } }',  # validation error
        "{ group { id } }",  # missing required argument
    ],
)
def test_invalid_documents_get_errors_with_http_200(sim: Simulator, query: str) -> None:
    response = post_graphql(sim, query)
    assert response.status_code == 200
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"][0]["message"]


def test_unavailable_features_resolve_to_null(sim: Simulator) -> None:
    # Fields the simulator does not model answer null, as GitLab does for a missing
    # feature, rather than inventing data.
    payload = graphql(
        sim,
        '{ group(fullPath: "acme-corp") { aiMetricsBasic { codeSuggestions { shownCount } } } }',
    )
    assert payload == {"data": {"group": {"aiMetricsBasic": None}}}


# -- control API ------------------------------------------------------------------------------


def test_stats_count_requests_and_reset(fresh_sim: Simulator) -> None:
    base = f"{fresh_sim.url}/-/simulator"
    assert requests.post(f"{base}/stats/reset", timeout=30).status_code == 200
    for _ in range(3):
        graphql(fresh_sim, "{ queryComplexity { score } }")
    post_graphql(fresh_sim, "{ queryComplexity { score } }", token="glpat-wrong")
    stats = requests.get(f"{base}/stats", timeout=30).json()
    counts = {name: stats[name] for name in ("graphql_requests", "max_in_flight", "in_flight")}
    assert counts == {"graphql_requests": 4, "max_in_flight": 1, "in_flight": 0}
    requests.post(f"{base}/stats/reset", timeout=30)
    assert requests.get(f"{base}/stats", timeout=30).json()["graphql_requests"] == 0


def test_health_info_and_truth_parameters(sim: Simulator) -> None:
    base = f"{sim.url}/-/simulator"
    assert requests.get(f"{base}/health", timeout=30).json() == {"ok": True}
    info = requests.get(f"{base}/info", timeout=30).json()
    assert (info["first_date"], info["end_date"], info["users"]) == ("2025-09-21", "2025-09-30", 40)
    bad = [
        {"scope_type": "planet"},
        {"scope_type": "group", "scope_path": "acme-corp/nope"},
        {"scope_type": "instance", "kind": "code_suggestions"},
        {"scope_type": "group", "scope_path": "acme-corp", "start": "29/09/2025"},
    ]
    for params in bad:
        response = requests.get(f"{base}/truth", params=params, timeout=30)
        assert response.status_code == 400, params
    truth = http_truth(
        sim, scope_type="project", scope_path="globex/website", start="2025-09-29", end="2025-09-29"
    )
    assert truth == sim.truth("project", "globex/website", date(2025, 9, 29), date(2025, 9, 29))
    assert requests.get(f"{base}/nope", timeout=30).status_code == 404


# -- command line -----------------------------------------------------------------------------


def test_cli_prints_its_url_first_and_stops_cleanly_on_sigterm() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--days",
            "3",
            "--events-per-day",
            "50",
            "--end-date",
            "2025-09-30",
            "--end-date-mode",
            "inclusive",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = re.fullmatch(r"GITLAB_SIMULATOR_URL=(http://127\.0\.0\.1:\d+)\n", first_line)
        assert match, first_line
        url = match.group(1)
        assert requests.get(f"{url}/-/simulator/health", timeout=10).json() == {"ok": True}
        info = requests.get(f"{url}/-/simulator/info", timeout=10).json()
        assert info["settings"] == {
            "end_date_mode": "inclusive",
            "clickhouse": True,
            "latency_ms": 0,
            "latency_jitter_ms": 0,
            "rate_limit_per_minute": 0,
            "rate_limit_period_seconds": 60,
            "faults": [],
        }
        assert info["first_date"] == "2025-09-28"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == ""  # nothing after the URL line on stdout
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_million_events_are_generated_day_by_day_and_served_exactly() -> None:
    # 40 days of 25,000 events: the size is one parameter, days are made when asked.
    config = small_config(days=40, events_per_day=25_000)
    with Simulator(config) as big:
        total = sum(len(big.dataset.generate_day(day)) for day in big.dataset.days())
        assert 950_000 < total < 1_050_000
        day = END - timedelta(days=1)  # a Monday: busier than the average day
        nodes, pages = read_day(big, "instance", "", day)
        truth = http_truth(big, scope_type="instance", start=day.isoformat(), end=day.isoformat())
        assert pages > 300
        assert Counter(as_truth_record(n, "instance", "all") for n in nodes) == truth_multiset(
            truth
        )
    print(f"\n{total:,} events generated; {len(nodes):,} of {day} served in {pages} pages")
