"""Every GraphQL operation of the tap stays under GitLab's complexity limit (250).

Each operation of `tap_gitlab_duo/queries/*.graphql` is loaded as the tap loads it
(`load_operation`), sent to the simulator (which scores queries as GitLab does) with
realistic variables (`first: 100`), and must be accepted; its score, as the simulator
reports it, must be under 250. Run with `-s` to see the scores.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import requests
from graphql import (
    DefinitionNode,
    DocumentNode,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeNode,
    build_schema,
    parse,
    print_ast,
    type_from_ast,
)

from simulator.sdl import schema_sdl
from tap_gitlab_duo.queries import load_document, load_operation, query_files
from tests.simulator_process import ADMIN_TOKEN, OWNER_TOKEN, shared_simulator

LIMIT = 250
DAY, NEXT_DAY = "2026-10-20", "2026-10-21"
ACME_DUO_ENTERPRISE = "gid://gitlab/GitlabSubscriptions::AddOnPurchase/4101"
# Realistic values by variable name; `fullPath` depends on the operation's scope.
VALUES: dict[str, Any] = {
    "startDate": DAY,
    "endDate": NEXT_DAY,
    "first": 100,
    "after": None,
    "addOnType": "DUO_ENTERPRISE",
    "addOnPurchaseIds": [ACME_DUO_ENTERPRISE],
    "namespaceId": "gid://gitlab/Group/9970",
    "name": "AiUserMetrics",
}


def operations() -> list[tuple[str, str]]:
    """(file, operation name) of every operation the tap ships."""
    found = []
    for file_name in query_files():
        for definition in load_document(file_name).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                found.append((file_name, definition.name.value))
    return found


@functools.cache
def _schema() -> GraphQLSchema:
    return build_schema(schema_sdl())


def _required(type_node: TypeNode) -> bool:
    return isinstance(type_from_ast(_schema(), type_node), GraphQLNonNull)


def variables_for(operation: str, text: str) -> dict[str, Any]:
    definition = next(d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode))
    values: dict[str, Any] = {}
    for variable in definition.variable_definitions or ():
        name = variable.variable.name.value
        if name == "fullPath":
            values[name] = "acme-corp/product/web-app" if "Project" in operation else "acme-corp"
        elif name in VALUES:
            values[name] = VALUES[name]
        elif _required(variable.type):
            pytest.fail(f"{operation}: no realistic value for required ${name}; add one")
    return values


def token_for(operation: str) -> str:
    """Instance-wide operations are an administrator's; the rest an owner's (limit 250)."""
    return ADMIN_TOKEN if "Instance" in operation or operation == "AddOnPurchases" else OWNER_TOKEN


def scored(text: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    url = shared_simulator().url
    response = requests.post(
        f"{url}/-/simulator/complexity",
        json={"query": text, "variables": variables, "token": token},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def with_query_complexity(text: str) -> str:
    """The document with `queryComplexity { score }` added to its operation."""
    document = parse(text)
    extra = parse("{ queryComplexity { score } }").definitions[0]
    assert isinstance(extra, OperationDefinitionNode)
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            selections = (*definition.selection_set.selections, *extra.selection_set.selections)
            definitions.append(
                OperationDefinitionNode(
                    operation=definition.operation,
                    name=definition.name,
                    variable_definitions=definition.variable_definitions,
                    directives=definition.directives,
                    selection_set=SelectionSetNode(selections=selections),
                )
            )
        else:
            definitions.append(definition)
    return print_ast(DocumentNode(definitions=tuple(definitions)))


@pytest.mark.parametrize(("file_name", "operation"), operations())
def test_operation_is_accepted_and_under_the_limit(file_name: str, operation: str) -> None:
    loaded = load_operation(file_name, operation)
    variables = variables_for(operation, loaded.text)
    token = token_for(operation)
    result = scored(loaded.text, variables, token)
    print(f"\n{file_name} {operation}: complexity {result['score']}, depth {result['depth']}")
    assert result["errors"] == []
    assert result["score"] < LIMIT
    assert result["depth"] <= result["max_depth"]

    response = requests.post(
        f"{shared_simulator().url}/api/graphql",
        json={"query": loaded.text, "variables": variables, "operationName": operation},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200
    payload = response.json()
    assert "data" in payload, payload
    assert "errors" not in payload, payload["errors"]

    # The score the query reports about itself (less the 2 points of the field asked).
    probe = requests.post(
        f"{shared_simulator().url}/api/graphql",
        json={"query": with_query_complexity(loaded.text), "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()
    assert probe["data"]["queryComplexity"]["score"] - 2 == result["score"]


def test_batched_introspection_requests_stay_under_the_limit() -> None:
    """The tap's `__type` batches (if this version of the tap has them)."""
    instance_schema = pytest.importorskip("tap_gitlab_duo.instance_schema")
    requests_ = getattr(instance_schema, "introspection_requests", None)
    types_read = getattr(instance_schema, "types_read", None)
    if requests_ is None or types_read is None:
        pytest.skip("the tap has no batched introspection")
    for document, variables in requests_(types_read()):
        result = scored(print_ast(document), variables, OWNER_TOKEN)
        print(f"\nintrospection batch of {len(variables)} types: complexity {result['score']}")
        assert result["errors"] == []
        assert result["score"] < LIMIT
