"""Part 3: `meltano run tap-gitlab-duo target-postgres` into a real PostgreSQL.

Reuses the test helpers: `tests.support.meltano` (an isolated Meltano project on this
repository's `meltano.yml`, `meltano install` at most once) and `tests.support.postgres`
(an embedded PostgreSQL). `meltano install` is timed apart and not counted.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from pathlib import Path

from psycopg import sql

from benchmarks import measure, report
from benchmarks.programs import STREAM, tap_config
from benchmarks.report import Row
from benchmarks.scenario import REPO
from benchmarks.session import Session, note, out

SCHEMA = "benchmark"


def run(session: Session) -> Row:
    args = session.args
    size = session.size(args.events)
    with session.simulator("e2e", size, args.latency_ms) as sim:
        expected = sim.count_group_events(size.first_date, size.end_date)
        figures = load(session.workdir / "e2e", sim.url, size.first_date, size.end_date)
    if figures["rows_loaded"] != expected:
        session.errors.append(
            f"meltano run loaded {figures['rows_loaded']:,} rows; the simulator holds {expected:,}"
        )
    out(
        f"\n3. End to end: meltano run tap-gitlab-duo target-postgres (latency "
        f"{args.latency_ms} ms, the data of part 1)"
    )
    out()
    headers = ["rows loaded", "wall s", "rows/s", "CPU s (all processes)", "meltano install s"]
    cells = [
        report.fmt(figures["rows_loaded"]),
        report.fmt(figures["wall_s"]),
        report.fmt(figures["rows_per_s"], 0),
        report.fmt(figures["cpu_s"]),
        report.fmt(figures["install_s"]) + " (not counted)",
    ]
    out(report.table(headers, [cells]))
    return {"latency_ms": args.latency_ms, "records_expected": expected, **figures}


def load(workdir: Path, url: str, first: dt.date, last: dt.date) -> dict[str, t.Any]:
    """Load days first..last of group acme-corp's `ai_usage_events`; the figures."""
    import pytest  # the helpers report their failures with pytest.fail

    from tests.support.meltano import MeltanoProject, ensure_installed, meltano_executable
    from tests.support.postgres import embedded_postgres

    note("meltano install (skipped when the plugins are current)")
    started = time.perf_counter()
    try:
        ensure_installed()
    except pytest.fail.Exception as error:
        raise measure.RunError(f"meltano install failed: {error}") from None
    install_s = time.perf_counter() - started

    workdir.mkdir(parents=True, exist_ok=True)
    note("starting PostgreSQL")
    with embedded_postgres(workdir / "pgdata") as postgres:
        project = MeltanoProject(
            home=workdir / "meltano",
            tap_settings={**tap_config(url, first, last), "_select": [f"{STREAM}.*"]},
            target_settings={
                "sqlalchemy_url": postgres.sqlalchemy_url,
                "default_target_schema": SCHEMA,
            },
        )
        argv: list[str | Path] = [
            meltano_executable(),
            "--environment",
            project.environment,
            "--env-file",
            project.env_file,
            "run",
            "tap-gitlab-duo",
            "target-postgres",
        ]
        note("running meltano run tap-gitlab-duo target-postgres")
        finished = measure.run_measured(
            argv,
            cwd=REPO,
            env=project.env(),
            stdout=workdir / "meltano.stdout",
            stderr=workdir / "meltano.stderr",
        )
        with postgres.connect() as connection:
            query = sql.SQL("select count(*) from {}.{}").format(
                sql.Identifier(SCHEMA), sql.Identifier(STREAM)
            )
            row = connection.execute(query).fetchone()
    rows = int(row[0]) if row else 0
    return {
        "rows_loaded": rows,
        "wall_s": round(finished.wall_s, 3),
        "rows_per_s": round(rows / finished.wall_s, 1),
        "cpu_s": round(finished.cpu_s, 3),
        "install_s": round(install_s, 3),
    }
