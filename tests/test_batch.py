"""BATCH messages end to end: `meltano run tap-gitlab-duo target-postgres` with batch_config.

With the SDK's `batch_config` set, the tap writes each stream's records to gzipped JSON
Lines files under the storage root and sends BATCH messages naming them instead of
RECORD messages; target-postgres 0.8.1 reads the files and upserts them. The same two
runs as tests/test_e2e_meltano.py (a first sync, late events, a second sync resuming
from the saved state) must leave the tables equal to the simulator's ground truth, and
the batch files must hold exactly the records each run read.

A run that fails part-way saves no bookmark past what a batch file holds: in batch mode
the tap moves a scope's bookmark only when the SDK has written the file holding its days.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.meltano import STATE_ID, MeltanoProject
from tests.support.postgres import EmbeddedPostgres, embedded_postgres
from tests.tap_runner import bookmark_of, run_tap
from tests.test_e2e_meltano import (
    ADMIN_TOKEN,
    ALL_STREAMS,
    FIRST_END,
    GROUP,
    LATE_EVENTS,
    LOOKBACK_DAYS,
    METRIC_STREAMS,
    SECOND_END,
    START,
    STREAM_SCOPES,
    Scope,
    Simulator,
    all_truth,
    bookmarks,
    comparable,
    days,
    difference,
    expected,
    first_run_project,
    metric_day,
    parse_utc,
    primary_key_columns,
    read_table,
    start_simulator,
)

pytestmark = pytest.mark.e2e

SCHEMA = "e2e_batch"


def batch_settings(root: Path) -> dict[str, str]:
    """The SDK's batch_config, as the dotted Meltano settings of the plugin definition."""
    return {
        "batch_config.encoding.format": "jsonl",
        "batch_config.encoding.compression": "gzip",
        "batch_config.storage.root": root.as_uri(),
        "batch_config.storage.prefix": "batch-",
    }


def batch_files(root: Path) -> dict[str, list[Path]]:
    """{stream: its batch files}, from the names the SDK gives them."""
    found: dict[str, list[Path]] = {}
    for path in sorted(root.glob("batch-*.json.gz")):
        stream = path.name.removeprefix("batch-tap-gitlab-duo--").split("-", 1)[0]
        found.setdefault(stream, []).append(path)
    return found


def batch_records(paths: list[Path]) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        with gzip.open(path, "rt") as lines:
            records += [json.loads(line) for line in lines]
    return records


@dataclass
class Run:
    """One `meltano run` in batch mode: the tables after it, its files, its state."""

    rows: dict[str, list[dict[str, Any]]]
    files: dict[str, list[Path]]
    state: dict[str, Any]
    seconds: float


@dataclass
class BatchE2E:
    simulator: Simulator
    postgres: EmbeddedPostgres
    first: Run
    second: Run
    truth_first: dict[tuple[str, Scope], list[dict[str, Any]]]
    truth_second: dict[tuple[str, Scope], list[dict[str, Any]]]


def run_batch(project: MeltanoProject, postgres: EmbeddedPostgres, root: Path) -> Run:
    before = {path for paths in batch_files(root).values() for path in paths}
    started = time.monotonic()
    project.run("run", "tap-gitlab-duo", "target-postgres")
    seconds = time.monotonic() - started
    files = {
        stream: [path for path in paths if path not in before]
        for stream, paths in batch_files(root).items()
    }
    rows = {stream: read_table(postgres, SCHEMA, stream) for stream in ALL_STREAMS}
    return Run(rows=rows, files=files, state=project.state(STATE_ID), seconds=seconds)


@pytest.fixture(scope="module")
def batch_e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchE2E]:
    workdir = tmp_path_factory.mktemp("e2e-batch")
    root = workdir / "batches"
    root.mkdir()
    simulator = start_simulator(workdir)
    try:
        with embedded_postgres(workdir / "pgdata") as postgres:
            project = first_run_project(
                workdir, simulator, postgres, SCHEMA, **batch_settings(root)
            )
            truth_first = all_truth(simulator, FIRST_END)
            first = run_batch(project, postgres, root)
            simulator.post("/-/simulator/late-events", LATE_EVENTS)
            truth_second = all_truth(simulator, SECOND_END)
            project.tap_settings["end_date"] = f"{SECOND_END.isoformat()}T00:00:00Z"
            second = run_batch(project, postgres, root)
            print(
                f"\nBATCH runs: first {first.seconds:.1f} s, "
                f"{sum(map(len, first.files.values()))} files, "
                f"{sum(len(batch_records(p)) for p in first.files.values())} records; "
                f"second {second.seconds:.1f} s, {sum(map(len, second.files.values()))} files, "
                f"{sum(len(batch_records(p)) for p in second.files.values())} records"
            )
            yield BatchE2E(simulator, postgres, first, second, truth_first, truth_second)
    finally:
        simulator.stop()


def loaded_rows(rows: list[dict[str, Any]], stream: str, scope: Scope) -> Counter[Any]:
    return Counter(
        comparable(stream, scope[0], row)
        for row in rows
        if (row["scope_type"], row["scope_path"]) == scope
    )


# --- BATCH messages were used ---------------------------------------------------------


@pytest.mark.parametrize("run", ["first", "second"])
def test_every_stream_went_through_batch_files(batch_e2e: BatchE2E, run: str) -> None:
    files = getattr(batch_e2e, run).files
    assert set(files) == set(ALL_STREAMS), "one set of batch files per stream and run"
    for stream in ALL_STREAMS:
        assert files[stream], stream
        assert batch_records(files[stream]), f"{stream}: empty batch files"


def test_rows_carry_no_record_message_metadata(batch_e2e: BatchE2E) -> None:
    # target-postgres adds _sdc_* values to RECORD messages only: rows loaded from
    # batch files have none, so no row of these tables came as a RECORD message.
    for stream in ALL_STREAMS:
        rows = batch_e2e.second.rows[stream]
        assert rows, stream
        assert all(row["_sdc_extracted_at"] is None for row in rows), stream
        assert all(row["_sdc_batched_at"] is None for row in rows), stream


@pytest.mark.parametrize("run", ["first", "second"])
def test_batch_files_hold_exactly_the_days_each_run_read(batch_e2e: BatchE2E, run: str) -> None:
    # The first run reads START..FIRST_END; the second re-reads LOOKBACK_DAYS days
    # before its bookmark, then the new day.
    snapshot = getattr(batch_e2e, run)
    truth = batch_e2e.truth_first if run == "first" else batch_e2e.truth_second
    first_day = START if run == "first" else FIRST_END + dt.timedelta(days=1 - LOOKBACK_DAYS)
    for stream, scopes in STREAM_SCOPES.items():
        records = batch_records(snapshot.files[stream])
        for scope in scopes:
            in_files = loaded_rows(records, stream, scope)
            read = [e for e in truth[(stream, scope)]
                    if parse_utc(e["timestamp"]).date() >= first_day]  # fmt: skip
            want = expected(read, stream, scope)
            assert in_files == want, f"{run} run, {stream} {scope}: {difference(want, in_files)}"


# --- and the tables equal the ground truth ------------------------------------------


@pytest.mark.parametrize("run", ["first", "second"])
def test_event_tables_equal_ground_truth(batch_e2e: BatchE2E, run: str) -> None:
    snapshot = getattr(batch_e2e, run)
    truth = batch_e2e.truth_first if run == "first" else batch_e2e.truth_second
    for stream, scopes in STREAM_SCOPES.items():
        assert primary_key_columns(batch_e2e.postgres, SCHEMA, stream) == ["event_key"]
        loaded_scopes = {(row["scope_type"], row["scope_path"]) for row in snapshot.rows[stream]}
        assert loaded_scopes == set(scopes), f"{stream}: scopes in the table"
        for scope in scopes:
            want = expected(truth[(stream, scope)], stream, scope)
            got = loaded_rows(snapshot.rows[stream], stream, scope)
            assert sum(want.values()) > 100, f"{stream} {scope}: too little truth to test"
            assert got == want, f"{run} run, {stream} {scope}: {difference(want, got)}"


def test_late_events_arrived_through_the_lookback(batch_e2e: BatchE2E) -> None:
    late = 0
    for stream, scopes in STREAM_SCOPES.items():
        for scope in scopes:
            old_days = [e for e in batch_e2e.truth_second[(stream, scope)]
                        if parse_utc(e["timestamp"]).date() <= FIRST_END]  # fmt: skip
            new = expected(old_days, stream, scope) - expected(
                batch_e2e.truth_first[(stream, scope)], stream, scope
            )
            late += sum(new.values())
            assert not new - loaded_rows(batch_e2e.second.rows[stream], stream, scope)
    assert late > 0, "the simulator added no late event: nothing was tested"


def test_meltano_saved_the_bookmarks(batch_e2e: BatchE2E) -> None:
    for stream, scopes in STREAM_SCOPES.items():
        for scope in scopes:
            assert bookmarks(batch_e2e.first.state, stream).get(scope) == (
                f"{FIRST_END + dt.timedelta(days=1)}T00:00:00Z"
            )
            assert bookmarks(batch_e2e.second.state, stream).get(scope) == (
                f"{SECOND_END + dt.timedelta(days=1)}T00:00:00Z"
            )


@pytest.mark.parametrize("stream", METRIC_STREAMS)
def test_metric_tables_equal_ground_truth(batch_e2e: BatchE2E, stream: str) -> None:
    for day in sorted(days(START, SECOND_END)):
        got, want = metric_day(batch_e2e.simulator, stream, batch_e2e.second.rows[stream], day)
        assert got == want, f"{stream} {day}"


def test_seat_table_equals_ground_truth(batch_e2e: BatchE2E) -> None:
    for scope_type, scope in (("group", GROUP), ("instance", "")):
        truth = batch_e2e.simulator.get("/-/simulator/truth/seats", {"scope": scope})["seats"]
        want = {(e["add_on_type"], e["user_id"]): e["assigned"] for e in truth}
        rows = [r for r in batch_e2e.second.rows["duo_seat_assignments"]
                if (r["scope_type"], r["scope_path"]) == (scope_type, scope)]  # fmt: skip
        assert {(r["add_on_type"], r["user_id"]): r["seat_assigned"] for r in rows} == want
        assert len({r["snapshot_date"] for r in rows}) == 1


# --- a run that fails part-way ------------------------------------------------------

FAILING_STREAM = "code_suggestion_events"
FAULT = {
    # Every request for this stream's pages fails after the first 20: with one window
    # at a time and no retries, the sync gives up on a day in the middle of the range.
    "kind": "http_error",
    "operation": "CodeSuggestionEventsGroup",
    "after": 20,
    "count": None,
}


def failing_run_settings(simulator: Simulator) -> dict[str, Any]:
    """The tap's settings for a run that ``FAULT`` stops in the middle of the range."""
    return {
        "api_url": simulator.url,
        "token": ADMIN_TOKEN,
        "group_paths": [GROUP],
        "start_date": f"{START.isoformat()}T00:00:00Z",
        "end_date": f"{SECOND_END.isoformat()}T00:00:00Z",
        "concurrency": 1,  # one window at a time: the fault hits one day
        "max_retries": 0,
    }


@pytest.mark.parametrize(
    "mode",
    [
        "records",
        "batch",
    ],
)
def test_a_failed_run_saves_no_bookmark_past_what_was_loaded(tmp_path: Path, mode: str) -> None:
    root = tmp_path / "batches"
    root.mkdir()
    simulator = start_simulator(tmp_path)
    try:
        with embedded_postgres(tmp_path / "pgdata") as postgres:
            simulator.post("/-/simulator/settings", {"faults": [FAULT]})
            project = MeltanoProject(
                home=tmp_path / "meltano",
                tap_settings={
                    **failing_run_settings(simulator),
                    "_select": [f"{FAILING_STREAM}.*"],
                    **(batch_settings(root) if mode == "batch" else {}),
                },
                target_settings={
                    "sqlalchemy_url": postgres.sqlalchemy_url,
                    "default_target_schema": SCHEMA,
                },
            )
            result = project.run("run", "tap-gitlab-duo", "target-postgres", check=False)
            assert result.returncode != 0, "the fault did not stop the run"
            saved = bookmarks(project.state(STATE_ID), FAILING_STREAM).get(("group", GROUP))
            if mode == "batch" and saved is None:
                # The fault came before the first batch file (10,000 records): nothing
                # was written, so nothing may be bookmarked. See the test below for a
                # run that fails after some files.
                return
            assert saved is not None, "the run saved no bookmark: nothing was tested"
            bookmark_day = parse_utc(saved).date()
            assert START < bookmark_day <= SECOND_END, saved
            try:
                rows = read_table(postgres, SCHEMA, FAILING_STREAM)
            except psycopg.errors.UndefinedTable:  # nothing was loaded at all
                rows = []
            truth = simulator.truth(FAILING_STREAM, ("group", GROUP), START,
                                    bookmark_day - dt.timedelta(days=1))  # fmt: skip
            want = expected(truth, FAILING_STREAM, ("group", GROUP))
            got = loaded_rows(rows, FAILING_STREAM, ("group", GROUP))
            # Every day before the saved bookmark is in the table: the next run starts
            # there (less the lookback) and would never read those days again.
            assert not want - got, (
                f"bookmark {saved} saved, but days before it are missing: {difference(want, got)}"
            )
    finally:
        simulator.stop()


def test_batch_state_never_runs_ahead_of_the_files_written(tmp_path: Path) -> None:
    """The tap alone, small batches, a fault mid-range: each STATE follows its file."""
    root = tmp_path / "batches"
    root.mkdir()
    simulator = start_simulator(tmp_path)
    try:
        simulator.post("/-/simulator/settings", {"faults": [FAULT]})
        config = {
            **failing_run_settings(simulator),
            "batch_config": {
                "encoding": {"format": "jsonl", "compression": "gzip"},
                "storage": {"root": root.as_uri(), "prefix": "batch-"},
                "batch_size": 500,
            },
        }
        run = run_tap(config, check=False, streams=(FAILING_STREAM,))
    finally:
        simulator.stop()
    assert run.returncode != 0, "the fault did not stop the run"
    assert not run.records[FAILING_STREAM], "records travel in files, not messages"
    days_in_files: set[str] = set()
    checked = 0
    for message in run.messages:
        if message["type"] == "BATCH":
            for url in message["manifest"]:
                with gzip.open(Path(url.removeprefix("file://")), "rt") as lines:
                    days_in_files |= {json.loads(line)["timestamp"][:10] for line in lines}
        if message["type"] == "STATE":
            value = bookmark_of(message["value"], FAILING_STREAM, "group", GROUP)
            if value is None:
                continue
            # Every day before the bookmark is in a file already written.
            first_open = dt.date.fromisoformat(value[:10])
            day = START
            while day < first_open:
                assert day.isoformat() in days_in_files, (value, day)
                day += dt.timedelta(days=1)
            checked += 1
    assert checked >= 2, "several files, each followed by its STATE"


def test_batch_mode_bookmarks_quiet_days(tmp_path: Path) -> None:
    """Days without records leave no batch file, and are still complete and bookmarked."""
    simulator = start_simulator(tmp_path)
    try:
        # The simulator's data covers SIM_DAYS days before SIM_END: August is quiet.
        quiet_first, quiet_last = dt.date(2026, 8, 20), dt.date(2026, 8, 22)
        config = {
            "api_url": simulator.url,
            "token": ADMIN_TOKEN,
            "group_paths": [GROUP],
            "start_date": f"{quiet_first.isoformat()}T00:00:00Z",
            "end_date": f"{quiet_last.isoformat()}T00:00:00Z",
            "batch_config": {
                "encoding": {"format": "jsonl", "compression": "gzip"},
                "storage": {"root": (tmp_path / "batches").as_uri(), "prefix": "batch-"},
            },
        }
        (tmp_path / "batches").mkdir()
        run = run_tap(config, streams=("ai_usage_events",))
    finally:
        simulator.stop()
    assert not [m for m in run.messages if m["type"] == "BATCH"]
    assert bookmark_of(run.final_state, "ai_usage_events", "group", GROUP) == (
        f"{(quiet_last + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
    )
