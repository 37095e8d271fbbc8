"""End to end: `meltano run tap-gitlab-duo target-postgres` into a real PostgreSQL.

Reuses the test helpers: `tests.support.meltano` (an isolated Meltano project on this
repository's `meltano.yml`, `meltano install` once) and `tests.support.postgres` (an
embedded PostgreSQL). `meltano install` is timed apart and not counted.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from pathlib import Path

from psycopg import sql

from benchmarks import measure
from benchmarks.programs import STREAM, tap_config
from benchmarks.scenario import REPO

SCHEMA = "benchmark"


def run_e2e(workdir: Path, url: str, first: dt.date, last: dt.date) -> dict[str, t.Any]:
    """Load days first..last of group acme-corp's `ai_usage_events`; the figures."""
    import pytest  # the helpers report failures with pytest.fail

    from tests.support.meltano import MeltanoProject, ensure_installed, meltano_executable
    from tests.support.postgres import embedded_postgres

    failure = pytest.fail.Exception
    started = time.perf_counter()
    try:
        ensure_installed()
    except failure as error:
        raise measure.RunError(f"meltano install failed: {error}") from None
    install_s = time.perf_counter() - started

    workdir.mkdir(parents=True, exist_ok=True)
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
        run = measure.run_measured(
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
        "wall_s": round(run.wall_s, 3),
        "rows_per_s": round(rows / run.wall_s, 1),
        "cpu_s": round(run.cpu_s, 3),
        "install_s": round(install_s, 3),
    }
