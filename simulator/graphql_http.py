"""`/api/graphql` over HTTP: token authentication, request decoding, statistics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from simulator.messages import Request, Response, json_response

if TYPE_CHECKING:
    from simulator.app import Simulator

INVALID_TOKEN_BODY = {"errors": [{"message": "Invalid token"}]}


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer …` or `PRIVATE-TOKEN: …`; None when there is none."""
    authorization = request.headers.get("Authorization")
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
    private_token = request.headers.get("PRIVATE-TOKEN")
    return private_token.strip() if private_token is not None else None


def graphql_endpoint(simulator: Simulator, request: Request) -> Response:
    with simulator.stats.track():
        viewer = simulator.viewer_for(bearer_token(request))
        if viewer is None:
            return json_response(401, INVALID_TOKEN_BODY)
        if request.method == "GET":
            body: object = dict(request.query)
        else:
            try:
                body = json.loads(request.body or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError):
                return json_response(400, {"errors": [{"message": "Invalid JSON in request body"}]})
        context = simulator.request_context(viewer, base_url=simulator.url)
        return json_response(200, simulator.graphql.run(body, context))
