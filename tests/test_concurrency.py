"""Concurrent day windows: the limit holds, order and state stay right, output unchanged.

No timings here (they flake on shared machines): the simulator reports how many
requests it had in flight at most, and the output is compared with a sequential run.
"""

from __future__ import annotations

import typing as t

import pytest

from tests.simulator_process import SimulatorProcess, shared_simulator
from tests.tap_runner import TapRun, base_config, bookmark_of, run_tap

START, END = "2026-10-01", "2026-10-10"


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


@pytest.fixture
def latency(simulator: SimulatorProcess) -> t.Iterator[None]:
    # Requests must overlap for the in-flight count to mean anything.
    simulator.settings(latency_ms=60)
    yield
    simulator.settings(latency_ms=0)


def sync(simulator: SimulatorProcess, concurrency: int, end: str = END, **more: t.Any) -> TapRun:
    simulator.control("POST", "stats/reset")
    config = base_config(simulator, concurrency=concurrency, start_date=f"{START}T00:00:00Z",
                         end_date=f"{end}T00:00:00Z", **more)  # fmt: skip
    return run_tap(config)


@pytest.mark.usefixtures("latency")
@pytest.mark.parametrize("concurrency", [1, 3, 6])
def test_the_tap_never_has_more_requests_in_flight_than_allowed(
    simulator: SimulatorProcess, concurrency: int
) -> None:
    # Eight days of one scope: enough windows to keep every worker busy.
    sync(simulator, concurrency, "2026-10-08", project_paths=[], instance=False)
    assert simulator.control("GET", "stats")["max_in_flight"] == concurrency


def without_volatile(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """State minus the sync-start signpost, which differs between any two runs."""
    streams = state["bookmarks"]
    return {name: list(body.get("partitions", [])) for name, body in streams.items()}


def test_output_is_identical_to_a_sequential_run(simulator: SimulatorProcess) -> None:
    sequential, concurrent = sync(simulator, 1), sync(simulator, 8)
    for stream in ("code_suggestion_events", "ai_usage_events"):
        assert concurrent.records[stream] == sequential.records[stream], stream
        assert len(sequential.records[stream]) > 1000
    assert without_volatile(concurrent.final_state) == without_volatile(sequential.final_state)
    state_values = [
        bookmark_of(s, "ai_usage_events", "group", "acme-corp") for s in concurrent.states
    ]
    assert state_values == [
        bookmark_of(s, "ai_usage_events", "group", "acme-corp") for s in sequential.states
    ], "the same STATE messages, in the same order"


def test_order_and_state_stay_right_under_concurrency(simulator: SimulatorProcess) -> None:
    run = sync(simulator, 8)
    for scope_type, scope_path in (("group", "acme-corp"), ("project", "globex/website"),
                                   ("instance", "")):  # fmt: skip
        stamps = [r["timestamp"] for r in run.records["ai_usage_events"]
                  if (r["scope_type"], r["scope_path"]) == (scope_type, scope_path)]  # fmt: skip
        assert stamps == sorted(stamps), scope_type
    emitted_days: set[str] = set()
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == "ai_usage_events":
            if message["record"]["scope_type"] == "group":
                emitted_days.add(message["record"]["timestamp"][:10])
        elif message["type"] == "STATE":
            bookmark = bookmark_of(message["value"], "ai_usage_events", "group", "acme-corp")
            if bookmark:
                assert {d for d in emitted_days if d < bookmark[:10]} == {
                    f"2026-10-{n:02d}" for n in range(1, int(bookmark[8:10]))
                }, "state covers only days fully emitted"
