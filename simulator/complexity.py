"""Query complexity and depth, scored and limited as GitLab does it.

GitLab (`app/graphql/gitlab_schema.rb`) runs graphql-ruby's analyzers before executing a
query: max complexity 200 for anonymous callers (226 for the GraphiQL introspection
query), 250 for authenticated users, 300 for administrators; max depth 15 anonymous, 20
authenticated. A query above a limit is not executed: the answer is HTTP 200 with
`{"errors": [{"message": "Query has complexity of N, which exceeds max complexity of M"}]}`
(or `Query has depth of N, which exceeds max depth of M`) and no `data`, as graphql-ruby's
interpreter answers a query whose analysis failed.

The score is graphql-ruby's `QueryComplexity` analyzer (`complexity_cost_calculation_mode
:legacy`): selections are merged by response key per parent type (a field selected twice
under one key counts once), fragments count where they are spread, `@skip`/`@include`
are honoured, abstract types count their most expensive possible type. Each field's own
cost is GitLab's `Types::BaseField#complexity_for`:

- a plain field (introspection fields too): 1 + the cost of its selections;
- a resolver-backed field (`resolver:`): the cost of its selections plus the resolver's
  `resolver_complexity` (`BaseResolver`: 1, +1 with a `sort` argument, +5 with `search`);
  a connection adds `complexity * limit * 0.01` on top, `limit` being the smallest of
  `first`, `last` and the max page size (100): 100 items double the cost. The sum is
  truncated to an integer.

Which fields are resolver-backed is not in the SDL. Here: every connection (GitLab's
connection fields are resolver-backed: `all`, `codeSuggestionEvents`, `aiUserMetrics`,
`addOnEligibleUsers`, `addOnAssignments`, `userFlowCounts`, ...) and every field taking a
`sort` or `search` argument (the only arguments whose presence changes a resolver's cost;
for other non-connection resolvers the cost equals a plain field's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)
from graphql.execution.values import (
    get_argument_values,
    get_directive_values,
    get_variable_values,
)
from graphql.type import (
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
)

DEFAULT_MAX_COMPLEXITY = 200  # anonymous
INTROSPECTION_MAX_COMPLEXITY = 226  # anonymous GraphiQL introspection query
AUTHENTICATED_MAX_COMPLEXITY = 250
ADMIN_MAX_COMPLEXITY = 300
DEFAULT_MAX_DEPTH = 15  # anonymous
AUTHENTICATED_MAX_DEPTH = 20
INTROSPECTION_OPERATION_NAME = "IntrospectionQuery"

MAX_PAGE_SIZE = 100  # GitlabSchema.default_max_page_size
COMPLEXITY_MULTIPLIER = 0.01  # BaseResolver.complexity_multiplier: 1 % per item


def complexity_error(score: int, limit: int) -> str:
    return f"Query has complexity of {score}, which exceeds max complexity of {limit}"


def depth_error(depth: int, limit: int) -> str:
    return f"Query has depth of {depth}, which exceeds max depth of {limit}"


@dataclass(frozen=True)
class Limits:
    """`max_complexity` and `max_depth` of one query (`GitlabSchema.max_query_*`)."""

    complexity: int
    depth: int


def limits_for(authenticated: bool, admin: bool, operation_name: str | None = None) -> Limits:
    """The limits GitLab applies to a caller (and, anonymous, to the introspection query)."""
    if admin:
        return Limits(ADMIN_MAX_COMPLEXITY, AUTHENTICATED_MAX_DEPTH)
    if authenticated:
        return Limits(AUTHENTICATED_MAX_COMPLEXITY, AUTHENTICATED_MAX_DEPTH)
    if operation_name == INTROSPECTION_OPERATION_NAME:
        return Limits(INTROSPECTION_MAX_COMPLEXITY, DEFAULT_MAX_DEPTH)
    return Limits(DEFAULT_MAX_COMPLEXITY, DEFAULT_MAX_DEPTH)


@dataclass(frozen=True)
class Analysis:
    """The score and depth of one operation, and what its limits make of them."""

    score: int
    depth: int
    limits: Limits

    def errors(self) -> list[str]:
        messages = []
        if self.score > self.limits.complexity:
            messages.append(complexity_error(self.score, self.limits.complexity))
        if self.depth > self.limits.depth:
            messages.append(depth_error(self.depth, self.limits.depth))
        return messages


@dataclass
class _Scope:
    """graphql-ruby's `ScopedTypeComplexity`: one field (by response key) and its selections.

    `children` maps the parent type of each inner selection to the selections made on it,
    by response key.
    """

    parent_type: GraphQLNamedType | None
    field_def: GraphQLField | None
    nodes: list[FieldNode] = field(default_factory=list)
    children: dict[str, dict[str, _Scope]] = field(default_factory=dict)
    child_types: dict[str, GraphQLNamedType] = field(default_factory=dict)


class _Analyzer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Any,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_depth = 0

    # -- collecting --------------------------------------------------------------------------

    def _skipped(self, node: SelectionNode) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return True
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return include is not None and include.get("if") is False

    def _field_def(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is self.schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields is not None else None

    def collect(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        scope: _Scope,
        depth: int,
        visiting: frozenset[str] = frozenset(),
    ) -> None:
        for selection in selection_set.selections:
            if self._skipped(selection):
                continue
            if isinstance(selection, FieldNode):
                self._collect_field(selection, parent, scope, depth + 1, visiting)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                if inner is not None:
                    self.collect(selection.selection_set, inner, scope, depth, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visiting:  # validation reports both
                    continue
                inner = self.schema.get_type(fragment.type_condition.name.value)
                if inner is not None:
                    self.collect(fragment.selection_set, inner, scope, depth, visiting | {name})

    def _collect_field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        scope: _Scope,
        depth: int,
        visiting: frozenset[str],
    ) -> None:
        self.max_depth = max(self.max_depth, depth)
        field_def = self._field_def(parent, node.name.value)
        if field_def is None:
            return
        key = node.alias.value if node.alias else node.name.value
        scope.child_types[parent.name] = parent
        by_key = scope.children.setdefault(parent.name, {})
        child = by_key.get(key)
        if child is None:
            child = by_key[key] = _Scope(parent_type=parent, field_def=field_def)
        child.nodes.append(node)
        if node.selection_set is not None:
            inner = get_named_type(field_def.type)
            self.collect(node.selection_set, inner, child, depth, visiting)

    # -- scoring -----------------------------------------------------------------------------

    def _possible_types(self, named: GraphQLNamedType) -> list[GraphQLObjectType]:
        if is_abstract_type(named):
            return list(self.schema.get_possible_types(named))
        return [named] if isinstance(named, GraphQLObjectType) else []

    def _intersect(self, a: GraphQLNamedType, b: GraphQLNamedType) -> bool:
        if a is b:
            return True
        names = {t.name for t in self._possible_types(a)}
        return any(t.name in names for t in self._possible_types(b))

    def max_for_scopes(self, scopes: Sequence[_Scope]) -> int:
        """`merged_max_complexity_for_scopes`: the costliest possible type's selections."""
        possible: dict[str, GraphQLNamedType] = {}
        for scope in scopes:
            possible.update(scope.child_types)
        for name, named in list(possible.items()):
            if is_abstract_type(named):
                for implementation in self._possible_types(named):
                    possible.setdefault(implementation.name, implementation)
                del possible[name]
        best = 0
        for possible_type in possible.values():
            inner = [
                selections
                for scope in scopes
                for type_name, selections in scope.children.items()
                if self._intersect(scope.child_types[type_name], possible_type)
            ]
            best = max(best, self.merged(inner))
        return best

    def merged(self, inner_selections: Sequence[dict[str, _Scope]]) -> int:
        """`merged_max_complexity`: each response key once, its selections coalesced."""
        keys: dict[str, None] = {}
        for selections in inner_selections:
            keys.update(dict.fromkeys(selections))
        total = 0
        for key in keys:
            composite: list[_Scope] = []
            cost = 0
            for selections in inner_selections:
                child = selections.get(key)
                if child is None:
                    continue
                if not child.children:
                    cost = self.own(child, 0)
                else:
                    composite.append(child)
            if composite:
                # graphql-ruby scores the last composite scope with the merged children.
                cost = self.own(composite[-1], self.max_for_scopes(composite))
            total += cost
        return total

    def own(self, scope: _Scope, child_complexity: int) -> int:
        """`Types::BaseField#complexity_for` of one field."""
        field_def, parent = scope.field_def, scope.parent_type
        assert field_def is not None
        assert parent is not None
        connection = get_named_type(field_def.type).name.endswith("Connection")
        resolver = connection or "sort" in field_def.args or "search" in field_def.args
        if not resolver:
            return 1 + child_complexity
        try:
            arguments = get_argument_values(field_def, scope.nodes[0], self.variables)
        except GraphQLError:
            return child_complexity  # graphql-ruby: arguments are an error, no own cost
        complexity: float = child_complexity + _resolver_complexity(arguments)
        if connection:
            complexity += complexity * _connection_multiplier(arguments)
        return int(complexity)


def _given(value: object) -> bool:
    """Ruby truthiness of an argument value (nil and false are falsy, "" is not)."""
    return value is not None and value is not False


def _resolver_complexity(arguments: Mapping[str, Any]) -> int:
    """`BaseResolver.resolver_complexity`."""
    complexity = 1
    if _given(arguments.get("sort")):
        complexity += 1
    if _given(arguments.get("search")):
        complexity += 5
    return complexity


def _connection_multiplier(arguments: Mapping[str, Any]) -> float:
    """`BaseField#connection_complexity_multiplier` with `BaseResolver.complexity_multiplier`."""
    if _given(arguments.get("iid")) or _given(arguments.get("iids")):
        return 0.0
    sizes = [arguments.get("first"), arguments.get("last"), MAX_PAGE_SIZE]
    limit = min(size for size in sizes if size is not None)
    return limit * COMPLEXITY_MULTIPLIER


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: Mapping[str, Any] | None
) -> Any | None:
    """The operation's variables as graphql-core coerces them; None when they are invalid.

    (graphql-core 3.2 answers a dict, 3.3 a `VariableValues`; both go back into it as is.)
    """
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(inputs or {}))
    return None if isinstance(coerced, list) else coerced


def analyze(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Any,
    limits: Limits,
) -> Analysis:
    """Score and depth of `operation` of a validated document (`variables` from
    `coerce_variables`)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root_type = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    analyzer = _Analyzer(schema, fragments, variables)
    root = _Scope(parent_type=None, field_def=None)
    if root_type is not None:
        analyzer.collect(operation.selection_set, root_type, root, 0)
    return Analysis(score=analyzer.max_for_scopes([root]), depth=analyzer.max_depth, limits=limits)
