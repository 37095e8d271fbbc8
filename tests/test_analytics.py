"""The dbt models (transform/) built by Meltano on a real load, checked against the truth.

One warehouse is shared with tests/test_report.py: a simulator whose data ends today, an
embedded PostgreSQL, `meltano run tap-gitlab-duo target-postgres` for 35 days of a group,
a project and the instance, late events, then `meltano run tap-gitlab-duo target-postgres
dbt-postgres:build` (the incremental sync and every model, seed and dbt test). The dbt
transformer is installed by `meltano install` like the other plugins.

Besides dbt's own tests (unique, not null, relationships, accepted values, the
reconciliation), the marts are compared here with numbers computed in Python from the
simulator's ground truth, and the reconciliation is shown to catch a real disagreement.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from psycopg import sql

from tests.simulator_process import ADMIN_TOKEN, SimulatorProcess, start_simulator
from tests.support.meltano import REPO_ROOT, MeltanoProject, settings_env
from tests.support.postgres import EmbeddedPostgres, start_postgres

pytestmark = pytest.mark.e2e

GROUP, PROJECT = "acme-corp", "globex/website"
SYNC_DAYS = 35
SIM_DAYS = 40
SIM_EVENTS_PER_DAY = 300
LOOKBACK_DAYS = 3
# Late events in the last two days, inside the second sync's lookback window.
LATE_EVENTS = {"count": 60, "days_back": 2, "seed": 11}
SOURCE_SCHEMA = "duo_raw"
ANALYTICS_SCHEMA = "duo_analytics"
STREAMS = (
    "code_suggestion_events",
    "ai_usage_events",
    "ai_user_metrics",
    "ai_metrics",
    "duo_seat_assignments",
)
SHOWN, ACCEPTED = "CODE_SUGGESTION_SHOWN_IN_IDE", "CODE_SUGGESTION_ACCEPTED_IN_IDE"
DBT_VARS = yaml.safe_load((REPO_ROOT / "transform" / "dbt_project.yml").read_text())["vars"]


@dataclass
class AnalyticsProject(MeltanoProject):
    """A MeltanoProject whose dbt-postgres transformer gets its settings from the test."""

    dbt_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        # A developer's own DBT_* variables must not leak in, as for TAP_/TARGET_.
        env = {k: v for k, v in super().env().items() if not k.startswith("DBT_")}
        env.update(self.dbt_env)
        return env


@dataclass
class Warehouse:
    """The loaded and modelled database every analytics and report test reads."""

    workdir: Path
    postgres: EmbeddedPostgres
    simulator: SimulatorProcess
    project: AnalyticsProject
    first_day: dt.date
    last_day: dt.date
    dbt_target: Path
    pipeline_output: str
    build_results: list[dict[str, Any]]
    strict_reconciliation: subprocess.CompletedProcess[str]

    def query(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        """Rows of `query`, where `{a}` is the analytics schema and `{r}` the raw one."""
        composed = sql.SQL(query).format(
            a=sql.Identifier(ANALYTICS_SCHEMA), r=sql.Identifier(SOURCE_SCHEMA)
        )
        with self.postgres.connect() as connection, connection.cursor() as cursor:
            cursor.execute(composed, params)
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def truth_events(self, scope_type: str, scope_path: str, kind: str = "all") -> list[dict]:
        """Ground-truth events of a scope on the synced days (as the tap reads them)."""
        events = self.simulator.truth(
            scope_type,
            scope_path,
            (self.first_day - dt.timedelta(days=1)).isoformat(),
            (self.last_day + dt.timedelta(days=1)).isoformat(),
            kind,
        )
        return [e for e in events if self.first_day <= event_day(e) <= self.last_day]


def event_day(event: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(event["timestamp"][:10])


def dbt_env(postgres: EmbeddedPostgres, workdir: Path, **overrides: str) -> dict[str, str]:
    """The dbt-postgres transformer's settings for the embedded server (Unix socket)."""
    settings = {
        "host": postgres.socket_dir,
        "port": 5432,
        "user": "postgres",
        "dbname": "postgres",
        "schema": ANALYTICS_SCHEMA,
        "source_schema": SOURCE_SCHEMA,
        # Exported to dbt as DBT_TARGET_PATH and DBT_LOG_PATH.
        "target_path": workdir / "dbt-target",
        "log_path": workdir / "dbt-logs",
    }
    env = settings_env("DBT_POSTGRES", settings)
    env.update(overrides)
    return env


_warehouse: Warehouse | None = None
_warehouse_error: str | None = None


def shared_warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """Build the warehouse once per session (test_analytics and test_report share it).

    Call it from a session-scoped fixture: what it starts is stopped when the session ends.
    """
    global _warehouse, _warehouse_error  # noqa: PLW0603
    if _warehouse_error is not None:
        pytest.fail(f"the analytics warehouse could not be built: {_warehouse_error}")
    if _warehouse is None:
        stack = contextlib.ExitStack()
        request.addfinalizer(stack.close)
        workdir = request.getfixturevalue("tmp_path_factory").mktemp("analytics")
        try:
            _warehouse = build_warehouse(workdir, stack)
        except BaseException as error:
            _warehouse_error = str(error).splitlines()[0] if str(error) else repr(error)
            raise
    return _warehouse


def build_warehouse(workdir: Path, stack: contextlib.ExitStack) -> Warehouse:
    today = dt.datetime.now(dt.timezone.utc).date()
    first_day = today - dt.timedelta(days=SYNC_DAYS - 1)
    # Data ends today, so that seat activity (GitLab's last Duo activity, compared with
    # the snapshot day of the sync) means what it means in production.
    simulator = start_simulator(
        "--end-date", today.isoformat(),
        "--days", str(SIM_DAYS),
        "--events-per-day", str(SIM_EVENTS_PER_DAY),
    )  # fmt: skip
    stack.callback(simulator.stop)
    postgres = start_postgres(workdir / "pgdata")
    stack.callback(postgres.stop)
    project = AnalyticsProject(
        home=workdir / "meltano",
        tap_settings={
            "api_url": simulator.url,
            "token": ADMIN_TOKEN,
            "group_paths": [GROUP],
            "project_paths": [PROJECT],
            "instance": True,
            "start_date": f"{first_day.isoformat()}T00:00:00Z",
            "lookback_days": LOOKBACK_DAYS,
            "metric_periods": ["day", "week", "month"],
            "_select": [f"{stream}.*" for stream in STREAMS],
        },
        target_settings={
            "sqlalchemy_url": postgres.sqlalchemy_url,
            "default_target_schema": SOURCE_SCHEMA,
        },
        dbt_env=dbt_env(postgres, workdir),
    )
    project.run("run", "tap-gitlab-duo", "target-postgres")
    simulator.control("POST", "late-events", json=LATE_EVENTS)
    # The daily pipeline as users run it: incremental sync, then every model and test.
    pipeline = project.run("run", "tap-gitlab-duo", "target-postgres", "dbt-postgres:build")
    build_results = json.loads((workdir / "dbt-target" / "run_results.json").read_text())
    # The reconciliation test, as a failing (error) test rather than the default warning.
    strict = project.run(
        "invoke", "dbt-postgres", "test",
        "--select", "assert_reconciliation_agrees",
        "--vars", "{reconciliation_severity: error}",
        check=False,
    )  # fmt: skip
    return Warehouse(
        workdir=workdir,
        postgres=postgres,
        simulator=simulator,
        project=project,
        first_day=first_day,
        last_day=today,
        dbt_target=workdir / "dbt-target",
        pipeline_output=pipeline.stdout + pipeline.stderr,
        build_results=build_results["results"],
        strict_reconciliation=strict,
    )


@pytest.fixture(scope="session")
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    return shared_warehouse(request)


# --- dbt ran everything, and everything passed --------------------------------------


def test_dbt_build_ran_every_model_seed_and_test(warehouse: Warehouse) -> None:
    results = warehouse.build_results
    by_kind: Counter[str] = Counter(result["unique_id"].split(".")[0] for result in results)
    statuses = Counter(result["status"] for result in results)
    bad = [(r["unique_id"], r["status"], r.get("message")) for r in results
           if r["status"] not in {"success", "pass"}]  # fmt: skip
    assert not bad, f"dbt build: {bad}"
    manifest = json.loads((warehouse.dbt_target / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert by_kind["model"] == len(models) >= 25
    assert by_kind["seed"] == 1
    assert by_kind["test"] == len(tests) >= 200, statuses
    kinds = Counter(t.get("test_metadata", {}).get("name", "singular") for t in tests)
    for kind in ("unique", "not_null", "relationships", "accepted_values",
                 "unique_combination_of_columns", "singular"):  # fmt: skip
        assert kinds[kind] > 0, f"no {kind} test: {kinds}"
    assert "Completed successfully" in warehouse.pipeline_output


def test_reconciliation_test_passes_as_an_error_level_test(warehouse: Warehouse) -> None:
    result = warehouse.strict_reconciliation
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS=1" in result.stdout + result.stderr


# --- reconciliation ------------------------------------------------------------------


def test_raw_events_reconcile_with_gitlab_aggregates_every_day(warehouse: Warehouse) -> None:
    days = warehouse.query(
        "SELECT * FROM {a}.mart_reconciliation_days ORDER BY scope_type, scope_path, metric_date"
    )
    by_scope: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in days:
        by_scope[(row["scope_type"], row["scope_path"])].append(row)
    # The instance has no aggregates; the group and the project are compared every day.
    assert set(by_scope) == {("group", GROUP), ("project", PROJECT)}
    for scope, rows in by_scope.items():
        assert [r["metric_date"] for r in rows] == [
            warehouse.first_day + dt.timedelta(days=n) for n in range(SYNC_DAYS)
        ], scope
        assert all(r["metrics_compared"] >= 50 for r in rows), scope
        flagged = [(r["metric_date"], r["disagreeing_metrics"]) for r in rows if r["disagrees"]]
        assert not flagged, f"{scope}: {flagged}"
    compared = warehouse.query(
        "SELECT sum(raw_value) AS raw, count(*) AS n FROM {a}.mart_reconciliation_daily "
        "WHERE scope_type = 'group'"
    )[0]
    assert compared["raw"] > 10_000  # real numbers were compared, not zeros


def test_reconciliation_flags_a_day_that_disagrees(warehouse: Warehouse) -> None:
    # GitLab sometimes collapses identical rows. Copy the raw tables, drop two events of
    # one day from the copy, and build the reconciliation on it: that day, and only that
    # day, must be flagged, and the error-level test must fail.
    tampered, schema = "duo_raw_tampered", "duo_analytics_tampered"
    day = warehouse.last_day - dt.timedelta(days=10)
    with warehouse.postgres.connect() as connection:
        drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(tampered))
        connection.execute(drop)
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(tampered)))
        for stream in STREAMS:
            connection.execute(
                sql.SQL("CREATE TABLE {}.{} AS TABLE {}.{}").format(
                    sql.Identifier(tampered), sql.Identifier(stream),
                    sql.Identifier(SOURCE_SCHEMA), sql.Identifier(stream),
                )
            )  # fmt: skip
        deleted = connection.execute(
            sql.SQL(
                """
                DELETE FROM {}.ai_usage_events WHERE event_key IN (
                    SELECT event_key FROM {}.ai_usage_events
                    WHERE scope_type = 'group' AND "timestamp"::date = %s
                      AND event = 'REQUEST_DUO_CHAT_RESPONSE'
                    ORDER BY event_key LIMIT 2)
                """
            ).format(sql.Identifier(tampered), sql.Identifier(tampered)),
            (day,),
        ).rowcount
    assert deleted == 2
    project = AnalyticsProject(
        home=warehouse.workdir / "meltano-tampered",
        dbt_env=dbt_env(
            warehouse.postgres, warehouse.workdir / "tampered",
            DBT_POSTGRES_SCHEMA=schema, DBT_POSTGRES_SOURCE_SCHEMA=tampered,
        ),
    )  # fmt: skip
    result = project.run(
        "invoke", "dbt-postgres", "build",
        "--select", "+mart_reconciliation_days+",
        "--vars", "{reconciliation_severity: error}",
        check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "FAIL 1 assert_reconciliation_agrees" in output, output[-3000:]
    with warehouse.postgres.connect() as connection:
        flagged = connection.execute(
            sql.SQL(
                "SELECT scope_type, scope_path, metric_date, disagreeing_metrics "
                "FROM {}.mart_reconciliation_days WHERE disagrees"
            ).format(sql.Identifier(schema))
        ).fetchall()
    assert len(flagged) == 1, flagged
    scope_type, scope_path, metric_date, metrics = flagged[0]
    assert (scope_type, scope_path, metric_date) == ("group", GROUP, day)
    assert "ai_metrics.events:REQUEST_DUO_CHAT_RESPONSE" in metrics
    assert "ai_user_metrics.chat_event_count" in metrics
    assert "ai_user_metrics.total_event_count" in metrics


# --- the marts equal what the ground truth says --------------------------------------


def test_acceptance_by_language_equals_the_truth(warehouse: Warehouse) -> None:
    truth = warehouse.truth_events("group", GROUP, "code_suggestions")
    want: dict[tuple[dt.date, str], Counter[str]] = defaultdict(Counter)
    for event in truth:
        monday = event_day(event) - dt.timedelta(days=event_day(event).weekday())
        want[(monday, event["language"] or "(unknown)")][event["event"]] += 1
    rows = warehouse.query(
        "SELECT period_start, language, suggestions_shown, suggestions_accepted, "
        "acceptance_rate FROM {a}.mart_code_suggestions_by_language "
        "WHERE scope_type = 'group' AND scope_path = %s AND period = 'week'",
        (GROUP,),
    )
    got = {(r["period_start"], r["language"]): r for r in rows}
    assert set(got) == set(want)
    for key, counts in want.items():
        row = got[key]
        assert (row["suggestions_shown"], row["suggestions_accepted"]) == (
            counts[SHOWN], counts[ACCEPTED]), key  # fmt: skip
        if counts[SHOWN]:
            assert row["acceptance_rate"] == pytest.approx(counts[ACCEPTED] / counts[SHOWN])
    assert len({language for _, language in want}) >= 5


def test_acceptance_by_ide_comes_from_instance_events(warehouse: Warehouse) -> None:
    truth = warehouse.truth_events("instance", "")
    want: Counter[tuple[str, str]] = Counter(
        (e["extras"]["ide_name"], e["event"]) for e in truth if e["event"] in {SHOWN, ACCEPTED}
    )
    rows = warehouse.query(
        "SELECT ide_name, sum(suggestions_shown) AS shown, sum(suggestions_accepted) AS accepted "
        "FROM {a}.mart_code_suggestions_by_ide "
        "WHERE scope_type = 'instance' AND period = 'day' GROUP BY 1"
    )
    got = {r["ide_name"]: (r["shown"], r["accepted"]) for r in rows}
    ides = {ide for ide, _ in want}
    assert len(ides) >= 3
    assert got == {ide: (want[(ide, SHOWN)], want[(ide, ACCEPTED)]) for ide in ides}
    # Group scopes get no IDE from GitLab's events: the mart says so.
    group_ides = warehouse.query(
        "SELECT DISTINCT ide_name FROM {a}.mart_code_suggestions_by_ide WHERE scope_type = 'group'"
    )
    assert [r["ide_name"] for r in group_ides] == ["(not reported)"]
    reported = warehouse.query(
        "SELECT DISTINCT ide_name FROM {a}.mart_code_suggestion_ides_reported "
        "WHERE scope_type = 'group'"
    )
    assert {r["ide_name"] for r in reported} <= ides | {"(not reported)"}
    assert reported


def test_active_users_equal_the_truth(warehouse: Warehouse) -> None:
    truth = warehouse.truth_events("group", GROUP)
    users_by_day: dict[dt.date, set[int]] = defaultdict(set)
    for event in truth:
        users_by_day[event_day(event)].add(event["user_id"])
    daily = {
        r["period_start"]: r["active_users"]
        for r in warehouse.query(
            "SELECT period_start, active_users FROM {a}.mart_active_users "
            "WHERE scope_type = 'group' AND scope_path = %s AND period = 'day'",
            (GROUP,),
        )
    }
    assert daily == {day: len(users) for day, users in users_by_day.items()}
    rolling = warehouse.query(
        "SELECT * FROM {a}.mart_active_users_rolling "
        "WHERE scope_type = 'group' AND scope_path = %s ORDER BY activity_date",
        (GROUP,),
    )
    for row in rolling[-3:]:
        day = row["activity_date"]

        def users(days: int, day: dt.date = day) -> int:
            span = {day - dt.timedelta(days=n) for n in range(days)}
            return len(set().union(*(users_by_day[d] for d in span)))

        assert (row["daily_active_users"], row["weekly_active_users"],
                row["monthly_active_users"]) == (users(1), users(7), users(28))  # fmt: skip
        assert row["is_full_window"]


def test_weekly_returning_and_churned_users_add_up(warehouse: Warehouse) -> None:
    rows = warehouse.query(
        "SELECT * FROM {a}.mart_active_users WHERE scope_type = 'instance' AND period = 'week' "
        "ORDER BY period_start"
    )
    assert len(rows) >= 5
    assert rows[0]["active_users"] == rows[0]["new_users"] > 0
    for before, row in itertools.pairwise(rows):
        assert row["period_start"] - before["period_start"] == dt.timedelta(days=7)
        # Everyone active last week either came back this week or churned.
        assert row["returning_users"] + row["churned_users"] == before["active_users"]
        assert row["active_users"] == (
            row["new_users"] + row["returning_users"] + row["reactivated_users"])  # fmt: skip
    assert [r["is_complete"] for r in rows][-1] is False
    assert all(r["is_complete"] for r in rows[:-1])


def test_engagement_segments_follow_the_thresholds(warehouse: Warehouse) -> None:
    window = int(DBT_VARS["engagement_window_days"])
    most = int(DBT_VARS["engagement_experimenting_max_days"])
    heavy = int(DBT_VARS["engagement_heavy_min_days"])
    as_of = warehouse.last_day
    window_days = {as_of - dt.timedelta(days=n) for n in range(window)}
    active: dict[int, set[dt.date]] = defaultdict(set)
    for event in warehouse.truth_events("group", GROUP):
        if event_day(event) in window_days:
            active[event["user_id"]].add(event_day(event))
    rows = warehouse.query(
        "SELECT * FROM {a}.mart_user_engagement WHERE scope_type = 'group' AND scope_path = %s",
        (GROUP,),
    )
    assert rows
    for row in rows:
        assert row["as_of_date"] == as_of
        days = len(active.get(row["user_id"], set()))
        assert row["active_days"] == days, row
        expected = (
            "inactive" if days == 0
            else "experimenting" if days <= most
            else "heavy" if days >= heavy
            else "regular"
        )  # fmt: skip
        assert row["segment"] == expected, row
    segments = warehouse.query(
        "SELECT segment, users FROM {a}.mart_engagement_segments "
        "WHERE scope_type = 'group' AND scope_path = %s ORDER BY segment_order",
        (GROUP,),
    )
    assert [s["segment"] for s in segments] == ["inactive", "experimenting", "regular", "heavy"]
    assert dict(Counter(r["segment"] for r in rows)) == {
        s["segment"]: s["users"] for s in segments if s["users"]
    }
    # Idle seat holders are known users too: they are the inactive segment.
    assert any(r["segment"] == "inactive" and r["has_seat"] for r in rows)


def test_seat_utilisation_equals_the_simulator_seats(warehouse: Warehouse) -> None:
    snapshot = dt.datetime.now(dt.timezone.utc).date()
    window = int(DBT_VARS["seat_active_days"])
    for scope_type, scope in (("group", GROUP), ("instance", "")):
        answer = warehouse.simulator.control("GET", "truth/seats", params={"scope": scope})
        seats = answer["seats"]
        rows = warehouse.query(
            "SELECT * FROM {a}.mart_seat_utilisation WHERE scope_type = %s AND scope_path = %s",
            (scope_type, scope),
        )
        assert {r["add_on_type"] for r in rows} == {s["add_on_type"] for s in seats}
        for row in rows:
            mine = [s for s in seats if s["add_on_type"] == row["add_on_type"] and s["assigned"]]
            last = [s["last_duo_activity_on"] for s in mine]
            since = snapshot - dt.timedelta(days=window)
            active = [d for d in last if d and dt.date.fromisoformat(d) > since]
            assert row["snapshot_date"] == snapshot
            assert row["assigned_seats"] == len(mine) == row["gitlab_assigned_quantity"]
            assert row["never_used_seats"] == last.count(None)
            assert row["active_seats"] == len(active)
            assert row["purchased_seats"] == mine[0]["purchased_quantity"]
    # The idle seat holders of the simulator: seats nobody uses.
    never = warehouse.query(
        "SELECT username FROM {a}.mart_seat_holders WHERE scope_type = 'group' "
        "AND seat_status = 'never_used' ORDER BY username"
    )
    assert [r["username"] for r in never] == ["olivia.brown", "sven.larsen"]


def test_feature_usage_counts_every_event_including_late_ones(warehouse: Warehouse) -> None:
    truth = warehouse.truth_events("group", GROUP)
    want: Counter[dt.date] = Counter(event_day(e) for e in truth)
    got = {
        r["period_start"]: r["events"]
        for r in warehouse.query(
            "SELECT period_start, sum(event_count) AS events FROM {a}.mart_feature_usage "
            "WHERE scope_type = 'group' AND scope_path = %s AND period = 'day' GROUP BY 1",
            (GROUP,),
        )
    }
    assert got == dict(want)
    features = warehouse.query(
        "SELECT DISTINCT feature FROM {a}.mart_feature_usage WHERE scope_type = 'group'"
    )
    names = {r["feature"] for r in features}
    highlighted = {"chat", "code_review", "troubleshoot_job", "agent_platform", "code_suggestions"}
    assert highlighted <= names
    assert "other" not in names  # the seed knows every event the simulator sends
    flows = warehouse.query(
        "SELECT DISTINCT flow_type FROM {a}.mart_agent_platform_flows WHERE scope_type = 'group'"
    )
    assert len(flows) >= 2


# --- documentation -------------------------------------------------------------------


def test_every_model_and_column_is_documented(warehouse: Warehouse) -> None:
    manifest = json.loads((warehouse.dbt_target / "manifest.json").read_text())
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in {"model", "seed"}]
    assert nodes
    columns = warehouse.query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (ANALYTICS_SCHEMA,),
    )
    built: dict[str, list[str]] = defaultdict(list)
    for row in columns:
        built[row["table_name"]].append(row["column_name"])
    problems = []
    for node in nodes:
        name = node["alias"] or node["name"]
        if not node["description"].strip():
            problems.append(f"{name}: no description")
        documented = {c: v.get("description", "").strip() for c, v in node["columns"].items()}
        for column in built.get(name, []):
            if not documented.get(column):
                problems.append(f"{name}.{column}: not documented")
        for column in set(documented) - set(built.get(name, [])):
            problems.append(f"{name}.{column}: documented but not in the table")
        if name not in built:
            problems.append(f"{name}: not built")
    assert not problems, "\n".join(problems)
