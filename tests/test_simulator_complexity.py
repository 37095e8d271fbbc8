"""GitLab's query complexity and depth limits, as the simulator scores and enforces them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from simulator import ADMIN_TOKEN, OWNER_TOKEN, Simulator, SimulatorConfig

GROUP = 'group(fullPath: "acme-corp")'
EVENT_PAGE = "all(first: 100) { nodes { event timestamp } }"  # (3 + 1) x 2 = 8


def post(sim: Simulator, body: Any, token: str | None = ADMIN_TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(sim.graphql_url, json=body, headers=headers, timeout=60)
    return response.status_code, response.json()


def graphql(
    sim: Simulator,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = ADMIN_TOKEN,
    operation_name: str | None = None,
) -> Any:
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name:
        body["operationName"] = operation_name
    status, payload = post(sim, body, token)
    assert status == 200
    return payload


def score(
    sim: Simulator,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = ADMIN_TOKEN,
) -> int:
    """The score `Query.queryComplexity` reports, less its own 2 points (the field + score)."""
    selection = query.strip()
    assert selection.startswith("{"), selection
    head, _, rest = selection.partition("{")
    with_field = f"{head}{{ queryComplexity {{ score }} {rest}"
    payload = graphql(sim, with_field, variables, token)
    assert "errors" not in payload, payload
    reported: int = payload["data"]["queryComplexity"]["score"]
    return reported - 2


def event_aliases(count: int) -> str:
    pages = " ".join(f"a{i}: {EVENT_PAGE}" for i in range(count))
    return f"{{ {GROUP} {{ aiUsageData {{ {pages} }} }} }}"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(seed=7, end_date=date(2025, 9, 30), days=2, events_per_day=100)
    with Simulator(config) as simulator:
        yield simulator


# -- the queryComplexity field ---------------------------------------------------------------------


@pytest.mark.parametrize(("token", "limit"), [(ADMIN_TOKEN, 300), (OWNER_TOKEN, 250), (None, 200)])
def test_query_complexity_reports_the_score_and_the_callers_limit(
    sim: Simulator, token: str | None, limit: int
) -> None:
    payload = graphql(sim, "{ queryComplexity { limit score } }", token=token)
    assert payload == {"data": {"queryComplexity": {"limit": limit, "score": 3}}}


def test_query_complexity_scores_the_whole_query(sim: Simulator) -> None:
    payload = graphql(sim, f"{{ queryComplexity {{ score }} {GROUP} {{ id fullPath }} }}")
    assert payload["data"]["queryComplexity"] == {"score": 2 + 3}


# -- scoring -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (f"{GROUP} {{ id fullPath name }}", 4),
        (f"{GROUP} {{ id id }}", 2),  # one response key counts once
        (f"{GROUP} {{ id other: id }}", 3),  # an alias is another key
        (f"{GROUP} {{ __typename id }}", 3),
        (f"{GROUP} {{ id ...F }} }} fragment F on Group {{ id fullPath", 3),
        (f"{GROUP} {{ ... on Group {{ id }} name }}", 3),
        (f"{GROUP} {{ id fullPath @skip(if: true) }}", 2),
        (f"{GROUP} {{ id fullPath @include(if: false) }}", 2),
        # Resolver-backed connections: (selections + 1) x (1 + min(first, last, 100) / 100).
        (f"{GROUP} {{ aiUsageData {{ {EVENT_PAGE} }} }}", 10),
        (f"{GROUP} {{ aiUsageData {{ all {{ nodes {{ event timestamp }} }} }} }}", 10),
        (f"{GROUP} {{ aiUsageData {{ all(first: 500) {{ nodes {{ event timestamp }} }} }} }}", 10),
        (f"{GROUP} {{ aiUsageData {{ all(first: 50) {{ nodes {{ event timestamp }} }} }} }}", 8),
        (f"{GROUP} {{ aiUsageData {{ all(first: 10) {{ nodes {{ event timestamp }} }} }} }}", 6),
        (f"{GROUP} {{ aiUsageData {{ all(last: 20) {{ nodes {{ event timestamp }} }} }} }}", 6),
        (
            f"{GROUP} {{ aiUsageData {{ all(first: 100, last: 1) {{ nodes {{ event }} }} }} }}",
            2 + 3,  # int((2 + 1) x 1.01)
        ),
        (
            f"{GROUP} {{ aiUsageData {{ all(first: 100) {{ nodes {{ event timestamp user "
            "{ id username } } pageInfo { hasNextPage endCursor } } } }",
            22,  # the tap's event page: (9 + 1) x 2 + 2
        ),
        # sort adds 1 to a resolver, search 5 (an empty search too: Ruby's "" is truthy).
        (f"{GROUP} {{ aiUserMetrics(first: 100) {{ nodes {{ totalEventCount }} }} }}", 7),
        (
            f"{GROUP} {{ aiUserMetrics(first: 100, sort: TOTAL_EVENTS_COUNT_DESC) "
            "{ nodes { totalEventCount } } }",
            9,
        ),
        (
            f"{GROUP} {{ addOnEligibleUsers(addOnType: DUO_ENTERPRISE, addOnPurchaseIds: [], "
            'search: "") { nodes { id } } }',
            1 + (2 + 6) * 2,
        ),
        (
            f"{GROUP} {{ addOnEligibleUsers(addOnType: DUO_ENTERPRISE, addOnPurchaseIds: [], "
            "sort: ID_ASC, first: 100) { nodes { id addOnAssignments(addOnPurchaseIds: []) "
            "{ nodes { addOnPurchase { id } } } } } }",
            1 + (1 + 1 + (3 + 1) * 2 + 2) * 2,  # a connection inside a connection
        ),
        (
            f"{GROUP} {{ aiMetrics {{ agentPlatform {{ flowMetrics(sort: USERS_COUNT_DESC) "
            "{ flowType } } } }",
            1 + 1 + 1 + (1 + 2),  # flowMetrics is a resolver: 1 + 1 for sort
        ),
        (
            '__type(name: "AiMetrics") { name fields { name args { name } } }',
            1 + 1 + (1 + 1 + (1 + 1)),
        ),
    ],
)
def test_scores_as_gitlab_computes_them(sim: Simulator, selection: str, expected: int) -> None:
    assert score(sim, f"{{ {selection} }}") == expected


def test_variables_count_as_their_values(sim: Simulator) -> None:
    query = (
        f"query($first: Int, $with: Boolean!) {{ {GROUP} {{ aiUsageData {{ "
        "all(first: $first) { nodes { event timestamp } } } name @include(if: $with) } }"
    )
    for variables, expected in (
        ({"first": 100, "with": True}, 11),
        ({"first": 10, "with": True}, 7),
        ({"first": 10, "with": False}, 6),
        ({"with": False}, 10),
    ):
        body = {"query": query.replace("query(", "query Q(", 1), "variables": variables}
        scored = requests.post(
            f"{sim.url}/-/simulator/complexity", json={**body, "token": ADMIN_TOKEN}, timeout=30
        ).json()
        assert scored["score"] == expected, variables


def test_the_complexity_endpoint_scores_without_running(sim: Simulator) -> None:
    url = f"{sim.url}/-/simulator/complexity"
    scored = requests.post(url, json={"query": event_aliases(35), "token": OWNER_TOKEN}, timeout=30)
    assert scored.json() == {
        "score": 282,
        "depth": 5,
        "max_complexity": 250,
        "max_depth": 20,
        "errors": ["Query has complexity of 282, which exceeds max complexity of 250"],
    }
    anonymous = requests.post(url, json={"query": "{ queryComplexity { score } }"}, timeout=30)
    assert anonymous.json()["max_complexity"] == 200
    assert anonymous.json()["max_depth"] == 15
    bad = requests.post(url, json={"query": "{ nope }"}, timeout=30)
    assert bad.status_code == 400


# -- limits -------------------------------------------------------------------------------------


def test_a_query_over_the_limit_is_refused_without_data(sim: Simulator) -> None:
    status, payload = post(sim, {"query": event_aliases(35)}, OWNER_TOKEN)  # 35 x 8 + 2
    assert status == 200
    assert payload == {
        "errors": [{"message": "Query has complexity of 282, which exceeds max complexity of 250"}]
    }


def test_administrators_have_a_higher_limit(sim: Simulator) -> None:
    accepted = graphql(sim, event_aliases(35))
    assert "errors" not in accepted
    assert len(accepted["data"]["group"]["aiUsageData"]) == 35
    refused = graphql(sim, event_aliases(40))
    assert refused == {
        "errors": [{"message": "Query has complexity of 322, which exceeds max complexity of 300"}]
    }


def test_anonymous_callers_have_the_lowest_limit(sim: Simulator) -> None:
    refused = graphql(sim, event_aliases(25), token=None)  # 25 x 8 + 2
    assert refused == {
        "errors": [{"message": "Query has complexity of 202, which exceeds max complexity of 200"}]
    }
    assert graphql(sim, event_aliases(24), token=None) == {"data": {"group": None}}


def test_anonymous_introspection_query_gets_226(sim: Simulator) -> None:
    types = " ".join(f't{i}: __type(name: "Query") {{ name }}' for i in range(105))  # 210
    query = f"query IntrospectionQuery {{ {types} }}"
    assert "errors" not in graphql(sim, query, token=None)
    other = graphql(sim, query.replace("IntrospectionQuery", "Types"), token=None)
    assert other["errors"][0]["message"].endswith("exceeds max complexity of 200")


def _nested_types(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"  # depth 5 + levels


def test_depth_is_limited_to_20_for_authenticated_callers(sim: Simulator) -> None:
    assert "errors" not in graphql(sim, _nested_types(15), token=OWNER_TOKEN)
    refused = graphql(sim, _nested_types(16), token=OWNER_TOKEN)
    assert refused == {
        "errors": [{"message": "Query has depth of 21, which exceeds max depth of 20"}]
    }


def test_depth_is_limited_to_15_for_anonymous_callers(sim: Simulator) -> None:
    assert "errors" not in graphql(sim, _nested_types(10), token=None)
    refused = graphql(sim, _nested_types(11), token=None)
    assert refused["errors"] == [
        {"message": "Query has depth of 16, which exceeds max depth of 15"}
    ]


def test_a_batch_shares_one_limit(sim: Simulator) -> None:
    one = {"query": event_aliases(18)}  # 146
    status, single = post(sim, [one], OWNER_TOKEN)
    assert status == 200
    assert "errors" not in single[0]
    status, batch = post(sim, [one, one], OWNER_TOKEN)
    assert status == 200
    message = "Query has complexity of 292, which exceeds max complexity of 250"
    assert batch == [{"errors": [{"message": message}]}] * 2


def test_validation_errors_come_before_the_complexity_check(sim: Simulator) -> None:
    query = event_aliases(40).replace("timestamp", "timestamp nope", 1)
    payload = graphql(sim, query, token=OWNER_TOKEN)
    assert [e["message"] for e in payload["errors"]] == [
        "Cannot query field 'nope' on type 'AiUsageEvent'."
    ]
