"""GitLab's request throttle (Rack::Attack): the 429 answer, its headers, and a real limiter.

Headers as `Gitlab::RackAttack::RequestThrottleData` sets them: every response under an
active throttle carries `RateLimit-Name`, `-Limit` (the quota per 60 seconds), `-Observed`,
`-Remaining` and `-Reset` (Unix time); a throttled one adds `Retry-After` (seconds) and
`RateLimit-ResetTime` (HTTP date). The 429 body is plain text, `Retry later` and a newline
(`Gitlab::Throttle::DEFAULT_RATE_LIMITING_RESPONSE_TEXT`), not JSON.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate

from simulator.messages import Response

THROTTLE_NAME = "throttle_authenticated_api"
RETRY_LATER_BODY = b"Retry later\n"

Headers = tuple[tuple[str, str], ...]


def throttle_headers(
    *,
    name: str,
    limit_per_minute: int,
    observed: int,
    remaining: int,
    reset_at: int,
    now: float,
    throttled: bool,
) -> Headers:
    """The RateLimit headers; `reset_at` is the Unix time the quota is back."""
    headers = [
        ("RateLimit-Name", name),
        ("RateLimit-Limit", str(limit_per_minute)),
        ("RateLimit-Observed", str(observed)),
        ("RateLimit-Remaining", str(max(remaining, 0))),
        ("RateLimit-Reset", str(reset_at)),
    ]
    if throttled:
        headers += [
            ("Retry-After", str(max(reset_at - math.floor(now), 0))),
            ("RateLimit-ResetTime", formatdate(reset_at, usegmt=True)),
        ]
    return tuple(headers)


def throttled_response(headers: Headers) -> Response:
    return Response(429, RETRY_LATER_BODY, content_type="text/plain", headers=headers)


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether a request may pass, and the headers its answer carries either way."""

    allowed: bool
    headers: Headers


class SlidingWindowLimiter:
    """At most `per_minute * period / 60` (rounded up) GraphQL requests in any `period` seconds.

    One window for all callers (a tap uses one token). Only admitted requests fill the
    window, so a client that waits `Retry-After` seconds is admitted again.
    """

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def check(self, per_minute: int, period_seconds: int) -> ThrottleDecision | None:
        """Admit or refuse one request; None when the limiter is off (`per_minute` 0)."""
        if per_minute <= 0:
            return None
        quota = max(1, math.ceil(per_minute * period_seconds / 60))
        with self._lock:
            now = self._monotonic()
            while self._admitted and self._admitted[0] <= now - period_seconds:
                self._admitted.popleft()
            observed = len(self._admitted) + 1
            allowed = observed <= quota
            if allowed:
                self._admitted.append(now)
            reset_in = self._admitted[0] + period_seconds - now
        wall_now = self._wall_clock()
        headers = throttle_headers(
            name=THROTTLE_NAME,
            limit_per_minute=per_minute,
            observed=observed,
            remaining=quota - observed,
            reset_at=math.ceil(wall_now + reset_in),
            now=wall_now,
            throttled=not allowed,
        )
        return ThrottleDecision(allowed, headers)

    def reset(self) -> None:
        with self._lock:
            self._admitted.clear()
