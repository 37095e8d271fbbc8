"""Derive a stream's JSON schema from its GraphQL selection and GitLab's schema.

The committed schema files must equal what this derives, so a query and the schema of
the records it produces cannot drift apart.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
)

from tap_gitlab_duo.queries import load_document

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "tap_gitlab_duo" / "gitlab_schema.graphql"

_SCALARS: dict[str, dict[str, t.Any]] = {
    "Int": {"type": ["integer", "null"]},
    "Float": {"type": ["number", "null"]},
    "String": {"type": ["string", "null"]},
    "ID": {"type": ["string", "null"]},
    "Boolean": {"type": ["boolean", "null"]},
    "Date": {"type": ["string", "null"], "format": "date"},
    "Time": {"type": ["string", "null"], "format": "date-time"},
    "JSON": {"type": ["object", "null"], "additionalProperties": True},
}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def gitlab_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text())


def node_properties(
    file_name: str, fragment_name: str, *, into: str | None = None, skip: tuple[str, ...] = ()
) -> dict[str, t.Any]:
    """JSON-schema properties for the fields a fragment selects, in snake_case.

    ``into`` names a selected field to descend into first (``nodes`` of a connection).
    """
    schema = gitlab_schema()
    document = load_document(file_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    fragment = fragments[fragment_name]
    parent = schema.get_type(fragment.type_condition.name.value)
    assert isinstance(parent, GraphQLObjectType)
    selections = fragment.selection_set.selections
    if into is not None:
        field_node = next(
            s for s in selections if isinstance(s, FieldNode) and s.name.value == into
        )
        named = get_named_type(parent.fields[into].type)
        assert isinstance(named, GraphQLObjectType)
        assert field_node.selection_set is not None
        parent, selections = named, field_node.selection_set.selections
    return _properties(selections, parent, fragments, skip)


def _properties(
    selections: t.Iterable[t.Any],
    parent: GraphQLObjectType,
    fragments: dict[str, FragmentDefinitionNode],
    skip: tuple[str, ...],
) -> dict[str, t.Any]:
    properties: dict[str, t.Any] = {}
    for selection in selections:
        if isinstance(selection, FragmentSpreadNode):
            spread = fragments[selection.name.value]
            properties.update(_properties(spread.selection_set.selections, parent, fragments, skip))
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        if name in skip:
            continue
        field = parent.fields[name]
        description = field.description
        if field.deprecation_reason:
            # Kept for GitLab versions before its replacement; pruned once GitLab drops it.
            description = f"Deprecated by GitLab: {field.deprecation_reason}"
        properties[snake(name)] = _json_type(field.type, selection, fragments, description)
    return properties


def _json_type(
    graphql_type: t.Any,
    selection: FieldNode,
    fragments: dict[str, FragmentDefinitionNode],
    description: str | None,
) -> dict[str, t.Any]:
    inner = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if isinstance(inner, GraphQLList):
        item = _json_type(inner.of_type, selection, fragments, None)
        result: dict[str, t.Any] = {"type": ["array", "null"], "items": item}
    else:
        named = get_named_type(inner)
        if is_leaf_type(named):
            result = dict(_SCALARS.get(named.name, {"type": ["string", "null"]}))
        else:
            assert isinstance(named, GraphQLObjectType)
            assert selection.selection_set is not None
            result = {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": _properties(selection.selection_set.selections, named, fragments, ()),
            }
    if description:
        result["description"] = " ".join(description.split())
    return result
