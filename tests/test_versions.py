"""Older GitLab versions, quiet days and PostgreSQL's retention, against the simulator.

The simulator serves the schema of an older GitLab (fields pruned from the SDL, so its
introspection and validation answer as that version would). The tap must ask what the
instance has, cut its queries to fit, warn once per missing field and sync the rest
exactly; a stream whose essentials are missing is skipped with one warning per scope
and never bookmarked.
"""

from __future__ import annotations

import typing as t

import pytest

from tests.expectations import describe_difference, emitted, expected
from tests.simulator_process import SimulatorProcess, start_simulator
from tests.tap_runner import ALL_STREAMS, TapRun, base_config, bookmark_of, run_tap

START, END = "2026-10-05", "2026-10-06"
FEATURE_OBJECTS = ("codeSuggestions", "chat", "codeReview", "agentPlatform", "mcp")


@pytest.fixture(scope="module")
def simulator() -> t.Iterator[SimulatorProcess]:
    process = start_simulator()
    yield process
    process.stop()


@pytest.fixture
def version(simulator: SimulatorProcess) -> t.Iterator[t.Callable[[str], None]]:
    def serve(name: str) -> None:
        simulator.settings(schema_version=name)

    yield serve
    simulator.settings(schema_version="current", clickhouse=True, retention_months=0)


def sync(simulator: SimulatorProcess, **overrides: t.Any) -> TapRun:
    config = base_config(
        simulator,
        start_date=f"{START}T00:00:00Z",
        end_date=f"{END}T00:00:00Z",
        project_paths=[],
        instance=True,
        **overrides,
    )
    return run_tap(config, streams=ALL_STREAMS)


def missing_field_warnings(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if "This GitLab has no" in line]


def assert_exact(simulator: SimulatorProcess, run: TapRun, stream: str, scope: str) -> None:
    scope_type, path = ("instance", "") if scope == "instance" else ("group", scope)
    want = expected(simulator, stream, scope_type, path, START, END)
    got = emitted(run.records[stream], stream, scope_type, path)
    assert got == want, f"{stream} {scope}: {describe_difference(want, got)}"
    assert sum(want.values()) > 100


def test_the_newest_gitlab_needs_no_pruning(simulator: SimulatorProcess) -> None:
    run = sync(simulator)
    assert missing_field_warnings(run) == []
    assert "not available" not in run.stderr


def test_early_18_syncs_what_exists_and_warns_once_per_missing_field(
    simulator: SimulatorProcess, version: t.Callable[[str], None]
) -> None:
    version("18.2")
    run = sync(simulator)
    warnings = missing_field_warnings(run)
    assert len(warnings) == len(set(warnings)), "once per field"
    assert any("AiMetrics.mcp" in w and "'ai_metrics'" in w for w in warnings)
    for feature in FEATURE_OBJECTS:
        assert any(f"AiUserMetrics.{feature} " in w for w in warnings), feature
    # Raw events of groups are all there; the instance endpoint came later (18.7).
    assert_exact(simulator, run, "code_suggestion_events", "acme-corp")
    assert_exact(simulator, run, "ai_usage_events", "acme-corp")
    assert run.stderr.count("Stream 'ai_usage_events' is not available for the instance") == 1
    assert bookmark_of(run.final_state, "ai_usage_events", "instance", "") is None
    # The aggregates come without the fields this version lacks.
    user_metrics = run.records["ai_user_metrics"]
    assert user_metrics
    assert all("code_suggestions" not in r and "mcp" not in r for r in user_metrics)
    # This version's flat count still reconciles with the raw events.
    for day in ("2026-10-05", "2026-10-06"):
        accepted = sum(
            1
            for r in run.records["code_suggestion_events"]
            if r["timestamp"].startswith(day) and r["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE"
        )
        counted = sum(
            r["code_suggestions_accepted_count"] or 0
            for r in user_metrics
            if r["date"] == day and r["period"] == "day"
        )
        assert counted == accepted > 0, day
    assert run.records["ai_metrics"]
    assert all("mcp" not in r for r in run.records["ai_metrics"])
    assert bookmark_of(run.final_state, "ai_metrics", "group", "acme-corp") == "2026-10-07"


def test_gitlab_17_without_all_events_skips_that_stream_and_syncs_code_suggestions(
    simulator: SimulatorProcess, version: t.Callable[[str], None]
) -> None:
    version("17.11")
    run = sync(simulator)
    assert run.stderr.count("Stream 'ai_usage_events' is not available for group 'acme-corp'") == 1
    assert "an older GitLab version" in run.stderr
    assert not run.records["ai_usage_events"]
    assert bookmark_of(run.final_state, "ai_usage_events", "group", "acme-corp") is None
    assert_exact(simulator, run, "code_suggestion_events", "acme-corp")
    assert bookmark_of(run.final_state, "code_suggestion_events", "group", "acme-corp") == (
        "2026-10-07T00:00:00Z"
    )
    assert not [w for w in missing_field_warnings(run) if "AiUsageData.all " in w], (
        "an unusable stream warns per scope, not per field"
    )


def test_a_quiet_day_is_complete_and_bookmarked(simulator: SimulatorProcess) -> None:
    # The simulator's data starts on 2026-09-02: the days before it are quiet.
    config = base_config(
        simulator,
        start_date="2026-08-20T00:00:00Z",
        end_date="2026-08-21T00:00:00Z",
        project_paths=[],
        instance=False,
    )
    run = run_tap(config, streams=("ai_usage_events", "ai_user_metrics", "ai_metrics"))
    assert not run.records["ai_usage_events"]
    assert not run.records["ai_user_metrics"]
    assert "not available" not in run.stderr
    state = run.final_state
    assert bookmark_of(state, "ai_usage_events", "group", "acme-corp") == "2026-08-22T00:00:00Z"
    assert bookmark_of(state, "ai_user_metrics", "group", "acme-corp") == "2026-08-22"


@pytest.mark.usefixtures("version")  # restores the settings
def test_without_clickhouse_an_old_start_date_warns_that_gitlab_no_longer_has_it(
    simulator: SimulatorProcess,
) -> None:
    simulator.settings(clickhouse=False, retention_months=3)
    config = base_config(
        simulator,
        start_date="2026-07-30T00:00:00Z",
        end_date="2026-07-31T00:00:00Z",
        project_paths=[],
        instance=False,
    )
    run = run_tap(config, streams=("ai_usage_events", "ai_user_metrics"))
    warning = "GitLab without ClickHouse keeps raw events for 3 months"
    assert run.stderr.count(warning) == 1
    # Per-user metrics need ClickHouse: unavailable, probed once, never bookmarked.
    assert run.stderr.count("Stream 'ai_user_metrics' is not available") == 1
    assert bookmark_of(run.final_state, "ai_user_metrics", "group", "acme-corp") is None
