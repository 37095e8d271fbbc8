"""The simulator serving older GitLab schemas (18.2, 17.11), pruned from the current one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    build_schema,
    get_named_type,
)

from simulator import ADMIN_TOKEN, OWNER_TOKEN, Simulator, SimulatorConfig
from simulator.events import CODE_SUGGESTION_EVENTS
from simulator.schema_versions import tracked_events, version_reference_schema
from simulator.sdl import reference_schema
from tap_gitlab_duo.queries import load_operation
from tests.simulator_process import SimulatorProcess, start_simulator

VERSIONS = ("current", "18.2", "17.11")
DAY = date(2025, 9, 29)
MCP_EVENTS = {"START_MCP_TOOL_CALL", "FINISH_MCP_TOOL_CALL"}

TYPE_QUERY = """
query($name: String!) {
  __type(name: $name) {
    name
    fields(includeDeprecated: true) {
      name isDeprecated args { name } type { kind name ofType { name } }
    }
    enumValues(includeDeprecated: true) { name }
  }
}
"""
SCHEMA_TYPES = "{ __schema { types { name } queryType { fields { name } } } }"


def graphql(
    url: str, query: str, variables: dict[str, Any] | None = None, token: str = ADMIN_TOKEN
) -> Any:
    response = requests.post(
        f"{url}/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def set_version(url: str, version: str) -> None:
    response = requests.post(
        f"{url}/-/simulator/settings", json={"schema_version": version}, timeout=30
    )
    assert response.status_code == 200, response.text


def introspect(url: str, name: str) -> dict[str, Any] | None:
    payload = graphql(url, TYPE_QUERY, {"name": name})
    assert "errors" not in payload, payload
    result: dict[str, Any] | None = payload["data"]["__type"]
    return result


def field_names(url: str, name: str) -> set[str]:
    found = introspect(url, name)
    assert found is not None, name
    return {f["name"] for f in found["fields"]}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(
        seed=7,
        end_date=DAY + timedelta(days=1),
        days=5,
        events_per_day=300,
        clock=lambda: datetime(2025, 9, 30, 12, tzinfo=timezone.utc),
    )
    with Simulator(config) as simulator:
        yield simulator


@pytest.fixture
def url(sim: Simulator) -> Iterator[str]:
    """The module's simulator, back on the current schema after each test."""
    yield sim.url
    set_version(sim.url, "current")


# -- introspection ---------------------------------------------------------------------------------


def test_current_is_the_default_and_has_everything(url: str) -> None:
    info = requests.get(f"{url}/-/simulator/info", timeout=30).json()
    assert info["instance"]["schema_version"] == "current"
    assert "schema_version" not in info["settings"]
    assert {"mcp", "agentPlatform", "codeSuggestions", "totalEventCount"} <= field_names(
        url, "AiUserMetrics"
    )
    assert "aiUsageData" in field_names(url, "Query")


def test_early_18_lacks_per_feature_user_metrics_mcp_and_the_instance_endpoint(url: str) -> None:
    set_version(url, "18.2")
    user_metrics = introspect(url, "AiUserMetrics")
    assert user_metrics is not None
    fields = {f["name"]: f for f in user_metrics["fields"]}
    assert set(fields) == {"user", "codeSuggestionsAcceptedCount", "duoChatInteractionsCount"}
    assert not any(f["isDeprecated"] for f in fields.values())  # deprecated only in 18.7
    assert fields["user"]["type"]["kind"] == "NON_NULL"  # nullable only since 19.4
    assert "mcp" not in field_names(url, "AiMetrics")
    assert {"codeSuggestions", "rootCauseAnalysisUsersCount"} <= field_names(url, "AiMetrics")
    assert field_names(url, "AiUsageData") == {"all", "codeSuggestionEvents"}
    assert "aiUsageData" not in field_names(url, "Query")
    group = introspect(url, "Group")
    assert group is not None
    user_metrics_args = next(f for f in group["fields"] if f["name"] == "aiUserMetrics")["args"]
    assert "sort" not in {a["name"] for a in user_metrics_args}
    for gone in (
        "mcpMetrics",
        "mcpUserMetrics",
        "AiInstanceUsageData",
        "AiUserMetricsSort",
        "codeSuggestionsUserMetrics",
    ):
        assert introspect(url, gone) is None, gone
    events = introspect(url, "AiUsageEventType")
    assert events is not None
    names = {v["name"] for v in events["enumValues"]}
    assert not names & MCP_EVENTS
    assert "AGENT_PLATFORM_SESSION_CREATED" in names


def test_17_lacks_all_and_the_newer_aggregates(url: str) -> None:
    set_version(url, "17.11")
    assert field_names(url, "AiUsageData") == {"codeSuggestionEvents"}
    ai_metrics = introspect(url, "AiMetrics")
    assert ai_metrics is not None
    assert {f["name"] for f in ai_metrics["fields"]} == {
        "codeContributorsCount",
        "codeSuggestionsAcceptedCount",
        "codeSuggestionsContributorsCount",
        "codeSuggestionsShownCount",
        "duoChatContributorsCount",
        "duoUsedCount",
    }
    assert not any(f["isDeprecated"] for f in ai_metrics["fields"])  # deprecated in 18.0
    events = introspect(url, "AiUsageEventType")
    assert events is not None
    assert {v["name"] for v in events["enumValues"]} == {
        *CODE_SUGGESTION_EVENTS,
        "CODE_SUGGESTION_DIRECT_ACCESS_TOKEN_REFRESH",
        "REQUEST_DUO_CHAT_RESPONSE",
        "TROUBLESHOOT_JOB",
    }
    schema = graphql(url, SCHEMA_TYPES)["data"]["__schema"]
    types = {t["name"] for t in schema["types"]}
    for gone in (
        "AiUsageEvent",
        "AiUsageEventConnection",
        "agentPlatformMetrics",
        "AgentPlatformFlowMetric",
        "codeSuggestionMetrics",
        "mcpMetrics",
        "AiInstanceUsageEvent",
    ):
        assert gone not in types, gone
    assert {"CodeSuggestionEvent", "AiUserMetrics", "AiMetrics", "AddOnUser"} <= types


@pytest.mark.parametrize("version", VERSIONS)
def test_schema_endpoint_gives_each_versions_sdl(url: str, version: str) -> None:
    payload = requests.get(f"{url}/-/simulator/schema", params={"version": version}, timeout=30)
    assert payload.status_code == 200
    body = payload.json()
    assert body["version"] == version
    built = build_schema(body["sdl"])
    served = version_reference_schema(version)
    assert set(built.type_map) == set(served.type_map)
    bad = requests.get(f"{url}/-/simulator/schema", params={"version": "16.0"}, timeout=30)
    assert bad.status_code == 400


@pytest.mark.parametrize("version", ["18.2", "17.11"])
def test_older_schemas_are_pruned_from_the_current_one(version: str) -> None:
    """Every type, field and argument of an old version exists today with the same type."""
    current = reference_schema()
    old = version_reference_schema(version)
    assert set(old.type_map) < set(current.type_map)
    for name, old_type in old.type_map.items():
        new_type = current.type_map[name]
        assert type(old_type) is type(new_type), name
        if isinstance(old_type, GraphQLObjectType):
            assert isinstance(new_type, GraphQLObjectType)
            assert set(old_type.fields) <= set(new_type.fields), name
            for field_name, field in old_type.fields.items():
                now = new_type.fields[field_name]
                assert set(field.args) <= set(now.args), f"{name}.{field_name}"
                assert get_named_type(field.type).name == get_named_type(now.type).name
                if not isinstance(field.type, GraphQLNonNull):
                    assert str(field.type) == str(now.type), f"{name}.{field_name}"
        if isinstance(old_type, GraphQLEnumType):
            assert isinstance(new_type, GraphQLEnumType)
            assert set(old_type.values) <= set(new_type.values), name


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "query", "message"),
    [
        (
            "18.2",
            '{ group(fullPath: "acme-corp") { aiMetrics { mcp { startMcpToolCallEventCount } } } }',
            "Cannot query field 'mcp' on type 'AiMetrics'.",
        ),
        (
            "18.2",
            '{ group(fullPath: "acme-corp") { aiUserMetrics { nodes { codeSuggestions '
            "{ totalEventCount } } } } }",
            "Cannot query field 'codeSuggestions' on type 'AiUserMetrics'.",
        ),
        (
            "18.2",
            "{ aiUsageData { all { nodes { event } } } }",
            "Cannot query field 'aiUsageData' on type 'Query'.",
        ),
        (
            "18.2",
            '{ group(fullPath: "acme-corp") { aiUserMetrics(sort: TOTAL_EVENTS_COUNT_DESC) '
            "{ nodes { duoChatInteractionsCount } } } }",
            "Unknown argument 'sort' on field 'Group.aiUserMetrics'.",
        ),
        (
            "17.11",
            '{ group(fullPath: "acme-corp") { aiUsageData { all { nodes { event } } } } }',
            "Cannot query field 'all' on type 'AiUsageData'.",
        ),
        (
            "17.11",
            '{ group(fullPath: "acme-corp") { aiMetrics { codeSuggestions { shownCount } } } }',
            "Cannot query field 'codeSuggestions' on type 'AiMetrics'.",
        ),
    ],
)
def test_missing_fields_get_graphql_validation_errors(
    url: str, version: str, query: str, message: str
) -> None:
    set_version(url, version)
    payload = graphql(url, query)
    assert "data" not in payload
    assert message in [error["message"] for error in payload["errors"]]


def test_the_taps_full_queries_need_pruning_on_older_versions(url: str) -> None:
    metrics = load_operation("ai_user_metrics.graphql", "AiUserMetricsGroup")
    events = load_operation("ai_usage_events.graphql", "AiUsageEventsGroup")
    variables = {
        "fullPath": "acme-corp",
        "startDate": "2025-09-29",
        "endDate": "2025-09-30",
        "first": 100,
    }
    assert "errors" not in graphql(url, metrics.text, variables)
    set_version(url, "18.2")
    messages = [e["message"] for e in graphql(url, metrics.text, variables)["errors"]]
    assert "Cannot query field 'agentPlatform' on type 'AiUserMetrics'." in messages
    assert "errors" not in graphql(url, events.text, variables)
    set_version(url, "17.11")
    messages = [e["message"] for e in graphql(url, events.text, variables)["errors"]]
    assert "Cannot query field 'all' on type 'AiUsageData'." in messages
    assert any(m.startswith("Unknown type 'AiUsageEventConnection'.") for m in messages)


# -- data --------------------------------------------------------------------------------------


def _all_events(url: str) -> list[dict[str, Any]]:
    query = """
    query($after: String) { group(fullPath: "acme-corp") { aiUsageData {
      all(startDate: "2025-09-29", endDate: "2025-09-30", after: $after) {
        nodes { event timestamp user { id } } pageInfo { hasNextPage endCursor } } } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        payload = graphql(url, query, {"after": after})
        assert "errors" not in payload, payload
        connection = payload["data"]["group"]["aiUsageData"]["all"]
        nodes += connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return [n for n in nodes if n["timestamp"].startswith("2025-09-29")]
        after = connection["pageInfo"]["endCursor"]


def test_an_older_version_never_tracked_the_events_its_enum_lacks(sim: Simulator, url: str) -> None:
    current = Counter(n["event"] for n in _all_events(url))
    assert current.keys() & MCP_EVENTS
    set_version(url, "18.2")
    early = Counter(n["event"] for n in _all_events(url))
    assert early == Counter({e: n for e, n in current.items() if e not in MCP_EVENTS})
    truth = sim.truth("group", "acme-corp", DAY, DAY)
    assert Counter(r["event"] for r in truth) == early
    assert tracked_events("current") is None
    assert not (tracked_events("18.2") or frozenset()) & MCP_EVENTS


def test_17_serves_code_suggestion_events_as_the_truth(sim: Simulator, url: str) -> None:
    set_version(url, "17.11")
    query = """
    query($after: String) { project(fullPath: "acme-corp/product/web-app") { aiUsageData {
      codeSuggestionEvents(startDate: "2025-09-29", endDate: "2025-09-30", after: $after) {
        nodes { event timestamp uniqueTrackingId user { id } }
        pageInfo { hasNextPage endCursor } } } } }"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        payload = graphql(url, query, {"after": after}, token=OWNER_TOKEN)
        connection = payload["data"]["project"]["aiUsageData"]["codeSuggestionEvents"]
        nodes += connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    got = Counter(
        (n["timestamp"], n["event"], n["uniqueTrackingId"])
        for n in nodes
        if n["timestamp"].startswith("2025-09-29")
    )
    truth = sim.truth("project", "acme-corp/product/web-app", DAY, DAY, kind="code_suggestions")
    assert got == Counter((r["timestamp"], r["event"], r["unique_tracking_id"]) for r in truth)
    assert got


def test_early_user_metrics_are_the_flat_counts_of_the_truth(sim: Simulator, url: str) -> None:
    set_version(url, "18.2")
    query = """{ group(fullPath: "acme-corp") {
      aiUserMetrics(startDate: "2025-09-29", endDate: "2025-09-29") {
        nodes { user { id } codeSuggestionsAcceptedCount duoChatInteractionsCount } } } }"""
    payload = graphql(url, query, token=OWNER_TOKEN)
    assert "errors" not in payload, payload
    nodes = payload["data"]["group"]["aiUserMetrics"]["nodes"]
    truth = sim.truth_ai_user_metrics("group", "acme-corp", DAY, DAY)
    assert [
        (n["user"]["id"], n["codeSuggestionsAcceptedCount"], n["duoChatInteractionsCount"])
        for n in nodes
    ] == [
        (
            t["user"]["id"],
            t["codeSuggestions"]["codeSuggestionAcceptedInIdeEventCount"],
            t["chat"]["requestDuoChatResponseEventCount"],
        )
        for t in truth
    ]
    assert nodes


def test_17_aggregates_count_only_the_events_it_tracked(sim: Simulator, url: str) -> None:
    set_version(url, "17.11")
    query = """{ group(fullPath: "acme-corp") {
      aiMetrics(startDate: "2025-09-29", endDate: "2025-09-29") {
        duoUsedCount codeSuggestionsShownCount } } }"""
    metrics = graphql(url, query, token=OWNER_TOKEN)["data"]["group"]["aiMetrics"]
    truth = sim.truth("group", "acme-corp", DAY, DAY)
    assert metrics["duoUsedCount"] == len({r["user_id"] for r in truth})
    assert {r["event"] for r in truth} <= set(tracked_events("17.11") or ())
    assert metrics["codeSuggestionsShownCount"] == sum(
        r["event"] == "CODE_SUGGESTION_SHOWN_IN_IDE" for r in truth
    )


def test_settings_validate_and_the_flag_selects_the_version(url: str) -> None:
    response = requests.post(
        f"{url}/-/simulator/settings", json={"schema_version": "16.11"}, timeout=30
    )
    assert response.status_code == 400
    simulator: SimulatorProcess = start_simulator("--schema-version", "17.11")
    try:
        info = simulator.control("GET", "info")
        assert info["instance"]["schema_version"] == "17.11"
        assert info["settings"]["schema_version"] == "17.11"
        assert field_names(simulator.url, "AiUsageData") == {"codeSuggestionEvents"}
        simulator.settings(schema_version="current")
        assert field_names(simulator.url, "AiUsageData") == {"all", "codeSuggestionEvents"}
    finally:
        simulator.stop()
