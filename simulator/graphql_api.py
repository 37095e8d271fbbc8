"""Executes GraphQL requests against `schema.graphql` the way GitLab answers them.

Parse and validation errors come back as `{"errors": [...]}` with HTTP 200; resolver errors
sit next to partial `data`. A JSON array body is a multiplexed request (GitLab supports
those too) and gets an array of results.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    execute,
    parse,
    validate,
)

from simulator.request_context import RequestContext
from simulator.resolvers import RESOLVERS, bind_resolvers
from simulator.scalars import install_scalars
from simulator.sdl import schema_sdl

JsonObject = dict[str, Any]

__all__ = ["GraphQLService", "build_gitlab_schema", "schema_sdl"]


def build_gitlab_schema() -> GraphQLSchema:
    schema = build_schema(schema_sdl())
    install_scalars(schema)
    bind_resolvers(schema, RESOLVERS)
    return schema


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
        if isinstance(body, list):
            return [self.run_one(operation, context, middleware) for operation in body]
        return self.run_one(body, context, middleware)

    def run_one(
        self,
        operation: object,
        context: RequestContext,
        middleware: Callable[..., Any] | None = None,
    ) -> JsonObject:
        try:
            query, variables, operation_name = _read_operation(operation)
        except _BadRequestError as error:
            return _error(str(error))
        document, errors = self._prepare(query)
        if document is None:
            return {"errors": [error.formatted for error in errors]}
        result = execute(
            self.schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
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
