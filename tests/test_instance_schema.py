"""Fitting the tap's queries to an older GitLab: pure logic on parsed documents."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, parse, print_ast, validate

from tap_gitlab_duo.instance_schema import (
    FittedQueries,
    InstanceSchema,
    OperationUnusableError,
    introspection_requests,
    known_schema,
    types_read,
)
from tap_gitlab_duo.queries import load_operation


def instance_without(*missing: str) -> InstanceSchema:
    """The newest known schema, less the named ``Type.field``s (or whole types)."""
    types = {}
    for name, graphql_type in known_schema().type_map.items():
        if name in missing or not isinstance(graphql_type, GraphQLObjectType):
            continue
        types[name] = {
            field: frozenset(definition.args)
            for field, definition in graphql_type.fields.items()
            if f"{name}.{field}" not in missing
        }
    return InstanceSchema(types)


def test_on_the_newest_gitlab_nothing_is_pruned() -> None:
    queries = FittedQueries(instance_without())
    operation = queries.operation("ai_metrics.graphql", "AiMetricsGroup")
    assert operation == load_operation("ai_metrics.graphql", "AiMetricsGroup")
    assert queries.missing("ai_user_metrics.graphql") == []


def test_a_missing_field_is_cut_from_the_parsed_query_and_named() -> None:
    queries = FittedQueries(instance_without("AiMetrics.mcp"))
    operation = queries.operation("ai_metrics.graphql", "AiMetricsGroup")
    assert "mcp" not in operation.text
    assert "finishMcpToolCallEventCount" not in operation.text
    assert "codeSuggestions" in operation.text
    assert queries.missing("ai_metrics.graphql") == ["AiMetrics.mcp"]
    assert validate(known_schema(), parse(operation.text)) == []


def test_a_type_gitlab_lacks_takes_its_fields_and_empty_fragments_with_it() -> None:
    # GitLab before the per-feature objects: aiUserMetrics has no codeSuggestions etc.
    feature_fields = [
        f"AiUserMetrics.{name}"
        for name, field in known_schema().get_type("AiUserMetrics").fields.items()  # type: ignore[union-attr]
        if isinstance(getattr(field.type, "of_type", field.type), GraphQLObjectType)
        and name != "user"
    ]
    assert len(feature_fields) > 5
    queries = FittedQueries(instance_without(*feature_fields))
    operation = queries.operation("ai_user_metrics.graphql", "AiUserMetricsGroup")
    document = parse(operation.text)
    assert validate(known_schema(), document) == []
    assert "codeSuggestions {" not in operation.text
    assert "totalEventCount" in operation.text
    assert "codeSuggestionsAcceptedCount" in operation.text
    assert set(queries.missing("ai_user_metrics.graphql")) == set(feature_fields)


def test_losing_the_field_that_carries_the_dates_makes_the_stream_unusable() -> None:
    queries = FittedQueries(instance_without("AiUsageData.all"))
    with pytest.raises(OperationUnusableError, match=r"AiUsageData\.all"):
        queries.operation("ai_usage_events.graphql", "AiUsageEventsGroup")
    assert not queries.usable("ai_usage_events.graphql", ["AiUsageEventsGroup"])
    # The other raw-event stream does not need it.
    assert (
        "codeSuggestionEvents"
        in queries.operation("code_suggestion_events.graphql", "CodeSuggestionEventsGroup").text
    )


def test_without_introspection_the_shipped_queries_are_used() -> None:
    operation = FittedQueries().operation("ai_metrics.graphql", "AiMetricsProject")
    assert operation == load_operation("ai_metrics.graphql", "AiMetricsProject")


def test_the_probe_asks_every_type_the_queries_read_in_valid_batches() -> None:
    names = types_read()
    assert {"AiMetrics", "AiUsageData", "AiUserMetrics", "Group", "Query"} <= set(names)
    asked: list[str] = []
    for document, variables in introspection_requests(names):
        assert validate(known_schema(), document) == []
        assert len(variables) <= 25
        text = print_ast(document)
        assert all(f"${name}" in text for name in variables)
        asked += variables.values()
    assert asked == list(names)


def test_introspection_answers_become_the_instance_schema() -> None:
    instance = InstanceSchema.from_introspection(
        [
            {"name": "AiUsageData", "fields": [{"name": "all", "args": [{"name": "userIds"}]}]},
            None,
        ]
    )
    assert instance.has_field("AiUsageData", "all")
    assert instance.has_argument("AiUsageData", "all", "userIds")
    assert not instance.has_field("AiUsageData", "codeSuggestionEvents")
    assert not instance.has_field("AiMetrics", "mcp")


def test_an_argument_gitlab_lacks_is_cut_with_its_optional_variable() -> None:
    instance = instance_without()
    all_field = dict(instance.types["AiUsageData"])
    all_field["all"] = all_field["all"] - {"userIds"}
    queries = FittedQueries(InstanceSchema({**instance.types, "AiUsageData": all_field}))
    operation = queries.operation("ai_usage_events.graphql", "AiUsageEventsGroup")
    assert "userIds" not in operation.text
    assert "$events" in operation.text
    assert validate(known_schema(), parse(operation.text)) == []
    assert queries.missing("ai_usage_events.graphql") == ["AiUsageData.all(userIds)"]
