"""Request counters that tests and benchmarks read: how many, and how many at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RequestStats:
    """Counts GraphQL requests and the peak number served concurrently."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._in_flight = 0
        self._max_in_flight = 0

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._lock:
            self._requests += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "graphql_requests": self._requests,
                "max_in_flight": self._max_in_flight,
                "in_flight": self._in_flight,
            }

    def reset(self) -> None:
        """Start counting afresh; requests still running count towards the new peak."""
        with self._lock:
            self._requests = 0
            self._max_in_flight = self._in_flight
