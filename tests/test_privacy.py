"""Privacy mode: people become keyed pseudonyms in every stream, before keys are made."""

from __future__ import annotations

import json
import typing as t
from collections import Counter
from pathlib import Path

import pendulum
import pytest
from psycopg import sql

from tap_gitlab_duo.privacy import Identity, Pseudonymizer, check_privacy
from tap_gitlab_duo.settings import check_config
from tests.expectations import STREAM_SCOPES, row
from tests.simulator_process import ADMIN_TOKEN, SimulatorProcess, shared_simulator
from tests.support.meltano import MeltanoProject
from tests.support.postgres import embedded_postgres
from tests.tap_runner import ALL_STREAMS, TapRun, base_config, run_tap

KEY = "privacy-test-key-0123456789abcdef"
START, END = "2026-10-05", "2026-10-06"


# --- the pseudonyms -----------------------------------------------------------------


def test_a_person_gets_one_pseudonym_per_key_whatever_their_username() -> None:
    people = Pseudonymizer(KEY)
    user_id, username = people.person(42, "ada")
    assert people.person(42, "ada.renamed") == (user_id, username)
    assert user_id is not None
    assert 0 < user_id < 2**53
    assert username is not None
    assert username.startswith("user-")
    assert "ada" not in username
    assert Pseudonymizer("another-key-0123456789").person(42, "ada") != (user_id, username)
    assert people.person(43, "ada") != (user_id, username)


def test_users_without_an_id_are_told_apart_by_username_and_nobody_stays_nobody() -> None:
    people = Pseudonymizer(KEY)
    assert people.person(None, "ghost") != people.person(None, "other")
    assert people.person(None, None) == (None, None)


def test_pseudonyms_of_many_users_do_not_collide() -> None:
    people = Pseudonymizer(KEY)
    ids = {people.person(n, None)[0] for n in range(100_000)}
    assert len(ids) == 100_000


def test_without_privacy_mode_people_stay_as_gitlab_names_them() -> None:
    assert Identity().person(42, "ada") == (42, "ada")


@pytest.mark.parametrize("key", [None, "", "short"])
def test_privacy_mode_needs_a_real_secret(key: str | None) -> None:
    config = {"pseudonymize_users": True, "pseudonymization_key": key}
    [error] = check_privacy(config)
    assert "'pseudonymization_key'" in error
    assert "16 characters" in error
    full = {"token": "x", "group_paths": ["g"], **config}
    assert error in check_config(full, now=pendulum.now("UTC"))


def test_the_key_is_not_checked_when_privacy_mode_is_off() -> None:
    assert check_privacy({"pseudonymization_key": "short"}) == []


# --- a whole sync in privacy mode ---------------------------------------------------


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


def privacy_sync(simulator: SimulatorProcess, key: str = KEY) -> tuple[TapRun, str]:
    config = base_config(
        simulator,
        start_date=f"{START}T00:00:00Z",
        end_date=f"{END}T00:00:00Z",
        pseudonymize_users=True,
        pseudonymization_key=key,
    )
    run = run_tap(config, streams=ALL_STREAMS)
    return run, json.dumps(run.messages) + run.stderr


@pytest.fixture(scope="module")
def private_run(simulator: SimulatorProcess) -> tuple[TapRun, str]:
    return privacy_sync(simulator)


def real_people(simulator: SimulatorProcess) -> tuple[set[str], set[str]]:
    """Usernames and display names of everyone the synced data mentions."""
    usernames: set[str] = set()
    for scope_type, scope_path in STREAM_SCOPES["ai_usage_events"]:
        usernames |= {e["username"] for e in simulator.truth(scope_type, scope_path, START, END)}
    # Display names come only with seats: read them as a sync without privacy does.
    plain = run_tap(base_config(simulator), streams=("duo_seat_assignments",))
    seats = plain.records["duo_seat_assignments"]
    usernames |= {s["username"] for s in seats}
    names = {s["name"] for s in seats if s["name"]}
    return usernames, names


def test_no_username_name_or_key_leaves_the_tap(
    simulator: SimulatorProcess, private_run: tuple[TapRun, str]
) -> None:
    run, output = private_run
    usernames, names = real_people(simulator)
    assert len(usernames) > 10
    assert names
    assert all(run.records[stream] for stream in ALL_STREAMS), "every stream synced"
    # Quoted, as JSON writes them: a short username could be part of a pseudonym.
    leaked = {u for u in usernames if json.dumps(u) in output}
    assert not leaked
    assert not {n for n in names if n in output}
    assert KEY not in output
    assert all(r["name"] is None for r in run.records["duo_seat_assignments"])


def test_every_event_is_there_under_its_pseudonym(
    simulator: SimulatorProcess, private_run: tuple[TapRun, str]
) -> None:
    run, _ = private_run
    people = Pseudonymizer(KEY)
    for stream, scopes in STREAM_SCOPES.items():
        for scope_type, scope_path in scopes:
            kind = "code_suggestions" if stream == "code_suggestion_events" else "all"
            truth = simulator.truth(scope_type, scope_path, START, END, kind=kind)
            want: Counter[tuple[t.Any, ...]] = Counter()
            for event in truth:
                user_id, username = people.person(event["user_id"], event["username"])
                want[
                    row(stream, scope_type, {**event, "user_id": user_id, "username": username})
                ] += 1
            got = Counter(
                row(stream, scope_type, r)
                for r in run.records[stream]
                if (r["scope_type"], r["scope_path"]) == (scope_type, scope_path)
            )
            assert got == want, (stream, scope_type)


def test_one_person_has_one_pseudonym_across_streams(
    simulator: SimulatorProcess, private_run: tuple[TapRun, str]
) -> None:
    run, _ = private_run
    people = Pseudonymizer(KEY)
    event_users = {
        (r["user_id"], r["username"])
        for r in run.records["ai_usage_events"]
        if r["scope_type"] == "group"
    }
    metric_users = {
        (r["user_id"], r["username"])
        for r in run.records["ai_user_metrics"]
        if r["scope_type"] == "group" and r["user_id"] != 0
    }
    assert metric_users
    assert metric_users <= event_users
    seats = simulator.control("GET", "truth/seats", params={"scope": "acme-corp"})["seats"]
    want_seats = {people.person(s["user_id"], s["username"]) for s in seats}
    got_seats = {
        (r["user_id"], r["username"])
        for r in run.records["duo_seat_assignments"]
        if r["scope_path"] == "acme-corp"
    }
    assert got_seats == want_seats


def test_event_keys_are_stable_per_key_and_reveal_nobody(
    simulator: SimulatorProcess, private_run: tuple[TapRun, str]
) -> None:
    run, _ = private_run

    def keys(of: TapRun) -> set[str]:
        return {r["event_key"] for r in of.records["ai_usage_events"]}

    again, _ = privacy_sync(simulator)
    assert keys(again) == keys(run), "a re-read day keeps its keys"
    plain = run_tap(
        base_config(simulator, start_date=f"{START}T00:00:00Z", end_date=f"{END}T00:00:00Z")
    )
    # Keys are made from the pseudonyms, so a key cannot be matched with a known user.
    assert not keys(plain) & keys(run)
    assert len(keys(plain)) == len(keys(run))


def test_through_meltano_no_table_holds_a_real_user(
    simulator: SimulatorProcess, tmp_path: Path
) -> None:
    usernames, names = real_people(simulator)
    with embedded_postgres(tmp_path / "pgdata") as postgres:
        project = MeltanoProject(
            home=tmp_path / "meltano",
            tap_settings={
                "api_url": simulator.url,
                "token": ADMIN_TOKEN,
                "group_paths": ["acme-corp"],
                "start_date": f"{START}T00:00:00Z",
                "end_date": f"{END}T00:00:00Z",
                "pseudonymize_users": True,
                "pseudonymization_key": KEY,
                "_select": [f"{stream}.*" for stream in ALL_STREAMS],
            },
            target_settings={
                "sqlalchemy_url": postgres.sqlalchemy_url,
                "default_target_schema": "private",
            },
        )
        project.run("run", "tap-gitlab-duo", "target-postgres")
        with postgres.connect() as connection:
            tables = {
                table: connection.execute(
                    sql.SQL("SELECT to_jsonb(t)::text FROM private.{} t").format(
                        sql.Identifier(table)
                    )
                ).fetchall()
                for table in ALL_STREAMS
            }
    text = "\n".join(row[0] for rows in tables.values() for row in rows)
    assert all(tables.values()), "every stream loaded"
    assert not {u for u in usernames if json.dumps(u) in text}
    assert not {n for n in names if n in text}
    assert KEY not in text
