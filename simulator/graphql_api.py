"""Executes GraphQL requests against `schema.graphql` the way GitLab answers them.

Parse and validation errors come back as `{"errors": [...]}` with HTTP 200; so do queries
over GitLab's complexity or depth limits (`complexity`), which are not executed. Resolver
errors sit next to partial `data`. A JSON array body is a multiplexed request (GitLab
supports those too) and gets an array of results; the complexity limit then also applies to
the sum of its queries. Each GitLab version of `schema_versions` has its own schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_ast_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
)

from simulator.auth import Viewer
from simulator.complexity import (
    Analysis,
    analyze,
    coerce_variables,
    complexity_error,
    limits_for,
)
from simulator.request_context import RequestContext
from simulator.resolvers import RESOLVERS, bind_resolvers
from simulator.scalars import install_scalars
from simulator.schema_versions import CURRENT, version_document
from simulator.sdl import schema_sdl
from simulator.settings import SchemaVersion

JsonObject = dict[str, Any]

__all__ = ["GraphQLService", "OperationRoot", "build_gitlab_schema", "schema_sdl"]


def build_gitlab_schema(version: SchemaVersion = CURRENT) -> GraphQLSchema:
    """The executable schema of a GitLab version (`schema_versions`), resolvers bound."""
    schema = build_ast_schema(version_document(version))
    install_scalars(schema)
    bind_resolvers(schema, RESOLVERS, strict=version == CURRENT)
    return schema


@dataclass(frozen=True)
class OperationRoot:
    """The root value of an executed operation: what `Query.queryComplexity` reports."""

    score: int
    limit: int


def _error(message: str) -> JsonObject:
    return {"errors": [{"message": message}]}


class _BadRequestError(ValueError):
    """A request body that is not a GraphQL operation."""


def _read_operation(operation: object) -> tuple[str, dict[str, Any] | None, str | None]:
    """`query`, `variables` and `operationName` of one operation, checked."""
    if not isinstance(operation, Mapping):
        raise _BadRequestError("Unexpected request body: expected a JSON object")
    query = operation.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _BadRequestError("No query string was present")
    variables = operation.get("variables")
    if isinstance(variables, str):  # some clients send the variables JSON-encoded
        try:
            variables = json.loads(variables) if variables.strip() else None
        except json.JSONDecodeError as error:
            raise _BadRequestError("variables are not valid JSON") from error
    if variables is not None and not isinstance(variables, Mapping):
        raise _BadRequestError("variables must be a JSON object")
    operation_name = operation.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _BadRequestError("operationName must be a string")
    return query, dict(variables) if variables else None, operation_name or None


@dataclass(frozen=True)
class _Plan:
    """One operation of a request, parsed, validated and analysed, ready to execute."""

    document: DocumentNode
    variables: dict[str, Any] | None
    operation_name: str | None
    analysis: Analysis | None  # None: variables or operation invalid, execute() says so


class GraphQLService:
    """Runs one request body; parsed and validated documents are cached by query text."""

    def __init__(self, schema: GraphQLSchema | None = None) -> None:
        self.schema = schema or build_gitlab_schema()
        # Clients send the same few queries page after page: validate each text once.
        self._prepare = lru_cache(maxsize=256)(self._parse_and_validate)

    def run(
        self,
        body: object,
        context: RequestContext,
        middleware: Callable[..., Any] | None = None,
    ) -> JsonObject | list[JsonObject]:
        """Execute the body; `middleware` (graphql-core's) wraps every field's resolver."""
        if not isinstance(body, list):
            plan = self._plan(body, context.viewer)
            return plan if isinstance(plan, dict) else self._execute(plan, context, middleware)
        plans = [self._plan(operation, context.viewer) for operation in body]
        # graphql-ruby's multiplex analyzer: the queries of a batch share one limit.
        limit = limits_for(context.viewer.grant is not None, context.viewer.is_admin).complexity
        total = sum(p.analysis.score for p in plans if isinstance(p, _Plan) and p.analysis)
        if total > limit:
            return [_error(complexity_error(total, limit)) for _ in plans]
        return [
            plan if isinstance(plan, dict) else self._execute(plan, context, middleware)
            for plan in plans
        ]

    def run_one(
        self,
        operation: object,
        context: RequestContext,
        middleware: Callable[..., Any] | None = None,
    ) -> JsonObject:
        plan = self._plan(operation, context.viewer)
        return plan if isinstance(plan, dict) else self._execute(plan, context, middleware)

    def analyze(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        viewer: Viewer,
        operation_name: str | None = None,
    ) -> Analysis | None:
        """Score and depth of a query as GitLab computes them (None: it does not validate)."""
        plan = self._plan(
            {"query": query, "variables": dict(variables or {}), "operationName": operation_name},
            viewer,
            enforce=False,
        )
        return plan.analysis if isinstance(plan, _Plan) else None

    def _plan(self, operation: object, viewer: Viewer, enforce: bool = True) -> _Plan | JsonObject:
        try:
            query, variables, operation_name = _read_operation(operation)
        except _BadRequestError as error:
            return _error(str(error))
        document, errors = self._prepare(query)
        if document is None:
            return {"errors": [error.formatted for error in errors]}
        analysis = self._analysis(document, variables, operation_name, viewer)
        if enforce and analysis is not None:
            messages = analysis.errors()
            if messages:
                # graphql-ruby: a query whose analysis fails is not run; no `data` at all.
                return {"errors": [{"message": message} for message in messages]}
        return _Plan(document, variables, operation_name, analysis)

    def _analysis(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        viewer: Viewer,
    ) -> Analysis | None:
        operation = get_operation_ast(document, operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            return None
        coerced = coerce_variables(self.schema, operation, variables)
        if coerced is None:
            return None
        name = operation.name.value if operation.name else None
        limits = limits_for(viewer.grant is not None, viewer.is_admin, name)
        return analyze(self.schema, document, operation, coerced, limits)

    def _execute(
        self, plan: _Plan, context: RequestContext, middleware: Callable[..., Any] | None
    ) -> JsonObject:
        analysis = plan.analysis
        root = OperationRoot(analysis.score, analysis.limits.complexity) if analysis else None
        result = execute(
            self.schema,
            plan.document,
            root_value=root,
            context_value=context,
            variable_values=plan.variables,
            operation_name=plan.operation_name,
            middleware=[middleware] if middleware is not None else None,
        )
        assert isinstance(result, ExecutionResult)  # every resolver is synchronous
        return dict(result.formatted)

    def _parse_and_validate(
        self, query: str
    ) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, (error,)
        errors = validate(self.schema, document)
        if errors:
            return None, tuple(errors)
        return document, ()
