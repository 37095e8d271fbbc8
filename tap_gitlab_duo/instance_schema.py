"""What the GitLab instance's schema has, and the tap's queries cut down to fit it.

Duo analytics fields are experiments that GitLab adds release by release, so an
instance a year old lacks fields the tap asks for, and GraphQL rejects a whole query
for one unknown field. At start the tap asks the instance (``__type``) which fields the
types it reads have, removes the missing ones from its parsed queries, and says once
per field what a sync will lack. A query that loses a field it cannot do without (one
that carries the scope, the dates or the cursor) cannot be sent: that stream is then
unavailable on this instance, and the rest of the sync goes on.

The tap's own copy of GitLab's schema (``gitlab_schema.graphql``) tells which type each
selected field belongs to.
"""

from __future__ import annotations

import functools
import threading
import typing as t
from dataclasses import dataclass
from importlib import resources

from graphql import (
    REMOVE,
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    build_schema,
    visit,
)

from tap_gitlab_duo.queries import (
    Operation,
    load_document,
    load_operation,
    query_files,
    select_operation,
    spread_names,
)

# Types per introspection request: about six complexity points each, so a request stays
# far below GitLab's limit of 250.
TYPES_PER_REQUEST = 25


@functools.cache
def known_schema() -> GraphQLSchema:
    """GitLab's schema (the subset the tap reads) at the newest version the tap knows."""
    text = resources.files("tap_gitlab_duo").joinpath("gitlab_schema.graphql").read_text("utf-8")
    return build_schema(text)


@dataclass(frozen=True)
class InstanceSchema:
    """The fields (and their arguments) of the types the tap reads, as an instance has them.

    A type the instance lacks maps to nothing: all of its fields are missing.
    """

    types: t.Mapping[str, t.Mapping[str, frozenset[str]]]

    def has_field(self, type_name: str, field: str) -> bool:
        return field in self.types.get(type_name, {})

    def has_argument(self, type_name: str, field: str, argument: str) -> bool:
        return argument in self.types.get(type_name, {}).get(field, frozenset())

    @classmethod
    def from_introspection(
        cls, answers: t.Iterable[t.Mapping[str, t.Any] | None]
    ) -> InstanceSchema:
        """Built from ``__type`` answers (``None`` for a type the instance lacks)."""
        types: dict[str, dict[str, frozenset[str]]] = {}
        for answer in answers:
            if not answer:
                continue
            types[answer["name"]] = {
                field["name"]: frozenset(arg["name"] for arg in field.get("args") or ())
                for field in answer.get("fields") or ()
            }
        return cls(types)


@functools.cache
def types_read() -> tuple[str, ...]:
    """Every type in which some query of the tap selects a field."""
    found: set[str] = set()
    for file_name in query_files():
        found |= _parent_types(load_document(file_name))
    return tuple(sorted(found))


def _parent_types(document: DocumentNode) -> set[str]:
    found: set[str] = set()
    type_info = TypeInfo(known_schema())

    class _Parents(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = type_info.get_parent_type()
            if parent is not None and not _introspection(parent.name, node.name.value):
                found.add(parent.name)

    visit(document, TypeInfoVisitor(type_info, _Parents()))
    return found


def _introspection(type_name: str, field: str) -> bool:
    """GraphQL's own introspection types and fields, which every instance has."""
    return type_name.startswith("__") or field.startswith("__")


def introspection_requests(
    type_names: t.Sequence[str],
) -> list[tuple[DocumentNode, dict[str, t.Any]]]:
    """Documents asking ``__type`` for each name, a batch of types per request.

    The single-type query of ``schema_probe.graphql`` is repeated under aliases on the
    parsed document, with one variable per type.
    """
    template = load_document("schema_probe.graphql")
    operation = next(d for d in template.definitions if isinstance(d, OperationDefinitionNode))
    fragments = [d for d in template.definitions if isinstance(d, FragmentDefinitionNode)]
    field = t.cast("FieldNode", operation.selection_set.selections[0])
    requests = []
    for start in range(0, len(type_names), TYPES_PER_REQUEST):
        batch = type_names[start : start + TYPES_PER_REQUEST]
        selections, definitions, variables = [], [], {}
        for index, type_name in enumerate(batch):
            variable = f"type{index}"
            selections.append(
                FieldNode(
                    alias=NameNode(value=variable),
                    name=field.name,
                    arguments=(
                        ArgumentNode(
                            name=NameNode(value="name"),
                            value=VariableNode(name=NameNode(value=variable)),
                        ),
                    ),
                    directives=(),
                    selection_set=field.selection_set,
                )
            )
            definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=variable)),
                    type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="String"))),
                    directives=(),
                )
            )
            variables[variable] = type_name
        batched = OperationDefinitionNode(
            operation=operation.operation,
            name=operation.name,
            variable_definitions=tuple(definitions),
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        requests.append((DocumentNode(definitions=(batched, *fragments)), variables))
    return requests


def prune(document: DocumentNode, instance: InstanceSchema) -> tuple[DocumentNode, list[str]]:
    """The document without the fields the instance lacks, and those fields (``Type.field``).

    A field whose whole selection is gone goes too, and so does a fragment nobody uses.
    """
    missing: list[str] = []
    type_info = TypeInfo(known_schema())
    fields: list[str] = []  # "Type.field" of the fields being visited, innermost last

    class _Missing(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> t.Any:
            parent = type_info.get_parent_type()
            name = node.name.value
            if parent is None or _introspection(parent.name, name):
                fields.append("")
                return None
            if instance.has_field(parent.name, name):
                fields.append(f"{parent.name}.{name}")
                return None
            missing.append(f"{parent.name}.{name}")
            return REMOVE

        def leave_field(self, *_: object) -> None:
            fields.pop()

        def enter_argument(self, node: ArgumentNode, *_: object) -> t.Any:
            if not fields or not fields[-1]:
                return None
            type_name, field = fields[-1].split(".")
            if instance.has_argument(type_name, field, node.name.value):
                return None
            missing.append(f"{fields[-1]}({node.name.value})")
            return REMOVE

    pruned = visit(document, TypeInfoVisitor(type_info, _Missing()))
    pruned = _drop_unused_optional_variables(pruned)
    while True:
        emptied = _drop_empty_selections(pruned)
        if emptied is pruned:
            break
        pruned = emptied
    return pruned, sorted(set(missing))


def _drop_empty_selections(document: DocumentNode) -> DocumentNode:
    """One pass removing fields left without selections and fragments nobody spreads."""
    changed = False

    class _Empty(Visitor):
        def leave_field(self, node: FieldNode, *_: object) -> t.Any:
            nonlocal changed
            if node.selection_set is not None and not node.selection_set.selections:
                changed = True
                return REMOVE
            return None

        def leave_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> t.Any:
            nonlocal changed
            if node.name.value in empty_fragments:
                changed = True
                return REMOVE
            return None

    empty_fragments = {
        d.name.value
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode) and not d.selection_set.selections
    }
    result = visit(document, _Empty())
    spread = spread_names(result)
    definitions = tuple(
        d
        for d in result.definitions
        if not (isinstance(d, FragmentDefinitionNode) and d.name.value not in spread)
    )
    if len(definitions) != len(result.definitions):
        changed = True
    return DocumentNode(definitions=definitions) if changed else document


def _used_variables(operation: OperationDefinitionNode, document: DocumentNode) -> set[str]:
    used: set[str] = set()

    class _Variables(Visitor):
        def enter_variable(self, node: VariableNode, _key: t.Any, parent: t.Any, *_: t.Any) -> None:
            if not isinstance(parent, VariableDefinitionNode):
                used.add(node.name.value)

    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    visit(DocumentNode(definitions=(operation, *fragments)), _Variables())
    return used


def _drop_unused_optional_variables(document: DocumentNode) -> DocumentNode:
    """Optional variables whose argument the instance lacks are no longer declared."""
    definitions = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            definitions.append(definition)
            continue
        used = _used_variables(definition, document)
        definitions.append(
            OperationDefinitionNode(
                operation=definition.operation,
                name=definition.name,
                variable_definitions=tuple(
                    v
                    for v in definition.variable_definitions or ()
                    if v.variable.name.value in used or isinstance(v.type, NonNullTypeNode)
                ),
                directives=definition.directives,
                selection_set=definition.selection_set,
            )
        )
    return DocumentNode(definitions=tuple(definitions))


def unused_variables(document: DocumentNode, operation_name: str) -> list[str]:
    """Required variables of an operation that its pruned selections no longer use.

    Such an operation lost a field that carried the scope, the dates or the cursor, so
    it cannot ask what it was made for.
    """
    operation = next(
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == operation_name
    )
    used = _used_variables(operation, document)
    declared = [v.variable.name.value for v in operation.variable_definitions or ()]
    return [name for name in declared if name not in used]


class OperationUnusableError(Exception):
    """An operation lost, to an older GitLab, a field it cannot do without."""

    def __init__(self, operation_name: str, missing: t.Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            f"this GitLab version lacks {', '.join(self.missing)}, which {operation_name} needs"
        )


class FittedQueries:
    """The tap's operations as this instance can answer them; shipped ones when unknown."""

    def __init__(self, instance: InstanceSchema | None = None) -> None:
        self.instance = instance
        self._documents: dict[str, tuple[DocumentNode, list[str]]] = {}
        self._operations: dict[tuple[str, str], Operation] = {}
        self._lock = threading.Lock()

    def missing(self, file_name: str) -> list[str]:
        """Fields (``Type.field``) of a query file that this instance does not have."""
        return self._fitted(file_name)[1]

    def usable(self, file_name: str, operation_names: t.Iterable[str]) -> bool:
        """Whether every named operation of a file can still be sent."""
        try:
            for name in operation_names:
                self.operation(file_name, name)
        except OperationUnusableError:
            return False
        return True

    def operation(self, file_name: str, operation_name: str) -> Operation:
        """The named operation, pruned to this instance; raises OperationUnusableError."""
        key = (file_name, operation_name)
        with self._lock:
            if key not in self._operations:
                self._operations[key] = self._build(file_name, operation_name)
            return self._operations[key]

    def _build(self, file_name: str, operation_name: str) -> Operation:
        if self.instance is None:
            return load_operation(file_name, operation_name)
        document, missing = self._fitted(file_name)
        if unused_variables(document, operation_name):
            raise OperationUnusableError(operation_name, missing)
        return select_operation(document, operation_name, file_name)

    def _fitted(self, file_name: str) -> tuple[DocumentNode, list[str]]:
        if file_name not in self._documents:
            document = load_document(file_name)
            self._documents[file_name] = (
                prune(document, self.instance) if self.instance is not None else (document, [])
            )
        return self._documents[file_name]
