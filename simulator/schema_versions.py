"""Older GitLab schemas, derived from `schema.graphql` (19.4) by pruning its parsed SDL.

Self-managed instances run GitLab versions from a year back, and the Duo analytics fields
are experiments that grew release by release. Each variant here removes from the current
SDL (with graphql-core, on the document AST) the fields, arguments, enum values and
`@deprecated` markers that version did not have, then every type nothing reaches any
more, and builds the schema from what is left. Introspection (`__type`, `__schema`) then
answers exactly what that version has, and a query selecting a missing field is rejected
by graphql-core's own validation ("Cannot query field 'mcp' on type 'AiMetrics'.").

Where the boundaries come from (`reference/gitlab_duo_api.md`, field history notes):

- `Query.aiUsageData` (the instance endpoint) arrived in 18.7 (§1.1).
- `AiUsageData.all` arrived mid-2025 (MR !196092, with an `id` field since removed,
  §1.3): taken as present in 18.2, absent in 17.x.
- `AiUserMetrics` had only `user` (non-null), `codeSuggestionsAcceptedCount` and
  `duoChatInteractionsCount` until the per-feature objects came, with
  `totalEventCount`, `lastDuoActivityOn` and the per-feature sort, in 18.7 (the two flat
  counts were deprecated in 18.7 in their favour, §2.3; `user` became nullable in 19.4).
- `AiMetrics`: the `codeSuggestions` object and `rootCauseAnalysisUsersCount` arrived in
  18.0 (the flat counts were deprecated then, §3.2); 17.x had only the flat counts,
  `codeContributorsCount`, `duoChatContributorsCount` and `duoUsedCount`. Per-feature
  objects (`chat`, `codeReview`, `troubleshoot`, `agentPlatform`) are newer than 18.0;
  their exact release is not in the reference, so 18.2 keeps them and 17.11 lacks them.
- MCP tracking (`mcp`, `START_/FINISH_MCP_TOOL_CALL`) is among the newest features (its
  events have no known database id, §1.4): absent from both older variants.
- Events: 17.x tracked Code Suggestions, Duo Chat and troubleshoot (database ids 1-7);
  18.2 lacks only the MCP events (the history of the others is not in the reference).

An instance of an older version never tracked the events its enum lacks, so the
simulator does not serve them there (`tracked_events`): not as raw events, not in the
aggregates, not in the ground truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from graphql import (
    DefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLEnumType,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_ast,
)

from simulator.events import EVENT_TYPES
from simulator.sdl import schema_sdl
from simulator.settings import SCHEMA_VERSIONS, SchemaVersion

CURRENT: SchemaVersion = "current"

# AiUsageEventType values GitLab 17.x tracked: database ids 1-7 (ai_tracking.rb).
_EVENTS_17 = frozenset(
    {
        "CODE_SUGGESTIONS_REQUESTED",
        "CODE_SUGGESTION_SHOWN_IN_IDE",
        "CODE_SUGGESTION_ACCEPTED_IN_IDE",
        "CODE_SUGGESTION_REJECTED_IN_IDE",
        "CODE_SUGGESTION_DIRECT_ACCESS_TOKEN_REFRESH",
        "REQUEST_DUO_CHAT_RESPONSE",
        "TROUBLESHOOT_JOB",
    }
)
_MCP_EVENTS = frozenset({"START_MCP_TOOL_CALL", "FINISH_MCP_TOOL_CALL"})


@dataclass(frozen=True)
class Pruning:
    """What a version lacks, relative to the current schema.

    Names are `Type.field` and `Type.field.argument`. `keep_fields` lists, per type, the
    only fields the version had; `undeprecate` the fields deprecated only later;
    `non_null` the fields that were non-null then.
    """

    remove_fields: frozenset[str] = frozenset()
    keep_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    remove_arguments: frozenset[str] = frozenset()
    remove_enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    keep_enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    undeprecate: frozenset[str] = frozenset()
    non_null: frozenset[str] = frozenset()


_AI_USER_METRICS_18 = frozenset(
    {"user", "codeSuggestionsAcceptedCount", "duoChatInteractionsCount"}
)
_EARLY_18 = Pruning(
    remove_fields=frozenset({"Query.aiUsageData", "AiMetrics.mcp"}),
    keep_fields={"AiUserMetrics": _AI_USER_METRICS_18},
    remove_arguments=frozenset({"Group.aiUserMetrics.sort", "Project.aiUserMetrics.sort"}),
    remove_enum_values={"AiUsageEventType": _MCP_EVENTS},
    undeprecate=frozenset(
        {"AiUserMetrics.codeSuggestionsAcceptedCount", "AiUserMetrics.duoChatInteractionsCount"}
    ),
    non_null=frozenset({"AiUserMetrics.user"}),
)
_LATE_17 = Pruning(
    remove_fields=_EARLY_18.remove_fields | {"AiUsageData.all"},
    keep_fields={
        **_EARLY_18.keep_fields,
        "AiMetrics": frozenset(
            {
                "codeContributorsCount",
                "codeSuggestionsAcceptedCount",
                "codeSuggestionsContributorsCount",
                "codeSuggestionsShownCount",
                "duoChatContributorsCount",
                "duoUsedCount",
            }
        ),
    },
    remove_arguments=_EARLY_18.remove_arguments,
    keep_enum_values={"AiUsageEventType": _EVENTS_17},
    undeprecate=_EARLY_18.undeprecate
    | {
        "AiMetrics.codeSuggestionsAcceptedCount",
        "AiMetrics.codeSuggestionsContributorsCount",
        "AiMetrics.codeSuggestionsShownCount",
    },
    non_null=_EARLY_18.non_null,
)

PRUNINGS: dict[SchemaVersion, Pruning] = {
    "current": Pruning(),
    "18.2": _EARLY_18,
    "17.11": _LATE_17,
}
assert set(PRUNINGS) == set(SCHEMA_VERSIONS)


class PruningError(ValueError):
    """A pruning names something the current schema does not have: a bug here."""


def _field_wanted(pruning: Pruning, type_name: str, field_name: str) -> bool:
    if f"{type_name}.{field_name}" in pruning.remove_fields:
        return False
    kept = pruning.keep_fields.get(type_name)
    return kept is None or field_name in kept


def _non_null(type_node: TypeNode) -> TypeNode:
    if isinstance(type_node, NamedTypeNode | ListTypeNode):
        return NonNullTypeNode(type=type_node)
    return type_node


def _prune_field(
    pruning: Pruning, type_name: str, node: FieldDefinitionNode
) -> FieldDefinitionNode:
    name = f"{type_name}.{node.name.value}"
    arguments = tuple(
        argument
        for argument in node.arguments or ()
        if f"{name}.{argument.name.value}" not in pruning.remove_arguments
    )
    directives = node.directives or ()
    if name in pruning.undeprecate:
        directives = tuple(d for d in directives if d.name.value != "deprecated")
    field_type = _non_null(node.type) if name in pruning.non_null else node.type
    return FieldDefinitionNode(
        description=node.description,
        name=node.name,
        arguments=arguments,
        type=field_type,
        directives=directives,
    )


def _prune_definition(pruning: Pruning, node: DefinitionNode) -> DefinitionNode:
    if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        type_name = node.name.value
        fields = tuple(
            _prune_field(pruning, type_name, field_node)
            for field_node in node.fields or ()
            if _field_wanted(pruning, type_name, field_node.name.value)
        )
        return type(node)(
            description=node.description,
            name=node.name,
            interfaces=node.interfaces,
            directives=node.directives,
            fields=fields,
        )
    if isinstance(node, EnumTypeDefinitionNode):
        type_name = node.name.value
        removed = pruning.remove_enum_values.get(type_name, frozenset())
        kept = pruning.keep_enum_values.get(type_name)
        values = tuple(
            value
            for value in node.values or ()
            if value.name.value not in removed and (kept is None or value.name.value in kept)
        )
        return EnumTypeDefinitionNode(
            description=node.description, name=node.name, directives=node.directives, values=values
        )
    return node


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _references(node: TypeDefinitionNode) -> Iterable[str]:
    """The names of the types a definition refers to."""
    if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        yield from (interface.name.value for interface in node.interfaces or ())
        for field_node in node.fields or ():
            yield _named(field_node.type)
            yield from (_named(argument.type) for argument in field_node.arguments or ())
    elif isinstance(node, InputObjectTypeDefinitionNode):
        yield from (_named(input_field.type) for input_field in node.fields or ())
    elif isinstance(node, UnionTypeDefinitionNode):
        yield from (member.name.value for member in node.types or ())


def _reachable(definitions: dict[str, TypeDefinitionNode], roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    pending = [root for root in roots if root in definitions]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(ref for ref in _references(definitions[name]) if ref in definitions)
    return seen


def _check(pruning: Pruning, document: DocumentNode) -> None:
    """Every name a pruning mentions exists in the current schema."""
    fields: dict[str, dict[str, FieldDefinitionNode]] = {}
    enums: dict[str, set[str]] = {}
    for node in document.definitions:
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            fields[node.name.value] = {f.name.value: f for f in node.fields or ()}
        elif isinstance(node, EnumTypeDefinitionNode):
            enums[node.name.value] = {v.name.value for v in node.values or ()}

    def field_exists(ref: str) -> FieldDefinitionNode:
        type_name, _, name = ref.partition(".")
        try:
            return fields[type_name][name]
        except KeyError as error:
            raise PruningError(f"the current schema has no field {ref}") from error

    for ref in pruning.remove_fields | pruning.undeprecate | pruning.non_null:
        field_exists(ref)
    for type_name, names in pruning.keep_fields.items():
        for name in names:
            field_exists(f"{type_name}.{name}")
    for ref in pruning.remove_arguments:
        type_name, field_name, argument = ref.split(".")
        arguments: Iterable[InputValueDefinitionNode] = (
            field_exists(f"{type_name}.{field_name}").arguments or ()
        )
        if argument not in {a.name.value for a in arguments}:
            raise PruningError(f"the current schema has no argument {ref}")
    for mapping in (pruning.remove_enum_values, pruning.keep_enum_values):
        for type_name, values in mapping.items():
            missing = values - enums.get(type_name, set())
            if missing:
                raise PruningError(f"{type_name} has no value(s) {', '.join(sorted(missing))}")


@cache
def version_document(version: SchemaVersion) -> DocumentNode:
    """The SDL of a GitLab version: the current one, pruned."""
    document = parse(schema_sdl())
    pruning = PRUNINGS[version]
    _check(pruning, document)
    pruned = [_prune_definition(pruning, node) for node in document.definitions]
    types = {node.name.value: node for node in pruned if isinstance(node, TypeDefinitionNode)}
    roots = ["Query", "Mutation", "Subscription"]
    reachable = _reachable(types, roots)
    kept = [
        node
        for node in pruned
        if not isinstance(node, TypeDefinitionNode) or node.name.value in reachable
    ]
    assert any(isinstance(node, SchemaDefinitionNode) for node in kept)
    return DocumentNode(definitions=tuple(kept))


def version_sdl(version: SchemaVersion) -> str:
    """The schema of a version as SDL text."""
    return print_ast(version_document(version))


@cache
def version_reference_schema(version: SchemaVersion) -> GraphQLSchema:
    """A version's schema without resolvers (for catalogues and checks)."""
    return build_ast_schema(version_document(version))


@cache
def tracked_events(version: SchemaVersion) -> frozenset[str] | None:
    """The events an instance of the version tracked; None: every event the simulator has."""
    enum = version_reference_schema(version).type_map.get("AiUsageEventType")
    known = frozenset(enum.values) if isinstance(enum, GraphQLEnumType) else frozenset()
    return None if known >= frozenset(EVENT_TYPES) else known & frozenset(EVENT_TYPES)


def scalar_names(version: SchemaVersion) -> frozenset[str]:
    """The custom scalars a version's schema still has."""
    return frozenset(
        node.name.value
        for node in version_document(version).definitions
        if isinstance(node, ScalarTypeDefinitionNode)
    )
