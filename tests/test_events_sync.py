"""The two raw-event streams against the simulator: exact, resumable, incremental."""

from __future__ import annotations

import typing as t
from collections import Counter

import pendulum
import pytest

from tests.expectations import STREAM_SCOPES, describe_difference, emitted, expected
from tests.simulator_process import (
    OWNER_TOKEN,
    SimulatorProcess,
    shared_simulator,
    start_simulator,
)
from tests.tap_runner import TapRun, base_config, bookmark_of, run_tap

# Longer than a month, across a month boundary: GitLab refuses ranges of a month or more.
START, END = "2026-09-05", "2026-10-12"


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


@pytest.fixture(params=["exclusive", "inclusive"])
def end_date_mode(request: pytest.FixtureRequest, simulator: SimulatorProcess) -> t.Iterator[str]:
    simulator.settings(end_date_mode=request.param)
    yield request.param
    simulator.settings(end_date_mode="exclusive")


def test_events_equal_ground_truth_in_both_end_date_modes(
    simulator: SimulatorProcess, end_date_mode: str
) -> None:
    run = run_tap(
        base_config(simulator, start_date=f"{START}T00:00:00Z", end_date=f"{END}T00:00:00Z")
    )
    compared = 0
    for stream, scopes in STREAM_SCOPES.items():
        records = run.records[stream]
        keys = [r["event_key"] for r in records]
        assert len(keys) == len(set(keys)), f"{stream}: duplicate event_key"
        for scope_type, scope_path in scopes:
            want = expected(simulator, stream, scope_type, scope_path, START, END)
            got = emitted(records, stream, scope_type, scope_path)
            assert got == want, (
                f"{stream} {scope_type} {scope_path} ({end_date_mode}): "
                + describe_difference(want, got)
            )
            assert sum(want.values()) > 0
            compared += sum(want.values())
    # Identical real events exist in the data and are kept apart, not merged.
    twins = [
        n
        for n in emitted(
            run.records["ai_usage_events"], "ai_usage_events", "group", "acme-corp"
        ).values()
        if n > 1
    ]
    assert twins, "the simulator data should contain identical events"
    assert compared > 10_000
    print(f"\n{end_date_mode}: {compared} events compared, {START}..{END}, {len(twins)} twins")


def _days(records: list[dict[str, t.Any]]) -> set[str]:
    return {r["timestamp"][:10] for r in records}


def test_second_run_reads_only_lookback_and_new_days_and_catches_late_events(
    simulator: SimulatorProcess,
) -> None:
    config = base_config(
        simulator,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-10T00:00:00Z",
        lookback_days=2,
    )
    first = run_tap(config)
    assert first.bookmark("ai_usage_events", "group", "acme-corp") == "2026-10-11T00:00:00Z"
    assert _days(first.records["ai_usage_events"]) == {f"2026-10-{d:02d}" for d in range(1, 11)}

    # Late events stamped in the past, inside the lookback, one identical to an event
    # already loaded: it must arrive as a new row, not merge.
    existing = next(
        r
        for r in first.records["code_suggestion_events"]
        if r["scope_type"] == "group" and r["timestamp"].startswith("2026-10-09")
    )
    truth_twin = next(
        e
        for e in simulator.truth(
            "group", "acme-corp", "2026-10-09", "2026-10-09", kind="code_suggestions"
        )
        if e["timestamp"] == existing["timestamp"]
        and e["user_id"] == existing["user_id"]
        and e["event"] == existing["event"]
        and e["unique_tracking_id"] == existing["unique_tracking_id"]
    )
    late = [
        {
            "timestamp": "2026-10-09T08:15:42.250Z",
            "event": "REQUEST_DUO_CHAT_RESPONSE",
            "user_id": existing["user_id"],
            "namespace": "acme-corp/product/web-app",
            "extras": {},
        },
        {
            "timestamp": truth_twin["timestamp"],
            "event": truth_twin["event"],
            "user_id": truth_twin["user_id"],
            "namespace": "acme-corp/product/web-app",
            "extras": truth_twin["extras"] or {},
        },
    ]
    assert simulator.add_events(late) == 2

    second = run_tap({**config, "end_date": "2026-10-12T00:00:00Z"}, state=first.final_state)
    # lookback 2 from the bookmark 2026-10-11: days 9 and 10 again, then 11 and 12.
    assert _days(second.records["ai_usage_events"]) == {
        "2026-10-09",
        "2026-10-10",
        "2026-10-11",
        "2026-10-12",
    }
    assert second.bookmark("ai_usage_events", "group", "acme-corp") == "2026-10-13T00:00:00Z"
    for stream, scopes in STREAM_SCOPES.items():
        for scope_type, scope_path in scopes:
            want = expected(simulator, stream, scope_type, scope_path, "2026-10-09", "2026-10-12")
            got = emitted(second.records[stream], stream, scope_type, scope_path)
            assert got == want, f"{stream} {scope_type}: " + describe_difference(want, got)

    # Re-reading a day gives the same keys; the late events add keys, replace none.
    def keys_of(run: TapRun, day: str) -> set[str]:
        return {
            r["event_key"]
            for r in run.records["ai_usage_events"]
            if r["scope_type"] == "group" and r["timestamp"].startswith(day)
        }

    assert keys_of(first, "2026-10-10") == keys_of(second, "2026-10-10")
    assert keys_of(first, "2026-10-09") < keys_of(second, "2026-10-09")
    assert len(keys_of(second, "2026-10-09") - keys_of(first, "2026-10-09")) == 2
    cs_first = {
        r["event_key"]
        for r in first.records["code_suggestion_events"]
        if r["timestamp"].startswith("2026-10-09") and r["scope_type"] == "group"
    }
    cs_second = {
        r["event_key"]
        for r in second.records["code_suggestion_events"]
        if r["timestamp"].startswith("2026-10-09") and r["scope_type"] == "group"
    }
    assert len(cs_second - cs_first) == 1
    assert cs_first < cs_second


def test_state_is_written_per_completed_day_and_never_ahead_of_records(
    simulator: SimulatorProcess,
) -> None:
    run = run_tap(
        base_config(
            simulator,
            start_date="2026-10-01T00:00:00Z",
            end_date="2026-10-06T00:00:00Z",
            project_paths=[],
            instance=False,
        )
    )
    seen: set[str] = set()
    bookmarks: list[str] = []
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] == "code_suggestion_events":
            seen.add(message["record"]["timestamp"][:10])
        elif message["type"] == "STATE":
            bookmark = bookmark_of(message["value"], "code_suggestion_events", "group", "acme-corp")
            if bookmark:
                # Everything before the bookmark's day has been emitted already.
                complete_days = {d for d in seen if d < bookmark[:10]}
                assert complete_days == {f"2026-10-{n:02d}" for n in range(1, int(bookmark[8:10]))}
                bookmarks.append(bookmark)
    assert bookmarks[-1] == "2026-10-07T00:00:00Z"
    distinct = list(dict.fromkeys(bookmarks))
    assert distinct == [f"2026-10-{n:02d}T00:00:00Z" for n in range(2, 8)], (
        "one STATE per completed day"
    )


def test_records_are_emitted_in_day_order(simulator: SimulatorProcess) -> None:
    run = run_tap(
        base_config(
            simulator,
            start_date="2026-10-01T00:00:00Z",
            end_date="2026-10-03T00:00:00Z",
            project_paths=[],
            instance=False,
        )
    )
    stamps = [r["timestamp"] for r in run.records["ai_usage_events"]]
    assert stamps == sorted(stamps)
    # One progress line per emitted window, with its count, in the order emitted.
    progress = [line for line in run.stderr.splitlines() if "ai_usage_events: group" in line]
    for number, (line, day) in enumerate(zip(progress, ["01", "02", "03"], strict=True), 1):
        count = sum(1 for s in stamps if s.startswith(f"2026-10-{day}"))
        assert f"2026-10-{day} ({number}/3): {count} records in" in line
    assert f"{len(stamps)} records so far" in progress[-1]


def test_instance_scope_without_admin_warns_and_keeps_no_bookmark(
    simulator: SimulatorProcess,
) -> None:
    run = run_tap(
        base_config(
            simulator,
            token=OWNER_TOKEN,
            start_date="2026-10-01T00:00:00Z",
            end_date="2026-10-02T00:00:00Z",
        )
    )
    assert "Stream 'ai_usage_events' is not available for the instance" in run.stderr
    assert run.stderr.count("is not available for the instance") == 1, "warned once per run"
    assert bookmark_of(run.final_state, "ai_usage_events", "instance", "") is None
    assert (
        bookmark_of(run.final_state, "ai_usage_events", "group", "acme-corp")
        == "2026-10-03T00:00:00Z"
    )
    assert Counter(r["scope_type"] for r in run.records["ai_usage_events"]).keys() == {
        "group",
        "project",
    }


@pytest.mark.parametrize(
    ("overrides", "expected_line"),
    [
        (
            {"group_paths": ["acme-corp/nope"]},
            "Group 'acme-corp/nope' in 'group_paths' was not found",
        ),
        (
            {"group_paths": ["acme-corp/product/web-app"], "project_paths": []},
            "It is a project: list it in 'project_paths' instead.",
        ),
        ({"token": "glpat-wrong"}, "GitLab rejected the token (HTTP 401)"),
    ],
)
def test_bad_scope_or_token_fails_before_any_record(
    simulator: SimulatorProcess, overrides: dict[str, t.Any], expected_line: str
) -> None:
    run = run_tap(
        base_config(
            simulator,
            start_date="2026-10-01T00:00:00Z",
            end_date="2026-10-02T00:00:00Z",
            **overrides,
        ),
        check=False,
    )
    assert run.returncode != 0
    assert expected_line in run.stderr
    assert not [m for m in run.messages if m["type"] == "RECORD"]
    assert "glpat-wrong" not in run.stderr


@pytest.fixture(scope="module")
def simulator_until_today() -> t.Iterator[SimulatorProcess]:
    """A simulator whose data ends today (the shared one ends on a fixed date)."""
    today = pendulum.now("UTC").date().isoformat()
    process = start_simulator("--end-date", today, "--days", "3")
    yield process
    process.stop()


def test_today_is_emitted_but_never_bookmarked(simulator_until_today: SimulatorProcess) -> None:
    before = pendulum.now("UTC")
    run = run_tap(
        base_config(
            simulator_until_today,
            start_date=before.subtract(days=1).start_of("day").strftime("%Y-%m-%dT%H:%M:%SZ"),
            project_paths=[],
            instance=False,
        ),
        streams=("ai_usage_events", "ai_user_metrics", "ai_metrics"),
    )
    today = run_day(before, pendulum.now("UTC"))
    # Today's records are there, and the bookmark says only yesterday is complete.
    assert any(r["timestamp"].startswith(today) for r in run.records["ai_usage_events"])
    assert run.bookmark("ai_usage_events", "group", "acme-corp") == f"{today}T00:00:00Z"
    for stream in ("ai_user_metrics", "ai_metrics"):
        assert any(r["date"] == today for r in run.records[stream]), stream
        assert run.bookmark(stream, "group", "acme-corp") == today, stream


def run_day(before: pendulum.DateTime, after: pendulum.DateTime) -> str:
    """The UTC day a run took place on; a run across midnight proves nothing."""
    if before.date() != after.date():
        pytest.skip("the run crossed midnight UTC")
    return before.date().isoformat()
