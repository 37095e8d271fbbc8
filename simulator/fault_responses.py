"""What each injected fault answers, as GitLab's layers would.

Rack::Attack throttles (`rate_limit`), nginx and Workhorse error pages (`http_error`),
redirects in front of GitLab (`redirect`), a dropped connection (`drop`), GitLab's GraphQL
controller after a database statement timeout (`graphql_timeout`), and graphql-ruby's
per-field timeout and silent nulls (`graphql_timeout` with `field`, `null`: field faults,
applied while the query executes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError, GraphQLResolveInfo

from simulator.faults import Fault
from simulator.messages import Request, Response
from simulator.rate_limiter import throttle_headers, throttled_response

# GraphqlController `rescue_from ActiveRecord::QueryAborted` (a statement timeout), HTTP 503.
GRAPHQL_TIMEOUT_MESSAGE = (
    "Request timed out. Please try a less complex query or a smaller set of records."
)
ECHO_PATH = "/-/simulator/echo"

_ERROR_PAGES = {
    # After GitLab's public/502.html and public/503.html, which Workhorse and nginx serve.
    502: (
        "Something went wrong (502)",
        "Whoops, GitLab is taking too much time to respond.",
    ),
    503: (
        "GitLab is not responding (503)",
        "Whoops, GitLab is currently unavailable.",
    ),
}


def error_page(status: int) -> bytes:
    title, message = _ERROR_PAGES[status]
    return f"""<!DOCTYPE html>
<html>
<head>
  <meta content="width=device-width, initial-scale=1, maximum-scale=1" name="viewport">
  <title>{title}</title>
</head>
<body>
  <h1>{status}</h1>
  <div class="container">
    <h3>{message}</h3>
    <hr />
    <p>Try refreshing the page, or going back and attempting the action again.</p>
    <p>Please contact your GitLab administrator if this problem persists.</p>
  </div>
</body>
</html>
""".encode()


def rate_limit_response(fault: Fault) -> Response:
    now = time.time()
    limit = fault.int_param("limit")
    headers = throttle_headers(
        name=fault.text_param("name") or "",
        limit_per_minute=limit,
        observed=limit + 1,
        remaining=0,
        reset_at=int(now) + fault.int_param("retry_after"),
        now=now,
        throttled=True,
    )
    return throttled_response(headers)


def default_redirect_location(request: Request, base_url: str) -> str:
    """The echo endpoint under the loopback's other name, so the redirect changes host."""
    requested = urlsplit(f"//{request.headers.get('Host') or urlsplit(base_url).netloc}")
    other = "127.0.0.1" if requested.hostname == "localhost" else "localhost"
    port = urlsplit(base_url).port
    return f"http://{other}:{port}{ECHO_PATH}"


def transport_fault_response(fault: Fault, request: Request, base_url: str) -> Response | None:
    """The answer of a fault raised in front of Rails; None for the other kinds."""
    if fault.kind == "rate_limit":
        return rate_limit_response(fault)
    if fault.kind == "http_error":
        status = fault.int_param("status")
        return Response(status, error_page(status), content_type="text/html; charset=utf-8")
    if fault.kind == "drop":
        return Response(0, b"", delivery="drop")
    if fault.kind == "redirect":
        location = fault.text_param("location") or default_redirect_location(request, base_url)
        return Response(fault.int_param("status"), b"", None, (("Location", location),))
    return None


def graphql_timeout_response(fault: Fault) -> Response | None:
    """The controller's timeout answer; None when the fault times out one field instead."""
    if fault.kind != "graphql_timeout" or fault.text_param("field") is not None:
        return None
    status = fault.int_param("status")
    payload: dict[str, Any] = {"errors": [{"message": GRAPHQL_TIMEOUT_MESSAGE}]}
    if status == 200:
        payload = {"data": None, **payload}
    return Response(status, json.dumps(payload).encode())


Middleware = Callable[..., Any]


def field_fault_middleware(fault: Fault | None) -> Middleware | None:
    """graphql-core middleware for `null` and `graphql_timeout` with `field`; else None.

    `null`: the field resolves to null, with no error (GitLab's silent nulls). Timeout: the
    field fails as graphql-ruby's `GraphQL::Schema::Timeout` makes it fail once GitLab's 30 s
    budget is spent: `Timeout on Type.field`, with `locations` and `path`, the field null.
    """
    if fault is None or fault.kind not in ("null", "graphql_timeout"):
        return None
    field_ref = fault.text_param("field")
    if field_ref is None:
        return None
    type_name, _, field_name = field_ref.rpartition(".")
    times_out = fault.kind == "graphql_timeout"

    def middleware(
        next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo, **args: Any
    ) -> Any:
        if info.field_name == field_name and type_name in ("", info.parent_type.name):
            if times_out:
                raise GraphQLError(f"Timeout on {info.parent_type.name}.{info.field_name}")
            return None
        return next_(root, info, **args)

    return middleware
