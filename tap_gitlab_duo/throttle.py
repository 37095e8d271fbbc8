"""Pacing requests: GitLab's "wait" answers and the user's rate cap, for all workers.

One gate is shared by every stream and worker thread of a run, so a 429 seen by one
worker pauses them all for as long as GitLab asks, and a requests-per-minute cap (for
tokens shared with other tools) holds across the whole run.
"""

from __future__ import annotations

import email.utils
import threading
import time
import typing as t

import requests

# Waits GitLab did not direct: exponential from BASE, capped by the max_backoff setting.
BACKOFF_BASE_SECONDS = 2.0


class RequestGate:
    """Hands out send slots: never before a server-directed pause ends, never over the cap."""

    def __init__(
        self,
        requests_per_minute: int = 0,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 60.0 / requests_per_minute if requests_per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._next_slot = 0.0

    def wait_turn(self) -> float:
        """Block until this caller may send; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._paused_until, self._next_slot)
            self._next_slot = slot + self._interval
        waited = slot - now
        if waited > 0:
            self._sleep(waited)
        return waited

    def pause_for(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` from now (a 429 seen by any worker)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


def server_wait_seconds(response: requests.Response, *, now: float | None = None) -> float | None:
    """How long GitLab asks us to wait: the longest of its rate-limit headers, or None.

    ``Retry-After`` is seconds (or an HTTP date), ``RateLimit-Reset`` a Unix time and
    ``RateLimit-ResetTime`` an HTTP date. Waiting for the longest is never too short.
    """
    # GitLab's clock, from its Date header, where the reset times come from: a local
    # clock running ahead would otherwise shorten the wait.
    server_now = _http_date(response.headers.get("Date") or "")
    wall = now if now is not None else server_now if server_now is not None else time.time()
    waits: list[float] = []
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        if retry_after.strip().isdigit():
            waits.append(float(retry_after))
        elif (moment := _http_date(retry_after)) is not None:
            waits.append(moment - wall)
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.strip().isdigit():
        waits.append(float(reset) - wall)
    reset_time = response.headers.get("RateLimit-ResetTime")
    if reset_time and (moment := _http_date(reset_time)) is not None:
        waits.append(moment - wall)
    if not waits:
        return None
    return max(0.0, *waits)


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def retry_waits(max_backoff: float) -> t.Generator[float, t.Any, None]:
    """The backoff wait generator: server-directed waits win, else exponential.

    python-backoff primes the generator, then sends each caught exception in.
    """
    attempt = 0
    exception = yield 0.0
    while True:
        directed = getattr(exception, "wait_seconds", None)
        exponential = min(max_backoff, BACKOFF_BASE_SECONDS * 2**attempt)
        attempt += 1
        exception = yield directed if directed is not None else exponential
