"""Every shipped query is valid against GitLab's schema and sends only what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from tap_gitlab_duo.client import DuoStream
from tap_gitlab_duo.queries import load_document, load_operation, query_files
from tap_gitlab_duo.tap import STREAM_TYPES

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "tap_gitlab_duo" / "gitlab_schema.graphql"
SHARED_SCHEMA = (
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "gitlab_duo_schema.graphql"
)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text())


def test_repository_schema_is_the_reference_schema() -> None:
    if not SHARED_SCHEMA.exists():
        pytest.skip("the shared reference folder is not beside this checkout")
    assert SCHEMA_FILE.read_text() == SHARED_SCHEMA.read_text()


def test_there_are_query_files() -> None:
    expected = {f"{stream_type.query_file}" for stream_type in STREAM_TYPES}
    assert expected | {"scopes.graphql", "schema_probe.graphql"} == set(query_files())


@pytest.mark.parametrize("file_name", query_files())
def test_query_file_validates_against_gitlab_schema(schema: GraphQLSchema, file_name: str) -> None:
    errors = validate(schema, load_document(file_name))
    assert errors == []


@pytest.mark.parametrize("stream_type", STREAM_TYPES)
def test_each_operation_alone_is_valid_and_has_no_comments(
    schema: GraphQLSchema, stream_type: type[DuoStream]
) -> None:
    for operation_name in stream_type.operations.values():
        operation = load_operation(stream_type.query_file, operation_name)
        assert "#" not in operation.text
        assert validate(schema, parse(operation.text)) == []
        assert f"query {operation_name}" in operation.text
        other_operations = [n for n in stream_type.operations.values() if n != operation_name]
        assert all(f"query {n}(" not in operation.text for n in other_operations)


def test_unknown_operation_is_an_error() -> None:
    with pytest.raises(KeyError):
        load_operation("scopes.graphql", "Nope")


def test_a_field_gitlab_lacks_fails_validation(schema: GraphQLSchema) -> None:
    # Guards the guard: validation really rejects what GitLab would reject.
    bad = parse('query { group(fullPath: "a") { aiUsageData { all { nodes { id } } } } }')
    assert validate(schema, bad)
