"""Killed and stopped syncs: nothing lost, nothing doubled, state never ahead.

A scheduler may SIGKILL a whole `meltano run` mid-sync; the next run must finish with
tables identical to the ground truth. A SIGTERM must leave a final STATE that covers
only what was emitted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import typing as t
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tap_gitlab_duo.windows import parse_instant
from tests.expectations import expected, row
from tests.simulator_process import ADMIN_TOKEN, SimulatorProcess, start_simulator
from tests.support.meltano import STATE_ID, MeltanoProject
from tests.support.postgres import EmbeddedPostgres, embedded_postgres
from tests.tap_runner import EVENT_STREAMS, base_config, bookmark_of, catalog_selecting, run_tap
from tests.test_e2e_meltano import parse_utc, read_table

START, END = "2026-09-10", "2026-10-20"
SCOPES = {"code_suggestion_events": [("group", "acme-corp")],
          "ai_usage_events": [("group", "acme-corp"), ("instance", "")]}  # fmt: skip


@pytest.fixture(scope="module")
def slow_simulator() -> t.Iterator[SimulatorProcess]:
    """A simulator of its own, slowed down so that a sync can be caught mid-way."""
    simulator = start_simulator()
    simulator.settings(latency_ms=15)
    yield simulator
    simulator.stop()


def start_tap(
    config: dict[str, t.Any], streams: t.Sequence[str], folder: Path, stderr: t.Any
) -> subprocess.Popen[str]:
    """The tap as a process of its own, selecting ``streams``, its stdout piped."""
    config_file = folder / "config.json"
    config_file.write_text(json.dumps(config))
    catalog_file = folder / "catalog.json"
    catalog_file.write_text(json.dumps(catalog_selecting(config_file, streams)))
    return subprocess.Popen(
        [sys.executable, "-m", "tap_gitlab_duo", "--config", str(config_file),
         "--catalog", str(catalog_file)],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
    )  # fmt: skip


def days_before(bookmark: str) -> set[str]:
    return {d for d in _days(START, END) if d < bookmark[:10]}


def _days(start: str, end: str) -> list[str]:
    first, last = parse_instant(start).date(), parse_instant(end).date()
    return [first.add(days=n).isoformat() for n in range((last - first).days + 1)]


def test_sigterm_stops_cleanly_with_a_state_that_is_not_ahead(
    slow_simulator: SimulatorProcess, tmp_path: Path
) -> None:
    config = base_config(slow_simulator, project_paths=[], instance=False, concurrency=2,
                         start_date=f"{START}T00:00:00Z", end_date=f"{END}T00:00:00Z")  # fmt: skip
    with (tmp_path / "stderr.log").open("w") as stderr:
        process = start_tap(config, ("ai_usage_events",), tmp_path, stderr)
        assert process.stdout is not None
        messages: list[dict[str, t.Any]] = []
        for line in process.stdout:
            messages.append(json.loads(line))
            if sum(m["type"] == "RECORD" for m in messages) == 3000:
                process.send_signal(signal.SIGTERM)
                break
        signalled_at = len(messages)
        messages += [json.loads(line) for line in process.stdout]
        assert process.wait(timeout=60) == 0
    assert "Gracefully shutting down" in (tmp_path / "stderr.log").read_text()
    # The output ends with a STATE written after the signal; it must cover only days
    # emitted whole before it.
    last_state = len(messages) - 1
    assert messages[last_state]["type"] == "STATE", "SIGTERM leaves a final STATE"
    assert last_state >= signalled_at, "the final STATE was written after the signal"
    bookmark = bookmark_of(messages[last_state]["value"], "ai_usage_events", "group", "acme-corp")
    assert bookmark is not None
    records = [m["record"] for m in messages[:last_state] if m["type"] == "RECORD"]
    assert records[-1]["timestamp"] < END, "the sync was stopped mid-way"
    assert max(r["timestamp"] for r in records) < f"{END}T23:59:59Z"
    truth = slow_simulator.truth("group", "acme-corp", START, END)
    for day in days_before(bookmark):
        want = Counter(
            row("ai_usage_events", "group", e) for e in truth if e["timestamp"][:10] == day
        )
        got = Counter(
            row("ai_usage_events", "group", r) for r in records if r["timestamp"][:10] == day
        )
        assert got == want, day


def test_sigkilled_tap_resumes_from_its_last_state_exactly(
    slow_simulator: SimulatorProcess, tmp_path: Path
) -> None:
    config = base_config(slow_simulator, project_paths=[], instance=True, concurrency=2,
                         start_date=f"{START}T00:00:00Z", end_date=f"{END}T00:00:00Z")  # fmt: skip
    process = start_tap(config, EVENT_STREAMS, tmp_path, subprocess.DEVNULL)
    assert process.stdout is not None
    first: list[dict[str, t.Any]] = []
    for line in process.stdout:
        first.append(json.loads(line))
        if sum(m["type"] == "RECORD" for m in first) == 12_000:
            process.kill()
            break
    process.wait(timeout=30)
    first_state = [m for m in first if m["type"] == "STATE"][-1]["value"]
    killed_at = bookmark_of(first_state, "ai_usage_events", "group", "acme-corp")
    assert killed_at is not None
    assert killed_at < END, "killed mid-way"
    second = run_tap(config, state=first_state)
    # The warehouse upserts on the key: the union of both runs, by key, is what it holds.
    for stream, scopes in SCOPES.items():
        loaded: dict[str, dict[str, t.Any]] = {}
        for message in first:
            if message["type"] == "RECORD" and message["stream"] == stream:
                loaded[message["record"]["event_key"]] = message["record"]
        for record in second.records[stream]:
            loaded[record["event_key"]] = record
        for scope_type, scope_path in scopes:
            want = expected(slow_simulator, stream, scope_type, scope_path, START, END)
            got = Counter(
                row(stream, scope_type, r) for r in loaded.values()
                if (r["scope_type"], r["scope_path"]) == (scope_type, scope_path)
            )  # fmt: skip
            assert got == want, f"{stream} {scope_type}: lost or doubled after SIGKILL"
    # It resumed: the second run did not start again from the first day.
    # It resumed at the bookmark minus the lookback, not at the first day.
    resumed = [r for r in second.records["ai_usage_events"] if r["scope_type"] == "group"]
    lookback_start = parse_instant(killed_at).subtract(days=config["lookback_days"])
    assert min(r["timestamp"] for r in resumed)[:10] == lookback_start.date().isoformat()


@pytest.mark.e2e
def test_sigkilled_meltano_run_then_next_run_gives_exact_tables(
    slow_simulator: SimulatorProcess, tmp_path: Path
) -> None:
    schema = "e2e_killed"
    with embedded_postgres(tmp_path / "pgdata") as postgres:
        project = MeltanoProject(
            home=tmp_path / "meltano",
            tap_settings={
                "api_url": slow_simulator.url, "token": ADMIN_TOKEN, "group_paths": ["acme-corp"],
                "project_paths": [], "instance": True, "start_date": f"{START}T00:00:00Z",
                "end_date": f"{END}T00:00:00Z", "lookback_days": 2, "concurrency": 1,
                "_select": [f"{stream}.*" for stream in EVENT_STREAMS],
            },
            target_settings={"sqlalchemy_url": postgres.sqlalchemy_url,
                             "default_target_schema": schema, "batch_size_rows": 500},
        )  # fmt: skip
        project.run("state", "list")  # creates the system database before the race below
        slow_simulator.settings(latency_ms=40)
        running = project.start("run", "tap-gitlab-duo", "target-postgres")
        deadline = time.monotonic() + 300
        loaded_before_kill = 0
        # Wait until rows are in the warehouse, then kill the whole job at once, as a
        # scheduler enforcing a timeout would.
        while time.monotonic() < deadline and running.poll() is None:
            loaded_before_kill = count_rows(postgres, schema, "code_suggestion_events")
            if loaded_before_kill >= 2000:
                break
            time.sleep(0.5)
        assert running.poll() is None, "the first run ended before it could be killed"
        os.killpg(running.pid, signal.SIGKILL)
        running.wait(timeout=30)
        slow_simulator.settings(latency_ms=0)

        # The next scheduled run: Meltano refuses to start while the killed job still
        # looks alive, so the user (or scheduler) forces it, as the README says.
        project.run("run", "--force", "tap-gitlab-duo", "target-postgres")

        for stream, scopes in SCOPES.items():
            table = read_table(postgres, schema, stream)
            keys = [r["event_key"] for r in table]
            assert len(keys) == len(set(keys))
            for scope_type, scope_path in scopes:
                want = expected(slow_simulator, stream, scope_type, scope_path, START, END)
                got = Counter(
                    row(stream, scope_type, {**r, "timestamp": _z(r["timestamp"])})
                    for r in table if (r["scope_type"], r["scope_path"]) == (scope_type, scope_path)
                )  # fmt: skip
                assert got == want, f"{stream} {scope_type}: lost or doubled rows after the kill"
        assert 0 < loaded_before_kill < len(read_table(postgres, schema, "code_suggestion_events"))
        final = project.state(STATE_ID)["singer_state"]
        assert bookmark_of(final, "ai_usage_events", "instance", "") == "2026-10-21T00:00:00Z"


def count_rows(postgres: EmbeddedPostgres, schema: str, table: str) -> int:
    query = sql.SQL("select count(*) from {}.{}").format(
        sql.Identifier(schema), sql.Identifier(table)
    )
    try:
        with postgres.connect() as connection:
            found = connection.execute(query).fetchone()
    except psycopg.errors.UndefinedTable:  # the table appears with the first batch
        return 0
    return int(found[0]) if found else 0


def _z(value: t.Any) -> str:
    return parse_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
