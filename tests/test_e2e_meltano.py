"""End to end, as users run it: `meltano run tap-gitlab-duo target-postgres`, twice.

A simulator process stands in for GitLab and a real PostgreSQL (pgserver) receives the
data. The first run starts without state; between the runs the simulator receives late
events stamped in the recent past, and Meltano runs again with the state it saved, one
more day of range, and the same settings. After each run the tables must equal the
simulator's ground truth for every stream and scope, as multisets: nothing lost,
nothing duplicated, identical events kept apart.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from psycopg import sql

from tap_gitlab_duo.records import snake_keys
from tap_gitlab_duo.values import parse_gid
from tests.expectations import selected
from tests.support.meltano import REPO_ROOT, STATE_ID, MeltanoProject
from tests.support.postgres import EmbeddedPostgres, embedded_postgres
from tests.test_metrics_sync import ai_metrics_record

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "glpat-sim-admin"
GROUP = "acme-corp"

# Simulator data: 20 days ending on a fixed date, so every run sees the same events.
SIM_SEED = 42
SIM_END = dt.date(2026, 10, 31)
SIM_DAYS = 20
SIM_EVENTS_PER_DAY = 300

# The syncs: the first covers START..FIRST_END, the second one more day. Both ends are
# inclusive UTC days (the tap's `end_date` is the last day read).
START = dt.date(2026, 10, 17)
FIRST_END = dt.date(2026, 10, 30)
SECOND_END = SIM_END
LOOKBACK_DAYS = 3
# Late events land in the last `days_back` days of the simulator's data: inside the
# second run's re-read window (bookmark FIRST_END + 1 minus LOOKBACK_DAYS .. SIM_END).
LATE_EVENTS = {"count": 40, "days_back": 2, "seed": 7}

STREAM_SCOPES: dict[str, list[tuple[str, str]]] = {
    # The instance scope serves ai_usage_events only.
    "code_suggestion_events": [("group", GROUP)],
    "ai_usage_events": [("group", GROUP), ("instance", "")],
}
TRUTH_KIND = {"code_suggestion_events": "code_suggestions", "ai_usage_events": "all"}
# Fields compared with the ground truth, besides the scope. extras and namespace_path
# exist at the instance scope only (GitLab's group and project types lack them).
COMPARED_FIELDS = {
    "code_suggestion_events": ["language", "suggestion_size", "unique_tracking_id"],
    "ai_usage_events": [],
}
INSTANCE_ONLY_FIELDS = ["namespace_path", "extras"]
# The aggregate and seat streams, synced in the same runs: group scope only (the
# instance scope serves events and seats).
METRIC_STREAMS = ("ai_user_metrics", "ai_metrics")
ALL_STREAMS = (*STREAM_SCOPES, *METRIC_STREAMS, "duo_seat_assignments")
BASE_FIELDS = ["timestamp", "event", "user_id", "username"]

Row = tuple[Any, ...]
Scope = tuple[str, str]


# --- the simulator process ----------------------------------------------------------


@dataclass
class Simulator:
    """A running `python -m simulator` and its control API."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def get(self, path: str, params: dict[str, str]) -> Any:
        response = requests.get(f"{self.url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = requests.post(f"{self.url}{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def truth(self, stream: str, scope: Scope, first: dt.date, last: dt.date) -> list[dict]:
        """Ground-truth events of `stream` read through `scope`, days first..last."""
        # The truth endpoint's `end` is inclusive; ask one day more on both sides and
        # filter here, so the comparison does not depend on it.
        answer = self.get(
            "/-/simulator/truth",
            {
                "scope_type": scope[0],
                "scope_path": scope[1],
                "start": (first - dt.timedelta(days=1)).isoformat(),
                "end": (last + dt.timedelta(days=1)).isoformat(),
                "kind": TRUTH_KIND[stream],
            },
        )
        events = answer["events"]
        return [e for e in events if first <= parse_utc(e["timestamp"]).date() <= last]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_simulator(workdir: Path) -> Simulator:
    """Start the simulator on a free loopback port; wait for its URL line."""
    stdout_path, log = workdir / "simulator.out", workdir / "simulator.log"
    with stdout_path.open("wb") as stdout, log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "simulator",
                "--port", "0",
                "--seed", str(SIM_SEED),
                "--end-date", SIM_END.isoformat(),
                "--days", str(SIM_DAYS),
                "--events-per-day", str(SIM_EVENTS_PER_DAY),
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in stdout_path.read_text(errors="replace").splitlines():
            if line.startswith("GITLAB_SIMULATOR_URL="):
                return Simulator(process=process, url=line.split("=", 1)[1].strip(), log=log)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    simulator = Simulator(process=process, url="", log=log)
    simulator.stop()
    pytest.fail(
        f"the simulator printed no GITLAB_SIMULATOR_URL line (exit {process.returncode}):\n"
        f"{log.read_text(errors='replace')[-3000:]}",
        pytrace=False,
    )


# --- reading and normalising rows ---------------------------------------------------


def parse_utc(value: str | dt.datetime) -> dt.datetime:
    """A timestamp as a naive UTC datetime (target-postgres stores it without zone)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def canonical_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def comparable(stream: str, scope_type: str, values: dict[str, Any]) -> Row:
    """The fields of a database row or truth event that must match exactly."""
    timestamp, event, user_id, username = (values[name] for name in BASE_FIELDS)
    row: list[Any] = [parse_utc(timestamp), event, user_id, username]
    for name in COMPARED_FIELDS[stream]:
        value = values[name]
        # suggestion_size is a String in GitLab's schema; the tap keeps it as text.
        row.append(None if value is None else str(value))
    if stream == "ai_usage_events" and scope_type == "instance":
        namespace_path, extras = (values[name] for name in INSTANCE_ONLY_FIELDS)
        row += [namespace_path, canonical_json(extras)]
    return tuple(row)


@dataclass
class Snapshot:
    """The loaded tables and Meltano's state right after one `meltano run`."""

    rows: dict[str, list[dict[str, Any]]]
    state: dict[str, Any]
    started_at: dt.datetime
    """UTC wall clock just before the run (compared with `_sdc_batched_at`)."""


def read_table(postgres: EmbeddedPostgres, schema: str, table: str) -> list[dict[str, Any]]:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        columns = [column.name for column in cursor.description or []]
        return [dict(zip(columns, record, strict=True)) for record in cursor.fetchall()]


def primary_key_columns(postgres: EmbeddedPostgres, schema: str, table: str) -> list[str]:
    with postgres.connect() as connection:
        records = connection.execute(
            """
            SELECT kcu.column_name
            FROM information_schema.table_constraints tc
            JOIN information_schema.key_column_usage kcu
              ON kcu.constraint_name = tc.constraint_name
             AND kcu.table_schema = tc.table_schema
             AND kcu.table_name = tc.table_name
            WHERE tc.constraint_type = 'PRIMARY KEY'
              AND tc.table_schema = %s AND tc.table_name = %s
            ORDER BY kcu.ordinal_position
            """,
            (schema, table),
        ).fetchall()
    return [record[0] for record in records]


def loaded(snapshot: Snapshot, stream: str, scope: Scope) -> Counter[Row]:
    return Counter(
        comparable(stream, scope[0], row)
        for row in snapshot.rows[stream]
        if (row["scope_type"], row["scope_path"]) == scope
    )


def expected(truth: list[dict[str, Any]], stream: str, scope: Scope) -> Counter[Row]:
    return Counter(comparable(stream, scope[0], event) for event in truth)


def difference(want: Counter[Row], got: Counter[Row]) -> str:
    missing, extra = want - got, got - want
    return (
        f"{sum(missing.values())} missing (e.g. {list(missing)[:2]}), "
        f"{sum(extra.values())} extra (e.g. {list(extra)[:2]})"
    )


def bookmarks(state: dict[str, Any], stream: str) -> dict[Scope, str | None]:
    """{scope: replication_key_value} of one stream in Meltano's saved state."""
    stream_state = state.get("singer_state", {}).get("bookmarks", {}).get(stream, {})
    return {
        (p["context"]["scope_type"], p["context"]["scope_path"]): p.get("replication_key_value")
        for p in stream_state.get("partitions", [])
    }


# --- the two runs -------------------------------------------------------------------


@dataclass
class E2E:
    simulator: Simulator
    postgres: EmbeddedPostgres
    schema: str
    first: Snapshot
    second: Snapshot
    truth_first: dict[tuple[str, Scope], list[dict[str, Any]]]
    truth_second: dict[tuple[str, Scope], list[dict[str, Any]]]
    late_answer: Any


def all_truth(simulator: Simulator, last: dt.date) -> dict[tuple[str, Scope], list[dict]]:
    return {
        (stream, scope): simulator.truth(stream, scope, START, last)
        for stream, scopes in STREAM_SCOPES.items()
        for scope in scopes
    }


def run_and_snapshot(project: MeltanoProject, postgres: EmbeddedPostgres, schema: str) -> Snapshot:
    started_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    project.run("run", "tap-gitlab-duo", "target-postgres")
    rows = {stream: read_table(postgres, schema, stream) for stream in ALL_STREAMS}
    return Snapshot(rows=rows, state=project.state(STATE_ID), started_at=started_at)


def first_run_project(
    workdir: Path,
    simulator: Simulator,
    postgres: EmbeddedPostgres,
    schema: str,
    **tap_settings: Any,
) -> MeltanoProject:
    """The Meltano project of the first run: every stream, group and instance scopes."""
    return MeltanoProject(
        home=workdir / "meltano",
        tap_settings={
            "api_url": simulator.url,
            "token": ADMIN_TOKEN,
            "group_paths": [GROUP],
            "project_paths": [],
            "instance": True,
            "start_date": f"{START.isoformat()}T00:00:00Z",
            "end_date": f"{FIRST_END.isoformat()}T00:00:00Z",
            "lookback_days": LOOKBACK_DAYS,
            "_select": [f"{stream}.*" for stream in ALL_STREAMS],
            **tap_settings,
        },
        target_settings={
            "sqlalchemy_url": postgres.sqlalchemy_url,
            "default_target_schema": schema,
        },
    )


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    workdir = tmp_path_factory.mktemp("e2e-meltano")
    schema = "e2e_two_runs"
    simulator = start_simulator(workdir)
    try:
        with embedded_postgres(workdir / "pgdata") as postgres:
            project = first_run_project(workdir, simulator, postgres, schema)
            truth_first = all_truth(simulator, FIRST_END)
            first = run_and_snapshot(project, postgres, schema)

            late_answer = simulator.post("/-/simulator/late-events", LATE_EVENTS)
            truth_second = all_truth(simulator, SECOND_END)
            project.tap_settings["end_date"] = f"{SECOND_END.isoformat()}T00:00:00Z"
            second = run_and_snapshot(project, postgres, schema)

            yield E2E(
                simulator=simulator,
                postgres=postgres,
                schema=schema,
                first=first,
                second=second,
                truth_first=truth_first,
                truth_second=truth_second,
                late_answer=late_answer,
            )
    finally:
        simulator.stop()


# --- the assertions -----------------------------------------------------------------


@pytest.mark.parametrize("run", ["first", "second"])
def test_tables_equal_ground_truth_per_stream_and_scope(e2e: E2E, run: str) -> None:
    snapshot = e2e.first if run == "first" else e2e.second
    truth = e2e.truth_first if run == "first" else e2e.truth_second
    for stream, scopes in STREAM_SCOPES.items():
        loaded_scopes = {(row["scope_type"], row["scope_path"]) for row in snapshot.rows[stream]}
        assert loaded_scopes == set(scopes), f"{stream}: scopes in the table"
        for scope in scopes:
            want = expected(truth[(stream, scope)], stream, scope)
            got = loaded(snapshot, stream, scope)
            assert sum(want.values()) > 100, f"{stream} {scope}: too little truth to test"
            assert got == want, f"{run} run, {stream} {scope}: {difference(want, got)}"


def test_identical_events_are_kept_apart(e2e: E2E) -> None:
    # Timestamps have second precision: the data holds identical events, and each one
    # must be its own row (its own event_key), not merged by the upsert.
    got = loaded(e2e.second, "ai_usage_events", ("group", GROUP))
    assert any(count > 1 for count in got.values()), "no identical events in the data"


@pytest.mark.parametrize("stream", list(STREAM_SCOPES))
def test_event_key_is_the_unique_primary_key(e2e: E2E, stream: str) -> None:
    assert primary_key_columns(e2e.postgres, e2e.schema, stream) == ["event_key"]
    for snapshot in (e2e.first, e2e.second):
        keys = [row["event_key"] for row in snapshot.rows[stream]]
        assert all(isinstance(key, str) and key for key in keys)
        assert len(keys) == len(set(keys))
    first_keys = {row["event_key"] for row in e2e.first.rows[stream]}
    second_keys = {row["event_key"] for row in e2e.second.rows[stream]}
    # Re-reading days gives the same keys: the second run only adds rows.
    assert first_keys < second_keys


def test_group_scope_rows_carry_no_instance_fields(e2e: E2E) -> None:
    # GitLab's group-level event type has no extras or namespacePath.
    group_rows = [r for r in e2e.second.rows["ai_usage_events"] if r["scope_type"] == "group"]
    assert group_rows
    for row in group_rows:
        assert [row[name] for name in INSTANCE_ONLY_FIELDS] == [None, None], row


def test_late_events_are_loaded_by_the_second_run(e2e: E2E) -> None:
    # Late events stamped on days the first run had loaded and bookmarked as complete
    # (the simulator adds them just before the second run) arrive only through the
    # lookback re-read.
    late_total = 0
    for stream, scopes in STREAM_SCOPES.items():
        for scope in scopes:
            now_known = [
                e for e in e2e.truth_second[(stream, scope)]
                if parse_utc(e["timestamp"]).date() <= FIRST_END
            ]  # fmt: skip
            late = expected(now_known, stream, scope) - expected(
                e2e.truth_first[(stream, scope)], stream, scope
            )
            late_total += sum(late.values())
            missing = late - loaded(e2e.second, stream, scope)
            assert not missing, f"{stream} {scope}: late events not loaded: {missing}"
    assert late_total > 0, (
        f"the simulator added no late event on or before {FIRST_END}, so nothing was "
        f"tested (its answer: {e2e.late_answer!r})"
    )


def test_meltano_saved_a_bookmark_per_stream_and_scope(e2e: E2E) -> None:
    for stream, scopes in STREAM_SCOPES.items():
        # The bookmark says: every day before it is complete.
        after_first = bookmarks(e2e.first.state, stream)
        after_second = bookmarks(e2e.second.state, stream)
        for scope in scopes:
            assert after_first.get(scope) == f"{FIRST_END + dt.timedelta(days=1)}T00:00:00Z"
            assert after_second.get(scope) == f"{SECOND_END + dt.timedelta(days=1)}T00:00:00Z"


def days(first: dt.date, last: dt.date) -> set[dt.date]:
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}


def test_second_run_resumed_from_the_saved_state(e2e: E2E) -> None:
    # The second run reads again from (bookmark - lookback_days), not from start_date:
    # it (re)loaded rows of those days only.
    bookmark_day = FIRST_END + dt.timedelta(days=1)
    reread = days(bookmark_day - dt.timedelta(days=LOOKBACK_DAYS), SECOND_END)
    for stream in STREAM_SCOPES:
        rows = e2e.second.rows[stream]
        touched = {
            parse_utc(row["timestamp"]).date()
            for row in rows
            if parse_utc(row["_sdc_batched_at"]) >= e2e.second.started_at
        }
        days_with_rows = {parse_utc(row["timestamp"]).date() for row in rows}
        assert min(days_with_rows) < min(reread), f"{stream}: nothing outside the lookback"
        assert touched == reread & days_with_rows, f"{stream}: days loaded by the second run"


def test_meltano_environment_ignores_the_developer_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runs above get their settings from the test only: a developer's own
    # TAP_GITLAB_DUO_* / TARGET_POSTGRES_* / MELTANO_* variables must not leak in.
    monkeypatch.setenv("TAP_GITLAB_DUO_PROJECT_PATHS", '["leaked/project"]')
    monkeypatch.setenv("TARGET_POSTGRES_HOST", "leaked.example.com")
    monkeypatch.setenv("MELTANO_DATABASE_URI", "sqlite:////leaked.db")
    project = MeltanoProject(home=tmp_path / "meltano", tap_settings={"instance": True})
    env = project.env()
    assert env["TAP_GITLAB_DUO_INSTANCE"] == "true"
    assert "TAP_GITLAB_DUO_PROJECT_PATHS" not in env
    assert "TARGET_POSTGRES_HOST" not in env
    assert env["MELTANO_DATABASE_URI"] == f"sqlite:///{tmp_path / 'meltano' / 'meltano.db'}"


# --- aggregates and seats, loaded by the same runs ----------------------------------

METRIC_KEYS = ("scope_type", "scope_path", "period", "date", "user_id", "username")


def stream_schema(stream: str) -> dict[str, Any]:
    from tests.test_schemas import committed

    return committed(stream)


def metric_columns(row: dict[str, Any], stream: str) -> dict[str, Any]:
    """A loaded metric row as the record was: the stream's columns minus the key."""
    properties = stream_schema(stream)["properties"]
    return {
        name: row[name].isoformat() if isinstance(row[name], dt.date) else row[name]
        for name in properties
        if name not in METRIC_KEYS
    }


def metric_day(
    simulator: Simulator, stream: str, rows: list[dict[str, Any]], day: dt.date
) -> tuple[list[Any], list[Any]]:
    """(loaded, truth) of one metric stream's day rows of the group, comparable as lists."""
    schema = stream_schema(stream)
    rows = [r for r in rows if r["date"] == day and r["period"] == "day"]
    params = {"scope_type": "group", "scope_path": GROUP, "start": day.isoformat(),
              "end": day.isoformat()}  # fmt: skip
    if stream == "ai_metrics":
        truth = simulator.get("/-/simulator/truth/ai-metrics", params)["metrics"]
        want_metrics = selected(ai_metrics_record(truth), schema)
        return [metric_columns(r, stream) for r in rows], [want_metrics]
    nodes = simulator.get("/-/simulator/truth/ai-user-metrics", params)["nodes"]
    want = sorted(
        ((parse_gid((n.get("user") or {}).get("id")) or 0,
          selected(snake_keys({k: v for k, v in n.items() if k != "user"}), schema))
         for n in nodes),
        key=lambda pair: pair[0],
    )  # fmt: skip
    got = sorted(((r["user_id"], metric_columns(r, stream)) for r in rows),
                 key=lambda pair: pair[0])  # fmt: skip
    return got, want


@pytest.mark.parametrize("stream", METRIC_STREAMS)
def test_metric_tables_equal_ground_truth_for_every_day(e2e: E2E, stream: str) -> None:
    expected_keys = ["scope_type", "scope_path", "period", "date"]
    if stream == "ai_user_metrics":
        expected_keys.append("user_id")
    assert primary_key_columns(e2e.postgres, e2e.schema, stream) == expected_keys
    compared = 0
    for day in sorted(days(START, SECOND_END)):
        got, want = metric_day(e2e.simulator, stream, e2e.second.rows[stream], day)
        assert got == want, f"{stream} {day}"
        compared += len(want)
    assert compared >= len(days(START, SECOND_END))


def test_seat_snapshot_table_equals_ground_truth(e2e: E2E) -> None:
    assert primary_key_columns(e2e.postgres, e2e.schema, "duo_seat_assignments") == [
        "scope_type", "scope_path", "snapshot_date", "add_on_type", "user_id"]  # fmt: skip
    for scope_type, scope in (("group", GROUP), ("instance", "")):
        truth = e2e.simulator.get("/-/simulator/truth/seats", {"scope": scope})["seats"]
        want = {(e["add_on_type"], e["user_id"]): e["assigned"] for e in truth}
        rows = [r for r in e2e.second.rows["duo_seat_assignments"]
                if (r["scope_type"], r["scope_path"]) == (scope_type, scope)]  # fmt: skip
        got = {(r["add_on_type"], r["user_id"]): r["seat_assigned"] for r in rows}
        assert got == want, scope_type
        assert any(want.values())
        # Both runs happened today: one snapshot day, upserted, not doubled.
        assert len({r["snapshot_date"] for r in rows}) == 1


# --- the README's example queries ---------------------------------------------------


def readme_example_queries(schema: str) -> list[str]:
    """The SQL blocks of the README's "Example queries", on the test's schema."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Example queries", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    return [block.replace("tap_gitlab_duo.", f"{schema}.") for block in blocks]


def run_query(postgres: EmbeddedPostgres, query: str) -> list[tuple[Any, ...]]:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(query.encode())
        return [tuple(record) for record in cursor.fetchall()]


def test_readme_example_queries_answer_as_the_ground_truth(e2e: E2E) -> None:
    acceptance, unused_seats = readme_example_queries(e2e.schema)

    counts: dict[tuple[dt.date, str], Counter[str]] = defaultdict(Counter)
    for event in e2e.truth_second[("code_suggestion_events", ("group", GROUP))]:
        day = parse_utc(event["timestamp"]).date()
        counts[(day - dt.timedelta(days=day.weekday()), event["language"])][event["event"]] += 1
    want = []
    for (week, language), by_event in sorted(counts.items()):
        accepted = by_event["CODE_SUGGESTION_ACCEPTED_IN_IDE"]
        shown = by_event["CODE_SUGGESTION_SHOWN_IN_IDE"]
        rate = round(Decimal(accepted) / shown, 3) if shown else None
        want.append((week, language, accepted, shown, rate))
    # Sorted here too: the database's collation may order names differently.
    got = sorted(run_query(e2e.postgres, acceptance))
    assert got == want
    assert any(row[2] for row in got), "the data has accepted suggestions"

    # The query's "today" is the database's current_date: the truth uses the same day.
    ((today,),) = run_query(e2e.postgres, "select current_date")
    want_seats = sorted(
        (scope_type, scope, seat["add_on_type"], seat["username"],
         dt.date.fromisoformat(seat["last_duo_activity_on"])
         if seat["last_duo_activity_on"] else None)
        for scope_type, scope in (("group", GROUP), ("instance", ""))
        for seat in e2e.simulator.get("/-/simulator/truth/seats", {"scope": scope})["seats"]
        if seat["assigned"] and (
            seat["last_duo_activity_on"] is None
            or dt.date.fromisoformat(seat["last_duo_activity_on"]) < today - dt.timedelta(days=30)
        )
    )  # fmt: skip
    assert sorted(run_query(e2e.postgres, unused_seats)) == want_seats
    assert want_seats, "the simulator's data is older than 30 days: some seats look unused"
