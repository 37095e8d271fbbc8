"""The metric streams read every current field GitLab has for them.

The issue asks for every non-deprecated field of ``AiUserMetrics`` and ``AiMetrics``.
This walks both types, and every object type reachable from them, in the tap's copy of
GitLab's schema and checks that each stream operation selects each field, so dropping a
field from a query (and its schema) fails here. Deprecated fields may be selected (older
GitLab versions have only those) but need not be.
"""

from __future__ import annotations

import pytest
from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    parse,
    visit,
)

from tap_gitlab_duo.client import DuoStream
from tap_gitlab_duo.instance_schema import known_schema
from tap_gitlab_duo.queries import load_operation
from tap_gitlab_duo.streams.metrics import AiMetricsStream, AiUserMetricsStream

# Fields not read on purpose, as "Type.field" ("Type.*": every field of the type).
NOT_READ = {
    # Connection plumbing: nodes carry the data; pageInfo's hasNextPage and endCursor
    # drive paging (tests/test_metrics_sync.py reads with small pages), the rest of
    # PageInfo is for paging backwards.
    "AgentPlatformUserFlowCountConnection.edges",
    "AgentPlatformUserFlowCountEdge.*",
    "PageInfo.*",
}
# A user is recorded as user_id and username only, as in every stream (privacy mode
# pseudonymizes both): names, e-mails and avatars are not metrics, and seat assignments
# have their own stream. Of these types only USER_FIELDS are required.
USER_TYPES = {"AddOnUser", "UserCore"}
USER_FIELDS = {"id", "username"}

STREAMS: dict[type[DuoStream], str] = {
    AiUserMetricsStream: "AiUserMetrics",
    AiMetricsStream: "AiMetrics",
}


def excluded(type_name: str, field: str) -> bool:
    return f"{type_name}.{field}" in NOT_READ or f"{type_name}.*" in NOT_READ


def required_fields(schema: GraphQLSchema, root: str) -> set[str]:
    """Every non-deprecated ``Type.field`` reachable from ``root``, minus NOT_READ."""
    required: set[str] = set()
    pending, seen = [root], set()
    while pending:
        type_name = pending.pop()
        if type_name in seen:
            continue
        seen.add(type_name)
        object_type = schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType), type_name
        for name, field in object_type.fields.items():
            named = get_named_type(field.type)
            if type_name in USER_TYPES:
                if name in USER_FIELDS:
                    required.add(f"{type_name}.{name}")
                continue
            if field.deprecation_reason or excluded(type_name, name):
                continue
            required.add(f"{type_name}.{name}")
            if isinstance(named, GraphQLObjectType):
                pending.append(named.name)
    return required


def selected_fields(schema: GraphQLSchema, text: str) -> set[str]:
    """Every ``Type.field`` an operation selects, fragments followed."""
    found: set[str] = set()
    type_info = TypeInfo(schema)

    class _Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                found.add(f"{parent.name}.{node.name.value}")

    visit(parse(text), TypeInfoVisitor(type_info, _Fields()))
    return found


def stream_operations() -> list[tuple[type[DuoStream], str]]:
    return [(s, name) for s in STREAMS for name in s.operations.values()]


@pytest.mark.parametrize(("stream_type", "operation_name"), stream_operations())
def test_every_current_metric_field_is_read(
    stream_type: type[DuoStream], operation_name: str
) -> None:
    schema = known_schema()
    operation = load_operation(stream_type.query_file, operation_name)
    missing = required_fields(schema, STREAMS[stream_type]) - selected_fields(
        schema, operation.text
    )
    assert not missing, f"{operation_name} does not read {sorted(missing)}"


def test_the_walk_reaches_nested_types_and_skips_only_what_is_listed() -> None:
    # Guards the guard: the walk must see the nested feature objects and the user of a
    # user flow count, or a missing nested field would pass unnoticed.
    required = required_fields(known_schema(), "AiMetrics")
    assert "mcpMetrics.startMcpToolCallEventCount" in required
    assert "agentPlatformMetrics.userFlowCounts" in required
    assert "AgentPlatformUserFlowCount.sessionsCount" in required
    assert "UserCore.username" in required
    assert "UserCore.email" not in required
    assert "AiMetrics.codeSuggestionsShownCount" not in required, "deprecated"
    user_metrics = required_fields(known_schema(), "AiUserMetrics")
    assert "mcpUserMetrics.startMcpToolCallEventCount" in user_metrics
    assert "AddOnUser.id" in user_metrics


def test_a_query_without_a_nested_field_is_caught() -> None:
    schema = known_schema()
    operation = load_operation("ai_user_metrics.graphql", "AiUserMetricsGroup")
    text = operation.text.replace("startMcpToolCallEventCount", "")
    missing = required_fields(schema, "AiUserMetrics") - selected_fields(schema, text)
    assert missing == {"mcpUserMetrics.startMcpToolCallEventCount"}


def test_every_exclusion_names_a_real_type_and_field() -> None:
    schema = known_schema()
    for entry in NOT_READ:
        type_name, field = entry.split(".")
        object_type = schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType), entry
        assert field == "*" or field in object_type.fields, entry
