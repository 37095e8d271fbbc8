"""Aggregates and seats against the simulator: exact, reconciled, and honest when absent."""

from __future__ import annotations

import typing as t
from collections import Counter, defaultdict

import pendulum
import pytest

from tap_gitlab_duo.records import snake_keys
from tap_gitlab_duo.values import parse_gid
from tests.expectations import selected
from tests.simulator_process import SimulatorProcess, shared_simulator
from tests.tap_runner import TapRun, base_config, bookmark_of, run_tap
from tests.test_schemas import committed

METRIC_STREAMS = ("ai_user_metrics", "ai_metrics")
SCOPES = [("group", "acme-corp"), ("project", "globex/website")]
START, END = "2026-10-01", "2026-10-08"


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


def days(start: str, end: str) -> list[str]:
    first, last = pendulum.parse(start).date(), pendulum.parse(end).date()  # type: ignore[union-attr]
    return [(first.add(days=n)).isoformat() for n in range((last - first).days + 1)]


def truth_user_metrics(
    simulator: SimulatorProcess, scope_type: str, path: str, start: str, end: str
) -> dict[int, dict[str, t.Any]]:
    nodes = simulator.control(
        "GET",
        "truth/ai-user-metrics",
        params={"scope_type": scope_type, "scope_path": path, "start": start, "end": end},
    )["nodes"]
    rows = {}
    for node in nodes:
        user = node.pop("user") or {}
        rows[parse_gid(user.get("id")) or 0] = selected(
            snake_keys(node), committed("ai_user_metrics")
        )
    return rows


def truth_metrics(
    simulator: SimulatorProcess, scope_type: str, path: str, start: str, end: str
) -> dict[str, t.Any]:
    return t.cast(
        "dict[str, t.Any]",
        snake_keys(
            simulator.control(
                "GET",
                "truth/ai-metrics",
                params={"scope_type": scope_type, "scope_path": path, "start": start, "end": end},
            )["metrics"]
        ),
    )


KEY_FIELDS = ("scope_type", "scope_path", "period", "date", "user_id", "username")


def metrics_only(record: dict[str, t.Any]) -> dict[str, t.Any]:
    return {k: v for k, v in record.items() if k not in KEY_FIELDS}


@pytest.fixture(scope="module")
def metrics_run(simulator: SimulatorProcess) -> TapRun:
    config = base_config(
        simulator,
        start_date=f"{START}T00:00:00Z",
        end_date=f"{END}T00:00:00Z",
        instance=False,
        metric_periods=["day", "week", "month"],
    )
    return run_tap(config, streams=(*METRIC_STREAMS, "code_suggestion_events", "ai_usage_events"))


def test_user_metrics_equal_ground_truth_per_day_week_and_month(
    simulator: SimulatorProcess, metrics_run
) -> None:
    records = metrics_run.records["ai_user_metrics"]
    keys = [
        (r["scope_type"], r["scope_path"], r["period"], r["date"], r["user_id"]) for r in records
    ]
    assert len(keys) == len(set(keys)), "primary key must be unique"
    compared = 0
    for scope_type, path in SCOPES:
        periods = [("day", d, d, d) for d in days(START, END)]
        periods += [
            ("week", "2026-09-28", "2026-09-28", "2026-10-04"),
            ("week", "2026-10-05", "2026-10-05", "2026-10-11"),
            ("month", "2026-10-01", "2026-10-01", "2026-10-31"),
        ]
        for period, date, first, last in periods:
            want = truth_user_metrics(simulator, scope_type, path, first, last)
            got = {
                r["user_id"]: metrics_only(r)
                for r in records
                if (r["scope_type"], r["scope_path"], r["period"], r["date"])
                == (scope_type, path, period, date)
            }
            assert got == want, f"{scope_type} {path} {period} {date}"
            compared += len(want)
    assert compared > 200
    print(f"\nai_user_metrics: {compared} user rows compared")


def test_metrics_equal_ground_truth(simulator: SimulatorProcess, metrics_run) -> None:
    records = metrics_run.records["ai_metrics"]
    for scope_type, path in SCOPES:
        for day in days(START, END):
            got = [
                metrics_only(r)
                for r in records
                if (r["scope_type"], r["scope_path"], r["period"], r["date"])
                == (scope_type, path, "day", day)
            ]
            assert got == [truth_metrics(simulator, scope_type, path, day, day)], f"{path} {day}"
        month = [
            metrics_only(r) for r in records if r["scope_path"] == path and r["period"] == "month"
        ]
        assert month == [truth_metrics(simulator, scope_type, path, "2026-10-01", "2026-10-31")]


def test_raw_events_and_aggregates_reconcile(metrics_run: TapRun) -> None:
    accepted: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    for event in metrics_run.records["code_suggestion_events"]:
        if event["scope_path"] == "acme-corp":
            day = event["timestamp"][:10]
            accepted[day] += event["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE"
            shown[day] += event["event"] == "CODE_SUGGESTION_SHOWN_IN_IDE"
    users_per_day: dict[str, set[int]] = defaultdict(set)
    for event in metrics_run.records["ai_usage_events"]:
        if event["scope_path"] == "acme-corp":
            users_per_day[event["timestamp"][:10]].add(event["user_id"])
    per_user: Counter[str] = Counter()
    for row in metrics_run.records["ai_user_metrics"]:
        if row["scope_path"] == "acme-corp" and row["period"] == "day":
            per_user[row["date"]] += row["code_suggestions"][
                "code_suggestion_accepted_in_ide_event_count"
            ]
    aggregate = {
        r["date"]: r
        for r in metrics_run.records["ai_metrics"]
        if r["scope_path"] == "acme-corp" and r["period"] == "day"
    }
    for day in days(START, END):
        assert accepted[day] > 0
        assert per_user[day] == accepted[day], day
        assert aggregate[day]["code_suggestions"]["accepted_count"] == accepted[day], day
        assert aggregate[day]["code_suggestions"]["shown_count"] == shown[day], day
        assert aggregate[day]["duo_used_count"] == len(users_per_day[day]), day


def test_metrics_bookmark_on_date_and_second_run_rereads_only_lookback(
    simulator: SimulatorProcess,
) -> None:
    config = base_config(
        simulator,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-05T00:00:00Z",
        instance=False,
        project_paths=[],
        lookback_days=2,
    )
    first = run_tap(config, streams=METRIC_STREAMS)
    assert bookmark_of(first.final_state, "ai_metrics", "group", "acme-corp") == "2026-10-06"
    second = run_tap(
        {**config, "end_date": "2026-10-07T00:00:00Z"},
        state=first.final_state,
        streams=METRIC_STREAMS,
    )
    assert {r["date"] for r in second.records["ai_metrics"]} == {
        "2026-10-04",
        "2026-10-05",
        "2026-10-06",
        "2026-10-07",
    }
    assert bookmark_of(second.final_state, "ai_user_metrics", "group", "acme-corp") == "2026-10-08"


@pytest.fixture
def no_clickhouse(simulator: SimulatorProcess) -> t.Iterator[None]:
    simulator.settings(clickhouse=False)
    yield
    simulator.settings(clickhouse=True)


@pytest.mark.usefixtures("no_clickhouse")
def test_without_clickhouse_metrics_warn_skip_and_keep_no_bookmark(
    simulator: SimulatorProcess,
) -> None:
    config = base_config(
        simulator,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-02T00:00:00Z",
        instance=False,
        project_paths=[],
    )
    run = run_tap(config, streams=(*METRIC_STREAMS, "ai_usage_events"))
    for stream in METRIC_STREAMS:
        assert run.stderr.count(f"Stream '{stream}' is not available for group 'acme-corp'") == 1
        assert not run.records[stream]
        assert bookmark_of(run.final_state, stream, "group", "acme-corp") is None
    assert "ClickHouse" in run.stderr
    # Raw events do not need ClickHouse: they still sync and bookmark.
    assert run.records["ai_usage_events"]
    assert (
        bookmark_of(run.final_state, "ai_usage_events", "group", "acme-corp")
        == "2026-10-03T00:00:00Z"
    )


def test_seats_snapshot_equals_ground_truth(simulator: SimulatorProcess) -> None:
    config = base_config(
        simulator, instance=True, project_paths=[], group_paths=["acme-corp", "globex"]
    )
    run = run_tap(config, streams=("duo_seat_assignments",))
    records = run.records["duo_seat_assignments"]
    today = pendulum.now("UTC").date().isoformat()
    assert {r["snapshot_date"] for r in records} == {today}
    for scope_type, scope in (("group", "acme-corp"), ("group", "globex"), ("instance", "")):
        want = {
            (e["add_on_type"], e["user_id"]): e
            for e in simulator.control("GET", "truth/seats", params={"scope": scope})["seats"]
        }
        got = {
            (r["add_on_type"], r["user_id"]): r
            for r in records
            if (r["scope_type"], r["scope_path"]) == (scope_type, scope)
        }
        assert got.keys() == want.keys(), scope
        for key, row in got.items():
            truth = want[key]
            assert row["seat_assigned"] == truth["assigned"], key
            assert row["username"] == truth["username"]
            assert row["last_duo_activity_on"] == truth["last_duo_activity_on"]
            assert row["last_activity_on"] == truth["last_activity_on"]
            assert row["add_on_purchase_id"] == truth["add_on_purchase_id"]
    assigned = [r for r in records if r["seat_assigned"] and r["scope_path"] == "acme-corp"]
    assert assigned
    assert any(r["last_duo_activity_on"] is None for r in assigned), "idle seats exist"


def test_revoked_seat_is_unassigned_in_the_next_snapshot(simulator: SimulatorProcess) -> None:
    config = base_config(simulator, instance=False, project_paths=[])
    before = run_tap(config, streams=("duo_seat_assignments",)).records["duo_seat_assignments"]
    holder = next(r for r in before if r["seat_assigned"] and r["add_on_type"] == "DUO_ENTERPRISE")
    simulator.control(
        "POST",
        "seats",
        json={
            "scope": "acme-corp",
            "add_on_type": "DUO_ENTERPRISE",
            "username": holder["username"],
            "assigned": False,
        },
    )
    try:
        after = run_tap(config, streams=("duo_seat_assignments",)).records["duo_seat_assignments"]
        row = next(
            r
            for r in after
            if r["user_id"] == holder["user_id"] and r["add_on_type"] == "DUO_ENTERPRISE"
        )
        assert row["seat_assigned"] is False
    finally:
        simulator.control(
            "POST",
            "seats",
            json={
                "scope": "acme-corp",
                "add_on_type": "DUO_ENTERPRISE",
                "username": holder["username"],
                "assigned": True,
            },
        )


@pytest.mark.parametrize(
    ("token", "groups", "cause"),
    [
        ("glpat-sim-reporter", ["acme-corp"], "Owner role"),
        ("glpat-sim-admin", ["acme-corp/platform"], "is a subgroup"),
    ],
)
def test_seats_without_owner_or_on_a_subgroup_warn_and_sync_the_rest(
    simulator: SimulatorProcess,
    token: str,
    groups: list[str],
    cause: str,
) -> None:
    config = base_config(
        simulator,
        token=token,
        group_paths=groups,
        project_paths=[],
        instance=False,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-01T00:00:00Z",
    )
    run = run_tap(config, streams=("duo_seat_assignments", "ai_usage_events"))
    assert run.stderr.count("Stream 'duo_seat_assignments' is not available") == 1
    assert cause in run.stderr
    assert not run.records["duo_seat_assignments"]
    assert run.records["ai_usage_events"]
