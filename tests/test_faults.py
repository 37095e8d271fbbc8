"""Faults GitLab really produces, injected in the simulator: the tap still ends exact.

Each fault hits requests in the middle of a sync (after the scope checks); the run must
finish with exactly the ground truth, or, for a fault that never ends, stop with one line
naming stream, scope and day while the days before it stay committed in the state.
"""

from __future__ import annotations

import re
import typing as t

import pytest

from tests.expectations import STREAM_SCOPES, describe_difference, emitted, expected
from tests.simulator_process import SimulatorProcess, shared_simulator
from tests.tap_runner import TapRun, base_config, bookmark_of, run_tap

START, END = "2026-10-01", "2026-10-03"
# Fast retries, so that faults cost seconds, not minutes.
FAST = {"max_backoff_seconds": 1, "request_timeout": 5, "max_retries": 5}


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


@pytest.fixture
def faults(simulator: SimulatorProcess) -> t.Iterator[t.Callable[..., None]]:
    def inject(*specs: dict[str, t.Any], **settings: t.Any) -> None:
        simulator.settings(faults=list(specs), **settings)
        simulator.control("POST", "stats/reset")

    yield inject
    simulator.settings(faults=[], rate_limit_per_minute=0, latency_ms=0)


def sync(simulator: SimulatorProcess, *, check: bool = True, **overrides: t.Any) -> TapRun:
    config = base_config(simulator, start_date=f"{START}T00:00:00Z", end_date=f"{END}T00:00:00Z",
                         **{**FAST, **overrides})  # fmt: skip
    return run_tap(config, check=check)


def assert_exact(simulator: SimulatorProcess, run: TapRun) -> int:
    compared = 0
    for stream, scopes in STREAM_SCOPES.items():
        keys = [r["event_key"] for r in run.records[stream]]
        assert len(keys) == len(set(keys)), stream
        for scope_type, scope_path in scopes:
            want = expected(simulator, stream, scope_type, scope_path, START, END)
            got = emitted(run.records[stream], stream, scope_type, scope_path)
            assert got == want, f"{stream} {scope_type}: {describe_difference(want, got)}"
            compared += sum(want.values())
    return compared


# Faults start after the scope checks (3 requests), in the middle of the data.
FAULTS: list[tuple[str, dict[str, t.Any]]] = [
    ("429 burst", {"kind": "rate_limit", "count": 3, "retry_after": 1, "after": 5}),
    ("502 pages", {"kind": "http_error", "status": 502, "count": 2, "after": 5}),
    ("503 pages", {"kind": "http_error", "status": 503, "count": 2, "after": 8}),
    ("slower than the timeout", {"kind": "slow", "seconds": 7, "count": 1, "after": 5}),
    ("dropped connections", {"kind": "drop", "count": 2, "after": 5}),
    ("truncated JSON", {"kind": "truncate", "count": 2, "after": 5}),
    ("GraphQL timeout (503)", {"kind": "graphql_timeout", "count": 2, "after": 5}),
    ("GraphQL timeout (200)", {"kind": "graphql_timeout", "status": 200, "count": 1, "after": 6}),
    ("field timeout", {"kind": "graphql_timeout", "field": "aiUsageData", "count": 1, "after": 7}),
]


@pytest.mark.parametrize("fault", [f[1] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_sync_ends_exact_despite_the_fault(
    simulator: SimulatorProcess, faults: t.Callable[..., None], fault: dict[str, t.Any]
) -> None:
    faults(fault)
    run = sync(simulator)
    stats = simulator.control("GET", "stats")
    assert stats["faults"][fault["kind"]] == fault["count"], "the fault really happened"
    compared = assert_exact(simulator, run)
    assert compared > 1000
    announced = "as GitLab asks" if fault["kind"] == "rate_limit" else "etrying"
    assert announced in run.stderr
    print(f"\n{fault['kind']}: {fault['count']} injected, {compared} events exact, 0 lost")


def test_graphql_timeouts_retry_with_smaller_pages(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    faults({"kind": "graphql_timeout", "count": 2, "after": 5})
    run = sync(simulator, concurrency=1)  # one worker: the same request fails twice
    assert "retrying with pages of 50" in run.stderr
    assert "retrying with pages of 20" in run.stderr
    assert_exact(simulator, run)


def test_a_real_rate_limit_slows_every_worker_and_loses_nothing(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    faults(rate_limit_per_minute=240, rate_limit_period_seconds=2)  # 8 per 2 s
    run = sync(simulator, concurrency=4)
    assert simulator.control("GET", "stats")["rate_limited"] > 0
    assert "GitLab rate limit reached (HTTP 429)" in run.stderr
    assert_exact(simulator, run)


def test_rate_limit_answers_do_not_use_up_the_retries(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    # Four 429s in a row for one request, with one retry allowed for failures: the tap
    # waits each out as GitLab asks and goes on.
    faults({"kind": "rate_limit", "count": 4, "retry_after": 1, "after": 5})
    run = sync(simulator, max_retries=1, concurrency=1)
    assert simulator.control("GET", "stats")["faults"]["rate_limit"] == 4
    assert "as GitLab asks (4 in a row)" in run.stderr
    waits = [float(w) for w in re.findall(r"waiting ([0-9.]+) s on .*, as GitLab asks", run.stderr)]
    assert len(waits) == 4
    assert min(waits) >= 1.0, "never shorter than Retry-After"
    assert_exact(simulator, run)


def test_a_silent_null_skips_the_scope_and_the_next_run_catches_up(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    faults({"kind": "null", "field": "aiUsageData", "count": 1,
            "operation": "CodeSuggestionEventsGroup"})  # fmt: skip
    first = sync(simulator)
    warning = "Stream 'code_suggestion_events' is not available for group 'acme-corp'"
    assert first.stderr.count(warning) == 1
    emitted_days = {r["timestamp"][:10] for r in first.records["code_suggestion_events"]
                    if r["scope_type"] == "group"}  # fmt: skip
    window = ["2026-10-01", "2026-10-02", "2026-10-03"]
    missing = [day for day in window if day not in emitted_days]
    assert missing, "the scope stopped at the unavailable day"
    skipped = bookmark_of(first.final_state, "code_suggestion_events", "group", "acme-corp")
    # The null may hit any day, the last one included: the bookmark never passes it.
    assert skipped is None or skipped <= f"{missing[0]}T00:00:00Z"
    assert bookmark_of(first.final_state, "ai_usage_events", "group", "acme-corp") == (
        "2026-10-04T00:00:00Z"
    )
    second = sync(simulator)
    assert_exact(simulator, second)


def test_a_fault_that_never_ends_stops_with_one_line_and_keeps_completed_days(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    # Requests 1-3 are the scope checks; the first days then complete, then GitLab fails.
    faults({"kind": "http_error", "status": 502, "after": 12, "count": None})
    run = sync(simulator, check=False, max_retries=1, concurrency=1)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    failure = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(failure) == 1, failure
    assert "Stream 'ai_usage_events' on group 'acme-corp', day 2026-10-0" in failure[0]
    assert "gave up after 2 attempts: HTTP 502 Bad Gateway" in failure[0]
    assert "Days before it are saved in the state. Run again to resume" in failure[0]
    kept = [
        s for s in run.states if any(bookmark_of(s, n, "group", "acme-corp") for n in STREAM_SCOPES)
    ]
    assert kept, "days completed before the failure stay committed in the state"


def test_a_final_answer_mid_run_names_stream_scope_and_day(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    # A final (not retried) answer in the middle of the data: a redirect after the
    # first days were read.
    faults({"kind": "redirect", "status": 307, "after": 12, "count": None})
    run = sync(simulator, check=False, concurrency=1)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    (failure,) = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert re.search(
        r"Stream '\w+' on \w+ '[\w/-]*', day 2026-10-0\d stopped: GitLab answered 307", failure
    )
    assert "Days before it are saved in the state" in failure
    assert "set 'api_url'" in failure
    assert any(
        bookmark_of(s, n, "group", "acme-corp") for s in run.states for n in STREAM_SCOPES
    ), "days read before the answer stay committed in the state"


def test_a_redirect_is_not_followed_and_the_token_does_not_travel(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    simulator.control("POST", "echo-log/reset")
    faults({"kind": "redirect", "status": 307, "count": None})
    run = sync(simulator, check=False)
    assert run.returncode != 0
    assert "redirect to http://" in run.stderr
    assert "/-/simulator/echo" in run.stderr
    assert simulator.control("GET", "echo-log")["requests"] == []


def test_variables_travel_in_the_body_and_the_token_in_the_authorization_header(
    simulator: SimulatorProcess, faults: t.Callable[..., None]
) -> None:
    faults()
    sync(simulator)
    stats = simulator.control("GET", "stats")
    assert stats["graphql_requests"] > 10
    assert stats["requests_with_query_string"] == 0
    assert stats["authorization_schemes"]["Bearer"] == stats["graphql_requests"]
