"""Reading GitLab's GraphQL answers: the parsed body, the one connection, its nulls.

Each query selects exactly one paginated connection (the object that has ``pageInfo``).
GitLab answers "not available to you" with a silent ``null`` on the way to it, which
must not be mistaken for "no events".
"""

from __future__ import annotations

import decimal
import json
import typing as t

import requests

_PAYLOAD_ATTRIBUTE = "_tap_gitlab_duo_payload"


class ScopeNotFoundError(Exception):
    """``group``/``project`` came back null: unknown, or not visible to the token."""


class StreamUnavailableError(Exception):
    """GitLab will not serve this stream for a scope: not licensed, not authorized.

    ``detail`` says what GitLab answered, e.g. "GitLab returned null for aiUsageData".
    """

    def __init__(self, detail: str, *, cause: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.cause = cause


def payload(response: requests.Response) -> dict[str, t.Any]:
    """The response body as JSON, parsed once and kept with the response."""
    cached = getattr(response, _PAYLOAD_ATTRIBUTE, None)
    if cached is None:
        cached = json.loads(response.content, parse_float=decimal.Decimal)
        if not isinstance(cached, dict):
            msg = "GraphQL response is not a JSON object"
            raise ValueError(msg)
        setattr(response, _PAYLOAD_ATTRIBUTE, cached)
    return t.cast("dict[str, t.Any]", cached)


def connection_path(data: t.Any, prefix: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The response keys leading to the object holding ``pageInfo``, or None.

    None also when a field on the way is null: GitLab's "not for you".
    """
    if not isinstance(data, dict):
        return None
    if "pageInfo" in data:
        return prefix
    for key, value in data.items():
        if (
            isinstance(value, dict)
            and (found := connection_path(value, (*prefix, key))) is not None
        ):
            return found
    return None


def find_connection(data: t.Any) -> dict[str, t.Any] | None:
    """The object holding ``pageInfo`` below ``data``, or None when a parent is null."""
    path = connection_path(data)
    if path is None:
        return None
    for key in path:
        data = data[key]
    return t.cast("dict[str, t.Any]", data)


def errors_spare_the_data(body: dict[str, t.Any]) -> bool:
    """Whether every error lies outside the connection being read (partial data).

    An error inside it (a node, the connection itself) or on the way to it means rows
    of the window may be missing or wrong: that is never "partial, carry on".
    """
    path = connection_path(body.get("data"))
    if path is None:
        return False
    for error in body.get("errors") or ():
        error_path = tuple(map(str, (error or {}).get("path") or ()))
        shared = min(len(error_path), len(path))
        if not error_path or error_path[:shared] == path[:shared]:
            return False
    return True


def connection(response: requests.Response) -> dict[str, t.Any]:
    """The paginated connection of a response; raises when GitLab nulled the way to it."""
    data = payload(response).get("data") or {}
    found = find_connection(data)
    if found is not None:
        return found
    if "scope" in data and data["scope"] is None:
        raise ScopeNotFoundError
    raise StreamUnavailableError(f"GitLab returned null for {_first_null_field(data) or 'data'}")


def _first_null_field(data: t.Any, prefix: str = "") -> str | None:
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if value is None:
            return path
        if (found := _first_null_field(value, path)) is not None:
            return found
    return None
