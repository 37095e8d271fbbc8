"""Checks that run before anything is extracted: the token works, every scope exists.

A wrong path or a dead token must stop the run with one clear line before any stream
starts, not halfway through with some tables loaded. The first request also asks what
this instance's schema has (see ``instance_schema``): any answer at all proves the token.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

from singer_sdk.exceptions import FatalAPIError

from tap_gitlab_duo.client import REQUEST_FAILURES
from tap_gitlab_duo.instance_schema import InstanceSchema, introspection_requests, types_read
from tap_gitlab_duo.queries import load_operation
from tap_gitlab_duo.scopes import GROUP, INSTANCE, PROJECT, Scope

if t.TYPE_CHECKING:
    from tap_gitlab_duo.client import DuoStream

_CHECKS = "scopes.graphql"
_OPERATION = {GROUP: "GroupScope", PROJECT: "ProjectScope"}


def check_access(transport: DuoStream, scopes: t.Sequence[Scope]) -> InstanceSchema:
    """What the instance's schema has; ``FatalAPIError`` naming the fix when a scope fails.

    The requests are independent, so they go out together (within the concurrency);
    failures are reported in a fixed order, the token's first.
    """
    introspection = introspection_requests(types_read())
    checked = [s for s in scopes if s.type != INSTANCE]  # the instance: only data can tell
    workers = max(1, min(transport.concurrency, len(introspection) + len(checked)))
    with ThreadPoolExecutor(workers, thread_name_prefix="preflight") as pool:
        answers = [
            pool.submit(transport.execute_document, document, variables)
            for document, variables in introspection
        ]
        found = [pool.submit(_exists, transport, scope) for scope in checked]
        bodies = [_result(transport, answer) for answer in answers]
        for scope, exists in zip(checked, found, strict=True):
            if not _result(transport, exists):
                raise FatalAPIError(_not_found(transport, scope))
    return InstanceSchema.from_introspection(
        (body.get("data") or {}).get(name)
        for body, (_, variables) in zip(bodies, introspection, strict=True)
        for name in variables
    )


_T = t.TypeVar("_T")


def _result(transport: DuoStream, answer: Future[_T]) -> _T:
    """A check's answer; when GitLab could not be reached, the one line saying so."""
    try:
        return answer.result()
    except REQUEST_FAILURES as exc:
        msg = (
            f"Could not check the token and scopes at {transport.url_base}: "
            f"{transport.failed_request(exc)}. Check 'api_url' and the network (or proxy), "
            "then run again; if GitLab is slow, raise 'max_retries' or 'request_timeout'."
        )
        raise FatalAPIError(msg) from exc


def _not_found(transport: DuoStream, scope: Scope) -> str:
    other = Scope(PROJECT if scope.type == GROUP else GROUP, scope.path)
    hint = ""
    if _exists(transport, other):
        hint = f" It is a {other.type}: list it in '{other.type}_paths' instead."
    return (
        f"{scope.type.capitalize()} '{scope.path}' in '{scope.type}_paths' was not "
        f"found, or the token cannot see it.{hint or ' Check the path and the token.'}"
    )


def _exists(transport: DuoStream, scope: Scope) -> bool:
    body = transport.execute(
        load_operation(_CHECKS, _OPERATION[scope.type]), {"fullPath": scope.path}
    )
    return (body.get("data") or {}).get("scope") is not None
