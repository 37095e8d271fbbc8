"""Checks that run before anything is extracted: the token works, every scope exists.

A wrong path or a dead token must stop the run with one clear line before any stream
starts, not halfway through with some tables loaded. The first request also asks what
this instance's schema has (see ``instance_schema``): any answer at all proves the token.
"""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError

from tap_gitlab_duo.instance_schema import InstanceSchema, introspection_requests, types_read
from tap_gitlab_duo.queries import load_operation
from tap_gitlab_duo.scopes import GROUP, INSTANCE, PROJECT, Scope

if t.TYPE_CHECKING:
    from tap_gitlab_duo.client import DuoStream

_CHECKS = "scopes.graphql"
_OPERATION = {GROUP: "GroupScope", PROJECT: "ProjectScope"}


def check_access(transport: DuoStream, scopes: t.Sequence[Scope]) -> InstanceSchema:
    """What the instance's schema has; ``FatalAPIError`` naming the fix when a scope fails."""
    instance = read_instance_schema(transport)
    for scope in scopes:
        if scope.type == INSTANCE:
            continue  # visible or not, only the data query can tell (a silent null)
        if _exists(transport, scope):
            continue
        other = Scope(PROJECT if scope.type == GROUP else GROUP, scope.path)
        hint = ""
        if _exists(transport, other):
            hint = f" It is a {other.type}: list it in '{other.type}_paths' instead."
        msg = (
            f"{scope.type.capitalize()} '{scope.path}' in '{scope.type}_paths' was not "
            f"found, or the token cannot see it.{hint or ' Check the path and the token.'}"
        )
        raise FatalAPIError(msg)
    return instance


def read_instance_schema(transport: DuoStream) -> InstanceSchema:
    """The fields of every type the tap reads, as this instance has them."""
    answers: list[dict[str, t.Any] | None] = []
    for document, variables in introspection_requests(types_read()):
        body = transport.execute_document(document, variables)
        answers += ((body.get("data") or {}).get(name) for name in variables)
    return InstanceSchema.from_introspection(answers)


def _exists(transport: DuoStream, scope: Scope) -> bool:
    body = transport.execute(
        load_operation(_CHECKS, _OPERATION[scope.type]), {"fullPath": scope.path}
    )
    return (body.get("data") or {}).get("scope") is not None
