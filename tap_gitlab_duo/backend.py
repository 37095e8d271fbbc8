"""Which store serves a scope's Duo data: ClickHouse, or PostgreSQL.

GitLab reads Duo events from ClickHouse where it is enabled for analytics (GitLab.com,
Dedicated, some self-managed instances) and from PostgreSQL otherwise. The two differ in
what a client must do: ClickHouse pages on a key that is not unique (rows tied with the
last row of a full page can be skipped), PostgreSQL keeps three months of events.
``aiMetrics`` is served only from ClickHouse, so whether it is null tells them apart.
"""

from __future__ import annotations

import base64
import json
import typing as t

import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_gitlab_duo.graphql_response import StreamUnavailableError
from tap_gitlab_duo.scopes import INSTANCE, Scope

if t.TYPE_CHECKING:
    import pendulum

    from tap_gitlab_duo.client import DuoStream

CLICKHOUSE = "clickhouse"
POSTGRESQL = "postgresql"
# The instance scope has no aiMetrics to ask, and a denied probe tells nothing.
UNKNOWN = "unknown"

# How long GitLab keeps raw events in PostgreSQL (monthly partitions).
POSTGRESQL_RETENTION_MONTHS = 3


def probe_backend(transport: DuoStream, scope: Scope, today: pendulum.Date) -> str:
    """One request: which store serves this scope's Duo data."""
    if scope.type == INSTANCE:
        return UNKNOWN
    try:
        operation = transport.operation(
            "scopes.graphql", f"ClickHouseProbe{scope.type.capitalize()}"
        )
    except StreamUnavailableError:
        return POSTGRESQL  # a GitLab without aiMetrics has no ClickHouse analytics
    day = today.isoformat()
    try:
        body = transport.execute(
            operation, {"fullPath": scope.path, "startDate": day, "endDate": day}
        )
    except StreamUnavailableError:
        return UNKNOWN  # aiMetrics denied to this token
    except (RetriableAPIError, requests.exceptions.RequestException):
        # GitLab kept failing: the event streams need no answer to sync (their pages
        # say which store they come from); the metric streams skip the scope with a
        # warning and keep their bookmark, and the next run asks again.
        return UNKNOWN
    found = (body.get("data") or {}).get("scope") or {}
    return CLICKHOUSE if found.get("aiMetrics") is not None else POSTGRESQL


def cursor_backend(cursor: str | None) -> str:
    """The store a page cursor comes from, when GitLab's cursor says so.

    GitLab's keyset cursors are base64 JSON of the sort key: PostgreSQL's carry the row
    ``id`` (a unique key), ClickHouse's only ``timestamp`` and ``user_id``. Anything else
    is ``UNKNOWN``, which the tap treats as possibly tied.
    """
    if not cursor:
        return UNKNOWN
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return UNKNOWN
    if not isinstance(decoded, dict):
        return UNKNOWN
    if "id" in decoded:
        return POSTGRESQL
    if "user_id" in decoded:
        return CLICKHOUSE
    return UNKNOWN
