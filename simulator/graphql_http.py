"""`/api/graphql` over HTTP: the layers a request passes, as in front of and inside GitLab.

In order: statistics; latency (`latency_ms`); the throttle (`rate_limit_per_minute`);
injected faults, those in front of Rails first (429, 50x pages, dropped connections,
redirects, slow answers); token authentication; request decoding; the GraphQL controller's
timeout; execution (with field faults); a truncated delivery.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from simulator.fault_responses import (
    field_fault_middleware,
    graphql_timeout_response,
    transport_fault_response,
)
from simulator.faults import Fault
from simulator.messages import Request, Response, json_response
from simulator.rate_limiter import throttled_response
from simulator.stats import AuthorizationScheme

if TYPE_CHECKING:
    from simulator.app import Simulator
    from simulator.settings import RuntimeSettings

INVALID_TOKEN_BODY = {"errors": [{"message": "Invalid token"}]}
_OPERATION_NAME = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_jitter = random.Random()


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer …` or `PRIVATE-TOKEN: …`; None when there is none."""
    authorization = request.headers.get("Authorization")
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
    private_token = request.headers.get("PRIVATE-TOKEN")
    return private_token.strip() if private_token is not None else None


def authorization_scheme(request: Request) -> AuthorizationScheme:
    """What carried the token `bearer_token` reads: `Bearer`, `PRIVATE-TOKEN`, `other` or `none`."""
    authorization = request.headers.get("Authorization")
    if authorization and authorization.strip().partition(" ")[0].lower() == "bearer":
        return "Bearer"
    if request.headers.get("PRIVATE-TOKEN") is not None:
        return "PRIVATE-TOKEN"
    return "other" if authorization else "none"


def operation_names(body: object) -> frozenset[str]:
    """`operationName` of each operation of the body, or else the first name in its query."""
    names = set()
    for operation in body if isinstance(body, list) else [body]:
        if not isinstance(operation, Mapping):
            continue
        name = operation.get("operationName")
        if not (isinstance(name, str) and name):
            query = operation.get("query")
            match = _OPERATION_NAME.search(query) if isinstance(query, str) else None
            name = match.group(1) if match else None
        if name:
            names.add(name)
    return frozenset(names)


class _InvalidBody:
    """A POST body that is not JSON."""


def _decode(request: Request) -> object:
    if request.method == "GET":
        return dict(request.query)
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _InvalidBody()


def _pause(settings: RuntimeSettings) -> None:
    delay_ms = settings.latency_ms + _jitter.uniform(0, settings.latency_jitter_ms)
    if delay_ms > 0:
        time.sleep(delay_ms / 1000)


def graphql_endpoint(simulator: Simulator, request: Request) -> Response:
    settings = simulator.settings
    scheme = authorization_scheme(request)
    with simulator.stats.track(query_string=bool(request.query_string), scheme=scheme):
        _pause(settings)
        throttle = simulator.rate_limiter.check(
            settings.rate_limit_per_minute, settings.rate_limit_period_seconds
        )
        if throttle is not None and not throttle.allowed:
            simulator.stats.count_rate_limited()
            return throttled_response(throttle.headers)
        body = _decode(request)
        fault = settings.faults.select(operation_names(body))
        if fault is not None:
            simulator.stats.count_fault(fault.kind)
            in_front = transport_fault_response(fault, request, simulator.url)
            if in_front is not None:
                return in_front
            if fault.kind == "slow":
                time.sleep(fault.float_param("seconds"))
        response = _rails(simulator, body, bearer_token(request), fault)
        if throttle is not None:
            response = replace(response, headers=response.headers + throttle.headers)
        return response


def _rails(simulator: Simulator, body: object, token: str | None, fault: Fault | None) -> Response:
    """What GitLab's GraphQL controller answers."""
    viewer = simulator.viewer_for(token)
    if viewer is None:
        return json_response(401, INVALID_TOKEN_BODY)
    if isinstance(body, _InvalidBody):
        return json_response(400, {"errors": [{"message": "Invalid JSON in request body"}]})
    if fault is not None:
        timed_out = graphql_timeout_response(fault)
        if timed_out is not None:
            return timed_out
    context = simulator.request_context(viewer, base_url=simulator.url)
    payload = simulator.graphql.run(body, context, field_fault_middleware(fault))
    response = json_response(200, payload)
    if fault is not None and fault.kind == "truncate":
        return replace(response, delivery="truncate")
    return response
