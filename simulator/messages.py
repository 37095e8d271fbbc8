"""HTTP requests and responses as the endpoints see them, free of the transport."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Literal

Delivery = Literal["full", "drop", "truncate"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    query_string: str = ""  # the raw query of the URL


@dataclass(frozen=True)
class Response:
    """An answer and how it travels.

    `delivery` `full` sends it; `drop` closes the connection without any response;
    `truncate` announces the whole body in `Content-Length`, sends half of it and closes.
    """

    status: int
    body: bytes
    content_type: str | None = "application/json"  # None: no Content-Type header
    headers: tuple[tuple[str, str], ...] = field(default=())
    delivery: Delivery = "full"


def json_response(status: int, payload: Any) -> Response:
    return Response(status=status, body=json.dumps(payload).encode())
