"""GraphQL operations, kept in ``.graphql`` files with every value a variable.

A file holds the operations of one stream (one per scope type) and the fragments they
share. Only the chosen operation and the fragments it uses are sent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
)
from graphql.language import Visitor, visit


@dataclass(frozen=True)
class Operation:
    """One named operation, ready to send."""

    name: str
    text: str
    variables: frozenset[str]


def query_files() -> list[str]:
    """Every ``.graphql`` file shipped with the tap."""
    return sorted(
        entry.name
        for entry in resources.files(__package__).iterdir()
        if entry.name.endswith(".graphql")
    )


@functools.cache
def load_document(file_name: str) -> DocumentNode:
    return parse(resources.files(__package__).joinpath(file_name).read_text("utf-8"))


@functools.cache
def load_operation(file_name: str, operation_name: str) -> Operation:
    """The named operation of a file, with the fragments it needs and no others."""
    return select_operation(load_document(file_name), operation_name, file_name)


def select_operation(document: DocumentNode, operation_name: str, file_name: str) -> Operation:
    """The named operation of a parsed file, with the fragments it needs and no others."""
    operations = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    }
    if operation_name not in operations:
        msg = f"{file_name} has no operation {operation_name}"
        raise KeyError(msg)
    operation = operations[operation_name]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    needed = _fragments_used(operation.selection_set, fragments)
    chosen = DocumentNode(definitions=(operation, *(fragments[name] for name in sorted(needed))))
    variables = frozenset(v.variable.name.value for v in operation.variable_definitions or ())
    return Operation(name=operation_name, text=print_ast(chosen), variables=variables)


def _fragments_used(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    found: set[str] = set()
    pending = [selection_set]
    while pending:
        new = spread_names(pending.pop()) - found
        found |= new
        pending += [fragments[name].selection_set for name in new]
    return found


def spread_names(node: Node) -> set[str]:
    """Names of the fragments spread anywhere inside a node (not following them)."""
    names: set[str] = set()

    class _Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, _Spreads())
    return names
