"""Request counters that tests and benchmarks read: how many, how many at once, and how.

No token is ever stored: only which scheme carried it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from simulator.faults import FAULT_KINDS

AuthorizationScheme = Literal["Bearer", "PRIVATE-TOKEN", "other", "none"]
AUTHORIZATION_SCHEMES: tuple[AuthorizationScheme, ...] = (
    "Bearer",
    "PRIVATE-TOKEN",
    "other",
    "none",
)


class RequestStats:
    """Counts GraphQL requests, the peak served concurrently, faults and credentials."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._with_query_string = 0
        self._schemes: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._rate_limited = 0

    @contextmanager
    def track(
        self, *, query_string: bool = False, scheme: AuthorizationScheme = "none"
    ) -> Iterator[None]:
        """Count one GraphQL request while it is served.

        `query_string`: its URL had one (variables belong in the body); `scheme`: what carried
        its token.
        """
        with self._lock:
            self._requests += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            self._with_query_string += query_string
            self._schemes[scheme] += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def count_rate_limited(self) -> None:
        """A request the rate limiter (`rate_limit_per_minute`) refused."""
        with self._lock:
            self._rate_limited += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "graphql_requests": self._requests,
                "max_in_flight": self._max_in_flight,
                "in_flight": self._in_flight,
                "requests_with_query_string": self._with_query_string,
                "authorization_schemes": {s: self._schemes[s] for s in AUTHORIZATION_SCHEMES},
                "faults": {kind: self._faults[kind] for kind in FAULT_KINDS},
                "rate_limited": self._rate_limited,
            }

    def reset(self) -> None:
        """Start counting afresh; requests still running count towards the new peak."""
        with self._lock:
            self._requests = 0
            self._max_in_flight = self._in_flight
            self._with_query_string = 0
            self._schemes.clear()
            self._faults.clear()
            self._rate_limited = 0
