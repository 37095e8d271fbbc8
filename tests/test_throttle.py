"""Pacing: GitLab's rate-limit headers, the shared gate, and retry waits."""

from __future__ import annotations

import email.utils

import pytest
import requests

from tap_gitlab_duo.throttle import RequestGate, retry_waits, server_wait_seconds

NOW = 1_800_000_000.0


def response(**headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 429
    answer.headers.update(headers)
    return answer


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(NOW + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": http_date(12)}, 12.0),
        ({"RateLimit-Reset": str(int(NOW + 30))}, 30.0),
        ({"RateLimit-ResetTime": http_date(45)}, 45.0),
        # The longest wait wins: never shorter than any header asks.
        ({"Retry-After": "5", "RateLimit-Reset": str(int(NOW + 20))}, 20.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_server_wait_reads_every_gitlab_header(
    headers: dict[str, str], expected: float | None
) -> None:
    assert server_wait_seconds(response(**headers), now=NOW) == expected


def test_reset_in_the_past_means_no_wait() -> None:
    assert server_wait_seconds(response(**{"RateLimit-Reset": str(int(NOW - 5))}), now=NOW) == 0.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_gate_without_cap_or_pause_never_waits() -> None:
    clock = FakeClock()
    gate = RequestGate(clock=clock, sleep=clock.sleep)
    assert [gate.wait_turn() for _ in range(5)] == [0.0] * 5


def test_gate_spaces_requests_to_the_cap() -> None:
    clock = FakeClock()
    gate = RequestGate(requests_per_minute=120, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        gate.wait_turn()
    assert clock.slept == [0.5, 0.5, 0.5]


def test_a_pause_holds_every_later_caller() -> None:
    clock = FakeClock()
    gate = RequestGate(clock=clock, sleep=clock.sleep)
    gate.pause_for(30)
    gate.pause_for(10)  # a shorter pause does not shorten the longer one
    assert gate.wait_turn() == 30.0
    assert gate.wait_turn() == 0.0


def test_retry_waits_follow_the_server_then_back_off_exponentially() -> None:
    class ThrottledError(Exception):
        wait_seconds = 42.0

    waits = retry_waits(max_backoff=10)
    assert next(waits) == 0.0
    assert waits.send(ConnectionError()) == 2.0
    assert waits.send(ConnectionError()) == 4.0
    assert waits.send(ThrottledError()) == 42.0  # above the cap: GitLab asked for it
    assert waits.send(ConnectionError()) == 10.0
    assert waits.send(ConnectionError()) == 10.0
