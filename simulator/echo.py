"""A stand-in for "somewhere else": it records every request it gets, credentials redacted.

`redirect` faults point here by default (under the loopback's other host name), so a test
can check what a client carried across a redirect: whether `Authorization` or
`PRIVATE-TOKEN` came along, never their values.
"""

from __future__ import annotations

import threading
from typing import Any

from simulator.messages import Request

CREDENTIAL_HEADERS = frozenset(
    {"authorization", "private-token", "job-token", "cookie", "proxy-authorization"}
)
REDACTED = "[redacted]"
MAX_ENTRIES = 1000


def describe(request: Request) -> dict[str, Any]:
    """A request as the echo log keeps it."""
    return {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "headers": {
            name: REDACTED if name.lower() in CREDENTIAL_HEADERS else value
            for name, value in request.headers.items()
        },
        "authorization": request.headers.get("Authorization") is not None,
        "private_token": request.headers.get("PRIVATE-TOKEN") is not None,
        "body_bytes": len(request.body),
    }


class EchoLog:
    """The requests the echo endpoint received, oldest first (the last 1,000)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(self, request: Request) -> int:
        """Keep the request; the number of requests kept."""
        entry = describe(request)
        with self._lock:
            self._entries.append(entry)
            del self._entries[:-MAX_ENTRIES]
            return len(self._entries)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
