"""The simulator's aggregates and seats, checked over real HTTP against its raw events.

`aiUserMetrics` and `aiMetrics` must reconcile exactly with the events that `aiUsageData`
serves (late events included), page completely, and fail or fall silent the way GitLab
does; seats must follow the control API and GitLab's permission rules.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from graphql import GraphQLObjectType, build_schema, get_named_type

from simulator import (
    ADMIN_TOKEN,
    GUEST_TOKEN,
    OUTSIDER_TOKEN,
    OWNER_TOKEN,
    REPORTER_TOKEN,
    Simulator,
    SimulatorConfig,
)
from simulator.pushes import pushes_on
from simulator.scopes import ScopeType

REPO = Path(__file__).resolve().parents[1]
END = date(2025, 9, 30)  # a Tuesday
DAY = date(2025, 9, 29)  # a Monday, with late events added below
SCHEMA = build_schema(
    (REPO / "tap_gitlab_duo" / "gitlab_schema.graphql").read_text(encoding="utf-8")
)
PERMISSION_ERROR = (
    "The resource that you are attempting to access does not exist or you don't have "
    "permission to perform this action"
)
ENTERPRISE_PURCHASE = "gid://gitlab/GitlabSubscriptions::AddOnPurchase/4101"
DUO_PRO_PURCHASE = "gid://gitlab/GitlabSubscriptions::AddOnPurchase/4102"
INSTANCE_PURCHASE = "gid://gitlab/GitlabSubscriptions::AddOnPurchase/17"


def small_config(**overrides: Any) -> SimulatorConfig:
    settings: dict[str, Any] = {"seed": 7, "end_date": END, "days": 10, "events_per_day": 200}
    settings.update(overrides)
    return SimulatorConfig(**settings)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """A simulator with late events in its last days; no test changes it afterwards."""
    with Simulator(small_config()) as simulator:
        assert simulator.add_late_events(count=60, days_back=3, seed=5) == 60
        yield simulator


@pytest.fixture
def fresh_sim() -> Iterator[Simulator]:
    """A simulator of its own, for tests that change settings or seats."""
    with Simulator(small_config()) as simulator:
        yield simulator


def graphql(
    sim: Simulator, query: str, variables: dict[str, Any] | None = None, token: str = ADMIN_TOKEN
) -> dict[str, Any]:
    response = requests.post(
        sim.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def data(sim: Simulator, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = graphql(sim, query, variables)
    assert "errors" not in payload, payload
    result: dict[str, Any] = payload["data"]
    return result


def control(sim: Simulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{sim.url}/-/simulator/{path}", timeout=60, **kwargs)


def selection(type_name: str) -> str:
    """The current fields of a metrics type, users as `{ id username }`, as the truth has them."""
    object_type = SCHEMA.type_map[type_name]
    assert isinstance(object_type, GraphQLObjectType)
    parts = []
    for name, field in object_type.fields.items():
        named = get_named_type(field.type)
        if name == "user":
            parts.append("user { id username }")
        elif isinstance(named, GraphQLObjectType) and "nodes" in named.fields:
            node = get_named_type(named.fields["nodes"].type)
            parts.append(f"{name} {{ nodes {{ {selection(node.name)} }} }}")
        elif isinstance(named, GraphQLObjectType):
            parts.append(f"{name} {{ {selection(named.name)} }}")
        else:
            parts.append(name)
    return " ".join(parts)


USER_METRICS_QUERY = f"""
query($path: ID!, $start: Date, $end: Date, $first: Int, $after: String,
      $sort: AiUserMetricsSort) {{
  group(fullPath: $path) {{
    aiUserMetrics(startDate: $start, endDate: $end, first: $first, after: $after, sort: $sort) {{
      nodes {{ {selection("AiUserMetrics")} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""

PROJECT_USER_METRICS_QUERY = USER_METRICS_QUERY.replace("group(", "project(")

AI_METRICS_QUERY = f"""
query($path: ID!, $start: Date, $end: Date) {{
  group(fullPath: $path) {{ aiMetrics(startDate: $start, endDate: $end) {{
    {selection("AiMetrics")} }} }}
}}"""

SEATS_QUERY = """
query($path: ID!, $ids: [GitlabSubscriptionsAddOnPurchaseID!]!, $first: Int, $after: String,
      $filter: String, $search: String) {
  group(fullPath: $path) {
    addOnEligibleUsers(addOnType: DUO_ENTERPRISE, addOnPurchaseIds: $ids, first: $first,
                       after: $after, filterByAssignedSeat: $filter, search: $search,
                       sort: ID_ASC) {
      count
      nodes { id username bot state lastActivityOn lastDuoActivityOn
              addOnAssignments(addOnPurchaseIds: $ids) { nodes { addOnPurchase { id name } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


def read_user_metrics(
    sim: Simulator,
    path: str,
    start: date,
    end: date,
    first: int | None = None,
    sort: str | None = None,
    query: str = USER_METRICS_QUERY,
) -> tuple[list[dict[str, Any]], int]:
    """Every aiUserMetrics node, page after page; and how many pages it took."""
    nodes: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        variables = {
            "path": path,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "first": first,
            "after": after,
            "sort": sort,
        }
        scope = next(iter(data(sim, query, variables).values()))
        connection = scope["aiUserMetrics"]
        nodes.extend(connection["nodes"])
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes, pages
        after = connection["pageInfo"]["endCursor"]


def read_events(sim: Simulator, path: str, day: date, field: str) -> list[dict[str, Any]]:
    """Every `aiUsageData.<field>` event of a group dated `day` (read D..D+1, keep D)."""
    query = f"""
    query($path: ID!, $start: Date, $end: Date, $after: String) {{
      group(fullPath: $path) {{ aiUsageData {{ conn: {field}(startDate: $start, endDate: $end,
        first: 100, after: $after) {{ nodes {{ event timestamp user {{ id }} }}
        pageInfo {{ hasNextPage endCursor }} }} }} }}
    }}"""
    variables = {"path": path, "start": day.isoformat(), "end": (day + timedelta(1)).isoformat()}
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        result = data(sim, query, {**variables, "after": after})
        connection = result["group"]["aiUsageData"]["conn"]
        nodes.extend(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            return [n for n in nodes if n["timestamp"].startswith(day.isoformat())]
        after = connection["pageInfo"]["endCursor"]


def ai_metrics(sim: Simulator, path: str, start: date, end: date) -> dict[str, Any]:
    variables = {"path": path, "start": start.isoformat(), "end": end.isoformat()}
    metrics: dict[str, Any] = data(sim, AI_METRICS_QUERY, variables)["group"]["aiMetrics"]
    return metrics


def error_messages(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["message"], error.get("path")) for error in payload.get("errors", [])]


# -- reconciliation with the raw events ---------------------------------------------------------


def test_late_events_land_on_the_day_under_test(sim: Simulator) -> None:
    late_days = Counter(e.timestamp_ms // 86_400_000 for e in sim.store.late_events())
    assert late_days[(DAY - date(1970, 1, 1)).days] > 0


def test_per_user_accepted_counts_add_up_to_the_days_accepted_events(sim: Simulator) -> None:
    nodes, _ = read_user_metrics(sim, "acme-corp", DAY, DAY)
    per_user = sum(n["codeSuggestions"]["codeSuggestionAcceptedInIdeEventCount"] for n in nodes)
    events = read_events(sim, "acme-corp", DAY, "codeSuggestionEvents")
    accepted = [e for e in events if e["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE"]
    assert accepted
    assert per_user == len(accepted)
    by_user = Counter(e["user"]["id"] for e in accepted)
    assert {
        n["user"]["id"]: n["codeSuggestions"]["codeSuggestionAcceptedInIdeEventCount"]
        for n in nodes
        if n["codeSuggestions"]["codeSuggestionAcceptedInIdeEventCount"]
    } == dict(by_user)
    deprecated = data(
        sim,
        """query($day: Date) { group(fullPath: "acme-corp") {
          aiUserMetrics(startDate: $day, endDate: $day) { nodes {
            user { id } codeSuggestionsAcceptedCount duoChatInteractionsCount } } } }""",
        {"day": DAY.isoformat()},
    )["group"]["aiUserMetrics"]["nodes"]
    chat = {n["user"]["id"]: n["chat"]["requestDuoChatResponseEventCount"] for n in nodes}
    assert len(deprecated) == len(nodes)
    for node in deprecated:
        assert node["codeSuggestionsAcceptedCount"] == by_user.get(node["user"]["id"], 0)
        assert node["duoChatInteractionsCount"] == chat[node["user"]["id"]]


def test_user_metric_totals_match_every_event_of_the_day(sim: Simulator) -> None:
    nodes, _ = read_user_metrics(sim, "acme-corp", DAY, DAY)
    events = read_events(sim, "acme-corp", DAY, "all")
    assert sum(n["totalEventCount"] for n in nodes) == len(events) > 100
    assert sorted(n["user"]["id"] for n in nodes) == sorted({e["user"]["id"] for e in events})
    assert {n["lastDuoActivityOn"] for n in nodes} == {DAY.isoformat()}
    chat = sum(1 for e in events if e["event"] == "REQUEST_DUO_CHAT_RESPONSE")
    assert sum(n["chat"]["requestDuoChatResponseEventCount"] for n in nodes) == chat > 0
    for node in nodes:
        features = [v for v in node.values() if isinstance(v, dict) and "totalEventCount" in v]
        assert len(features) == 16
        assert sum(f["totalEventCount"] for f in features) == node["totalEventCount"]


def test_ai_metrics_accepted_count_equals_the_accepted_events(sim: Simulator) -> None:
    events = read_events(sim, "acme-corp", DAY, "codeSuggestionEvents")
    metrics = ai_metrics(sim, "acme-corp", DAY, DAY)
    accepted = sum(1 for e in events if e["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE")
    shown = sum(1 for e in events if e["event"] == "CODE_SUGGESTION_SHOWN_IN_IDE")
    assert metrics["codeSuggestions"]["acceptedCount"] == accepted > 0
    assert metrics["codeSuggestions"]["shownCount"] == shown > accepted
    deprecated = data(
        sim,
        """query($day: Date) { group(fullPath: "acme-corp") { aiMetrics(startDate: $day,
          endDate: $day) { codeSuggestionsAcceptedCount codeSuggestionsShownCount
          codeSuggestionsContributorsCount } } }""",
        {"day": DAY.isoformat()},
    )["group"]["aiMetrics"]
    assert deprecated == {
        "codeSuggestionsAcceptedCount": accepted,
        "codeSuggestionsShownCount": shown,
        "codeSuggestionsContributorsCount": metrics["codeSuggestions"]["contributorsCount"],
    }


def test_duo_used_count_is_the_days_distinct_users(sim: Simulator) -> None:
    events = read_events(sim, "acme-corp", DAY, "all")
    metrics = ai_metrics(sim, "acme-corp", DAY, DAY)
    users = {e["user"]["id"] for e in events}
    assert metrics["duoUsedCount"] == len(users) > 5
    chat_users = {e["user"]["id"] for e in events if e["event"] == "REQUEST_DUO_CHAT_RESPONSE"}
    assert metrics["duoChatContributorsCount"] == len(chat_users) > 0


def test_code_suggestion_filters_and_lines(sim: Simulator) -> None:
    truth = sim.truth("group", "acme-corp", DAY, DAY, kind="code_suggestions")
    accepted = [r for r in truth if r["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE"]
    python = [r for r in accepted if r["language"] == "python"]
    query = """query($start: Date, $end: Date) { group(fullPath: "acme-corp") {
      aiMetrics(startDate: $start, endDate: $end) {
        all: codeSuggestions { acceptedLinesOfCode languages ideNames }
        python: codeSuggestions(languages: ["python"]) { acceptedCount languages }
        nowhere: codeSuggestions(ideNames: ["Notepad"]) { acceptedCount ideNames } } } }"""
    result = data(sim, query, {"start": DAY.isoformat(), "end": DAY.isoformat()})
    metrics = result["group"]["aiMetrics"]
    assert metrics["all"]["acceptedLinesOfCode"] == sum(int(r["suggestion_size"]) for r in accepted)
    assert metrics["all"]["languages"] == sorted({r["language"] for r in truth} - {None})
    assert "Visual Studio Code" in metrics["all"]["ideNames"]
    assert metrics["python"] == {"acceptedCount": len(python), "languages": ["python"]}
    assert len(python) > 0
    assert metrics["nowhere"] == {"acceptedCount": 0, "ideNames": []}


def test_agent_platform_flow_metrics_are_consistent(sim: Simulator) -> None:
    metrics = ai_metrics(sim, "acme-corp", END - timedelta(9), END)["agentPlatform"]
    flows = metrics["flowMetrics"]
    assert flows
    acme = sim.org.subtree_ids(sim.org.namespace_by_path["acme-corp"])
    created = [
        (e.extras_value("flow_type"), e.extras_value("session_id"))
        for day in sim.dataset.days()
        for e in sim.store.events_on(day)
        if e.event == "AGENT_PLATFORM_SESSION_CREATED" and e.namespace_id in acme
    ]
    assert metrics["createdSessionEventCount"] == len(created)
    sessions = Counter(flow for flow, _ in set(created))  # repeated events are one session
    assert {f["flowType"]: f["sessionsCount"] for f in flows} == dict(sessions)
    assert [f["sessionsCount"] for f in flows] == sorted(
        (f["sessionsCount"] for f in flows), reverse=True
    )
    for flow in flows:
        assert 0 <= flow["completionRate"] <= 1
        assert 1 <= flow["usersCount"] <= flow["sessionsCount"]
        assert flow["medianExecutionTime"] is None or flow["medianExecutionTime"] > 0
    assert {f["flowType"] for f in flows} >= {"chat", "software_development"}


def test_user_flow_counts_page_through_sessions_per_user_and_flow(sim: Simulator) -> None:
    query = """query($after: String, $flows: [String!]) { group(fullPath: "acme-corp") {
      aiMetrics(startDate: "2025-09-21", endDate: "2025-09-30") { agentPlatform(flowTypes: $flows)
      { createdSessionEventCount flowMetrics { flowType sessionsCount }
        userFlowCounts(first: 7, after: $after) { nodes { user { username } flowType sessionsCount }
        pageInfo { hasNextPage endCursor } } } } } }"""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        platform = data(sim, query, {"after": after})["group"]["aiMetrics"]["agentPlatform"]
        connection = platform["userFlowCounts"]
        rows.extend(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(rows) > 7
    per_flow: Counter[str] = Counter()
    for row in rows:
        per_flow[row["flowType"]] += row["sessionsCount"]
    assert dict(per_flow) == {f["flowType"]: f["sessionsCount"] for f in platform["flowMetrics"]}
    chat_only = data(sim, query, {"flows": ["chat"]})["group"]["aiMetrics"]["agentPlatform"]
    assert [f["flowType"] for f in chat_only["flowMetrics"]] == ["chat"]
    assert chat_only["createdSessionEventCount"] < platform["createdSessionEventCount"]


def test_code_contributors_are_the_days_pushers(sim: Simulator) -> None:
    """Everyone with Code Suggestions that day pushed; some people without Duo push too."""
    metrics = ai_metrics(sim, "acme-corp", DAY, DAY)
    assert metrics["codeContributorsCount"] >= metrics["codeSuggestions"]["contributorsCount"] > 0
    org, store = sim.org, sim.store
    idle = {u.id for u in org.users if u.activity == "idle"}
    idle_pushed = False
    for day in sim.dataset.days():
        pushes = pushes_on(org, sim.dataset.spec.seed, day, store.events_on(day))
        pushers = {user_id for user_id, _ in pushes}
        code_users = {
            e.user_id
            for e in store.events_on(day)
            if e.event.startswith("CODE_SUGGESTION") and e.namespace_id is not None
        }
        assert code_users <= pushers
        assert all(org.namespace_by_id[ns].kind == "project" for _, ns in pushes)
        idle_pushed = idle_pushed or bool(pushers & idle)
        one_day = ai_metrics(sim, "acme-corp", day, day)
        acme = org.subtree_ids(org.namespace_by_path["acme-corp"])
        assert one_day["codeContributorsCount"] == len({u for u, ns in pushes if ns in acme})
    assert idle_pushed


# -- paging, ordering and scope -----------------------------------------------------------------


def test_paging_user_metrics_by_five_gives_exactly_the_unpaged_set(sim: Simulator) -> None:
    start = END - timedelta(9)
    unpaged, pages = read_user_metrics(sim, "acme-corp", start, END)
    paged, paged_pages = read_user_metrics(sim, "acme-corp", start, END, first=5)
    assert pages == 1
    assert paged_pages == -(-len(unpaged) // 5) > 3
    assert paged == unpaged
    ids = [int(n["user"]["id"].rsplit("/", 1)[1]) for n in unpaged]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_user_metrics_equal_the_truth_for_groups_and_projects(sim: Simulator) -> None:
    scopes: tuple[tuple[ScopeType, str, str], ...] = (
        ("group", "acme-corp/product", USER_METRICS_QUERY),
        ("project", "globex/website", PROJECT_USER_METRICS_QUERY),
    )
    for scope_type, path, query in scopes:
        nodes, _ = read_user_metrics(sim, path, DAY - timedelta(2), DAY, query=query)
        response = control(
            sim,
            "GET",
            "truth/ai-user-metrics",
            params={
                "scope_type": scope_type,
                "scope_path": path,
                "start": (DAY - timedelta(2)).isoformat(),
                "end": DAY.isoformat(),
            },
        )
        assert response.status_code == 200
        truth = response.json()["nodes"]
        assert nodes == truth
        assert truth == sim.truth_ai_user_metrics(scope_type, path, DAY - timedelta(2), DAY)
        assert nodes


def test_ai_metrics_equal_the_truth(sim: Simulator) -> None:
    start = END - timedelta(9)
    metrics = ai_metrics(sim, "acme-corp", start, END)
    params = {
        "scope_type": "group",
        "scope_path": "acme-corp",
        "start": start.isoformat(),
        "end": END.isoformat(),
    }
    truth = control(sim, "GET", "truth/ai-metrics", params=params).json()["metrics"]
    assert metrics == truth
    assert truth["duoUsedCount"] > 20


def test_user_metrics_sort_orders_by_the_value_then_user(sim: Simulator) -> None:
    nodes, _ = read_user_metrics(sim, "acme-corp", DAY, DAY, sort="TOTAL_EVENTS_COUNT_DESC")
    paged, _ = read_user_metrics(
        sim, "acme-corp", DAY, DAY, first=3, sort="TOTAL_EVENTS_COUNT_DESC"
    )
    assert paged == nodes
    keys = [(-n["totalEventCount"], int(n["user"]["id"].rsplit("/", 1)[1])) for n in nodes]
    assert keys == sorted(keys)
    assert keys[0][0] < keys[-1][0]


def test_user_metrics_cursor_must_be_valid(sim: Simulator) -> None:
    payload = graphql(
        sim,
        """{ group(fullPath: "acme-corp") {
             aiUserMetrics(after: "nonsense!") { nodes { totalEventCount } } } }""",
    )
    assert error_messages(payload) == [("Invalid cursor given", ["group", "aiUserMetrics"])]


def test_metrics_dates_are_inclusive_and_default_to_the_current_month() -> None:
    clock = lambda: datetime(2025, 9, 15, 12, tzinfo=timezone.utc)  # noqa: E731
    with Simulator(small_config(clock=clock)) as simulator:
        defaulted = data(
            simulator,
            '{ group(fullPath: "acme-corp") { aiMetrics { duoUsedCount codeSuggestions '
            "{ shownCount } } aiUserMetrics { nodes { totalEventCount } } } }",
        )["group"]
        september = simulator.truth_ai_metrics("group", "acme-corp", date(2025, 9, 1), END)
        assert defaulted["aiMetrics"]["duoUsedCount"] == september["duoUsedCount"]
        assert (
            defaulted["aiMetrics"]["codeSuggestions"]["shownCount"]
            == (september["codeSuggestions"]["shownCount"])
        )
        total = sum(n["totalEventCount"] for n in defaulted["aiUserMetrics"]["nodes"])
        assert total == len(simulator.truth("group", "acme-corp", date(2025, 9, 1), END)) > 1000


# -- GitLab's refusals and silences -------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["aiMetrics { duoUsedCount }", "aiUserMetrics { nodes { totalEventCount } }"]
)
def test_a_range_of_a_year_is_refused(sim: Simulator, field: str) -> None:
    name = field.split(" ", 1)[0]
    query = f"""query($start: Date, $end: Date) {{ group(fullPath: "acme-corp") {{
      {name}(startDate: $start, endDate: $end) {field.split(" ", 1)[1]} }} }}"""
    too_long = graphql(sim, query, {"start": "2024-09-30", "end": "2025-09-30"})
    assert too_long["data"] == {"group": {name: None}}
    assert error_messages(too_long) == [("maximum date range is 1 year", ["group", name])]
    leap = graphql(sim, query, {"start": "2023-02-28", "end": "2024-02-29"})
    assert error_messages(leap) == [("maximum date range is 1 year", ["group", name])]
    just_under = graphql(sim, query, {"start": "2024-10-01", "end": "2025-09-30"})
    assert "errors" not in just_under
    assert just_under["data"]["group"][name] is not None


def test_without_clickhouse_metrics_are_silently_empty(fresh_sim: Simulator) -> None:
    query = """{ group(fullPath: "acme-corp") {
      aiMetrics(startDate: "2025-09-29", endDate: "2025-09-29") { duoUsedCount }
      aiUserMetrics(startDate: "2025-09-29", endDate: "2025-09-29") {
        nodes { totalEventCount } pageInfo { hasNextPage endCursor } }
      aiUsageData { all(startDate: "2025-09-29", endDate: "2025-09-30", first: 1) {
        nodes { event } } } } }"""
    before = data(fresh_sim, query)["group"]
    assert before["aiMetrics"]["duoUsedCount"] > 0
    assert before["aiUserMetrics"]["nodes"]
    response = control(fresh_sim, "POST", "settings", json={"clickhouse": False})
    assert response.json()["clickhouse"] is False
    payload = graphql(fresh_sim, query)
    assert "errors" not in payload
    after = payload["data"]["group"]
    assert after["aiMetrics"] is None
    assert after["aiUserMetrics"] == {
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    assert after["aiUsageData"] == before["aiUsageData"]
    assert after["aiUsageData"]["all"]["nodes"]
    assert control(fresh_sim, "POST", "settings", json={"clickhouse": "no"}).status_code == 400


def test_no_clickhouse_flag_of_the_command_line() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--days",
            "2",
            "--events-per-day",
            "20",
            "--no-clickhouse",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        match = re.fullmatch(r"GITLAB_SIMULATOR_URL=(\S+)\n", process.stdout.readline())
        assert match
        info = requests.get(f"{match.group(1)}/-/simulator/info", timeout=10).json()
        assert info["settings"]["clickhouse"] is False
        response = requests.post(
            f"{match.group(1)}/api/graphql",
            json={"query": '{ group(fullPath: "acme-corp") { aiMetrics { duoUsedCount } } }'},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        assert response.json() == {"data": {"group": {"aiMetrics": None}}}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("token", "outcome"),
    [
        (ADMIN_TOKEN, "data"),
        (OWNER_TOKEN, "data"),
        (REPORTER_TOKEN, "data"),
        (GUEST_TOKEN, "error"),
        (OUTSIDER_TOKEN, "no group"),
    ],
)
def test_metrics_need_reporter(sim: Simulator, token: str, outcome: str) -> None:
    query = """{ project(fullPath: "acme-corp/product/web-app") {
      aiMetrics(startDate: "2025-09-29", endDate: "2025-09-29") { duoUsedCount }
      aiUserMetrics(startDate: "2025-09-29", endDate: "2025-09-29") {
        nodes { totalEventCount } } } }"""
    payload = graphql(sim, query, token=token)
    project = payload["data"]["project"]
    if outcome == "no group":
        assert payload == {"data": {"project": None}}
    elif outcome == "error":
        assert project == {"aiMetrics": None, "aiUserMetrics": None}
        assert error_messages(payload) == [
            (PERMISSION_ERROR, ["project", "aiMetrics"]),
            (PERMISSION_ERROR, ["project", "aiUserMetrics"]),
        ]
    else:
        assert "errors" not in payload
        assert project["aiMetrics"]["duoUsedCount"] > 0
        assert project["aiUserMetrics"]["nodes"]


# -- seats --------------------------------------------------------------------------------------


def read_seat_users(
    sim: Simulator, path: str, first: int, ids: list[str], **variables: Any
) -> tuple[list[dict[str, Any]], int, int]:
    """Every eligible user page after page; the count; and the number of pages."""
    nodes: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        result = data(
            sim,
            SEATS_QUERY,
            {"path": path, "ids": ids, "first": first, "after": after, **variables},
        )
        connection = result["group"]["addOnEligibleUsers"]
        nodes.extend(connection["nodes"])
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes, connection["count"], pages
        after = connection["pageInfo"]["endCursor"]


def test_owner_sees_purchases_and_seat_holders(sim: Simulator) -> None:
    purchases = data(
        sim,
        """{ addOnPurchases(namespaceId: "gid://gitlab/Group/9970") {
             id name purchasedQuantity assignedQuantity } }""",
    )["addOnPurchases"]
    truth = control(sim, "GET", "truth/seats", params={"scope": "acme-corp"}).json()["seats"]
    assert {p["name"] for p in purchases} == {"DUO_ENTERPRISE", "CODE_SUGGESTIONS"}
    for purchase in purchases:
        entries = [t for t in truth if t["add_on_purchase_id"] == purchase["id"]]
        assert purchase["assignedQuantity"] == sum(t["assigned"] for t in entries) > 0
        assert purchase["purchasedQuantity"] == entries[0]["purchased_quantity"]
        assert purchase["assignedQuantity"] < purchase["purchasedQuantity"]
    users, count, _ = read_seat_users(sim, "acme-corp", 100, [ENTERPRISE_PURCHASE])
    enterprise = {t["user_global_id"]: t for t in truth if t["add_on_type"] == "DUO_ENTERPRISE"}
    assert count == len(users) == len(enterprise) > 30
    assert not any(u["bot"] for u in users)
    holders = set()
    for user in users:
        entry = enterprise[user["id"]]
        assigned = [n["addOnPurchase"]["name"] for n in user["addOnAssignments"]["nodes"]]
        assert assigned == (["DUO_ENTERPRISE"] if entry["assigned"] else [])
        assert user["lastDuoActivityOn"] == entry["last_duo_activity_on"]
        assert user["lastActivityOn"] == entry["last_activity_on"]
        if user["lastDuoActivityOn"] is not None:
            assert user["lastActivityOn"] >= user["lastDuoActivityOn"]
        if assigned:
            holders.add(user["username"])
    idle_holders = {u["username"] for u in users if u["lastDuoActivityOn"] is None} & holders
    assert idle_holders  # seats nobody uses
    duo_users = {u["username"] for u in users if u["lastDuoActivityOn"] is not None}
    assert duo_users - holders  # Duo users without a seat
    assert sim.truth_seats("acme-corp") == truth


def test_seat_paging_by_offset_is_complete(sim: Simulator) -> None:
    everyone, count, pages = read_seat_users(sim, "acme-corp", 100, [ENTERPRISE_PURCHASE])
    paged, paged_count, paged_pages = read_seat_users(sim, "acme-corp", 4, [ENTERPRISE_PURCHASE])
    assert pages == 1
    assert paged_pages == -(-count // 4) > 5
    assert paged == everyone
    assert paged_count == count
    ids = [int(u["id"].rsplit("/", 1)[1]) for u in paged]
    assert ids == sorted(set(ids))
    holders, holder_count, _ = read_seat_users(
        sim, "acme-corp", 5, [ENTERPRISE_PURCHASE], filter="true"
    )
    assert (
        holder_count == len(holders) == sum(bool(u["addOnAssignments"]["nodes"]) for u in everyone)
    )
    searched, _, _ = read_seat_users(sim, "acme-corp", 5, [ENTERPRISE_PURCHASE], search="NGUYEN")
    assert [u["username"] for u in searched] == ["alice.nguyen"]


def test_revoking_a_seat_shows_up(fresh_sim: Simulator) -> None:
    def enterprise_seat() -> tuple[int, list[str]]:
        result = data(
            fresh_sim,
            """query($ids: [GitlabSubscriptionsAddOnPurchaseID!]!) {
              addOnPurchases(namespaceId: "gid://gitlab/Namespace/9970") { name assignedQuantity }
              group(fullPath: "acme-corp") { addOnEligibleUsers(addOnType: DUO_ENTERPRISE,
                addOnPurchaseIds: $ids, search: "alice") { nodes {
                addOnAssignments(addOnPurchaseIds: $ids) {
                  nodes { addOnPurchase { name } } } } } } }""",
            {"ids": [ENTERPRISE_PURCHASE, DUO_PRO_PURCHASE]},
        )
        quantity = next(
            p["assignedQuantity"] for p in result["addOnPurchases"] if p["name"] == "DUO_ENTERPRISE"
        )
        (alice,) = result["group"]["addOnEligibleUsers"]["nodes"]
        return quantity, [n["addOnPurchase"]["name"] for n in alice["addOnAssignments"]["nodes"]]

    quantity, seats = enterprise_seat()
    assert seats == ["DUO_ENTERPRISE"]
    change = {"scope": "acme-corp", "add_on_type": "DUO_ENTERPRISE", "username": "alice.nguyen"}
    response = control(fresh_sim, "POST", "seats", json={**change, "assigned": False})
    assert response.status_code == 200
    assert response.json()["assigned_quantity"] == quantity - 1
    assert enterprise_seat() == (quantity - 1, [])
    truth = fresh_sim.truth_seats("acme-corp")
    alice = next(
        t for t in truth if t["username"] == "alice.nguyen" and t["add_on_type"] == "DUO_ENTERPRISE"
    )
    assert alice["assigned"] is False
    assert control(fresh_sim, "POST", "seats", json={**change, "assigned": True}).ok
    assert enterprise_seat() == (quantity, ["DUO_ENTERPRISE"])
    refused = [
        {**change, "username": "isabel.garcia", "assigned": True},  # a Globex-only member
        {**change, "scope": "globex", "assigned": True},  # Globex has no Duo Enterprise
        {**change, "assigned": "yes"},
    ]
    for body in refused:
        assert control(fresh_sim, "POST", "seats", json=body).status_code == 400, body


def test_seats_run_out(fresh_sim: Simulator) -> None:
    truth = fresh_sim.truth_seats("globex")
    free = [t["username"] for t in truth if not t["assigned"]]
    assert truth[0]["purchased_quantity"] - truth[0]["assigned_quantity"] == len(free) == 1
    change = {"scope": "globex", "add_on_type": "CODE_SUGGESTIONS", "assigned": True}
    assert control(fresh_sim, "POST", "seats", json={**change, "username": free[0]}).ok
    assigned = [t["username"] for t in truth if t["assigned"]]
    control(fresh_sim, "POST", "seats", json={**change, "username": assigned[0], "assigned": False})
    assert control(fresh_sim, "POST", "seats", json={**change, "username": assigned[0]}).ok
    response = control(fresh_sim, "POST", "seats", json={**change, "username": "nobody"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("token", "sees"),
    [(ADMIN_TOKEN, True), (OWNER_TOKEN, True), (REPORTER_TOKEN, False), (GUEST_TOKEN, False)],
)
def test_seats_need_an_owner(sim: Simulator, token: str, sees: bool) -> None:
    query = """query($ids: [GitlabSubscriptionsAddOnPurchaseID!]!) {
      addOnPurchases(namespaceId: "gid://gitlab/Group/9970") { name }
      group(fullPath: "acme-corp") { addOnEligibleUsers(addOnType: DUO_ENTERPRISE,
        addOnPurchaseIds: $ids, first: 1) { count } } }"""
    payload = graphql(sim, query, {"ids": [ENTERPRISE_PURCHASE]}, token=token)
    if sees:
        assert "errors" not in payload
        assert len(payload["data"]["addOnPurchases"]) == 2
        assert payload["data"]["group"]["addOnEligibleUsers"]["count"] > 30
    else:
        assert payload["data"] == {"addOnPurchases": None, "group": {"addOnEligibleUsers": None}}
        assert sorted(error_messages(payload)) == [
            (PERMISSION_ERROR, ["addOnPurchases"]),
            (PERMISSION_ERROR, ["group", "addOnEligibleUsers"]),
        ]


def test_eligible_users_only_on_a_root_group(sim: Simulator) -> None:
    payload = graphql(
        sim,
        """{ group(fullPath: "acme-corp/platform") { addOnEligibleUsers(addOnType: DUO_ENTERPRISE,
             addOnPurchaseIds: []) { count } } }""",
        token=OWNER_TOKEN,
    )
    assert payload["data"] == {"group": {"addOnEligibleUsers": None}}
    assert error_messages(payload) == [
        (
            "Add on eligible users can only be queried on a root namespace",
            ["group", "addOnEligibleUsers"],
        )
    ]


@pytest.mark.parametrize(("token", "admin"), [(ADMIN_TOKEN, True), (OWNER_TOKEN, False)])
def test_instance_seats_are_for_admins(sim: Simulator, token: str, admin: bool) -> None:
    query = """query($ids: [GitlabSubscriptionsAddOnPurchaseID!]!) {
      addOnPurchases { id name purchasedQuantity assignedQuantity }
      selfManagedAddOnEligibleUsers(addOnType: DUO_ENTERPRISE, addOnPurchaseIds: $ids,
                                    filterByAssignedSeat: "true", first: 100) {
        count nodes { username addOnAssignments(addOnPurchaseIds: $ids) {
          nodes { addOnPurchase { id } } } } } }"""
    payload = graphql(sim, query, {"ids": [INSTANCE_PURCHASE]}, token=token)
    if not admin:
        assert payload["data"] == {"addOnPurchases": None, "selfManagedAddOnEligibleUsers": None}
        assert len(payload["errors"]) == 2
        return
    assert "errors" not in payload
    (purchase,) = payload["data"]["addOnPurchases"]
    assert (purchase["id"], purchase["name"]) == (INSTANCE_PURCHASE, "DUO_ENTERPRISE")
    holders = payload["data"]["selfManagedAddOnEligibleUsers"]
    assert holders["count"] == purchase["assignedQuantity"] == len(holders["nodes"]) > 20
    truth = sim.truth_seats("")
    assert {t["username"] for t in truth if t["assigned"]} == {
        n["username"] for n in holders["nodes"]
    }
    assert len(truth) == len(sim.org.users) - 1  # every human; the bot is not eligible


def test_purchases_of_other_namespaces(sim: Simulator) -> None:
    result = data(
        sim,
        """{ globex: addOnPurchases(namespaceId: "gid://gitlab/Group/11200") {
               name purchasedQuantity }
             subgroup: addOnPurchases(namespaceId: "gid://gitlab/Group/10001") { name } }""",
    )
    assert result == {
        "globex": [{"name": "CODE_SUGGESTIONS", "purchasedQuantity": 5}],
        "subgroup": [],
    }
    wrong_type = graphql(
        sim, '{ addOnPurchases(namespaceId: "gid://gitlab/Project/52011") { id } }'
    )
    assert "does not represent an instance of Namespace" in wrong_type["errors"][0]["message"]
    unknown = graphql(sim, '{ addOnPurchases(namespaceId: "gid://gitlab/Group/1") { id } }')
    assert error_messages(unknown) == [(PERMISSION_ERROR, ["addOnPurchases"])]


def test_truth_endpoints_refuse_bad_parameters(sim: Simulator) -> None:
    bad = [
        ("truth/ai-user-metrics", {"scope_type": "instance"}),
        ("truth/ai-user-metrics", {"scope_type": "group", "scope_path": "nope"}),
        ("truth/ai-metrics", {"scope_type": "project", "scope_path": "acme-corp"}),
        ("truth/ai-metrics", {"scope_type": "group", "scope_path": "acme-corp", "end": "x"}),
        ("truth/seats", {"scope": "acme-corp/platform"}),
    ]
    for path, params in bad:
        assert control(sim, "GET", path, params=params).status_code == 400, (path, params)
