"""What every resolver of one request may use: the caller, the data and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from graphql import GraphQLResolveInfo

from simulator.auth import Viewer
from simulator.org import Organisation
from simulator.seats import SeatLedger
from simulator.settings import RuntimeSettings
from simulator.store import EventStore
from simulator.user_activity import UserActivity


@dataclass(frozen=True)
class RequestContext:
    """The `context_value` of one GraphQL execution."""

    viewer: Viewer
    org: Organisation
    store: EventStore
    settings: RuntimeSettings
    today: date  # UTC; defaults of date arguments are relative to it
    base_url: str  # for webUrl, as GitLab renders absolute URLs
    seats: SeatLedger
    activity: UserActivity
    # Events the served GitLab version tracked (`schema_versions.tracked_events`); None: all.
    tracked_events: frozenset[str] | None = None


def context_of(info: GraphQLResolveInfo) -> RequestContext:
    context = info.context
    assert isinstance(context, RequestContext)
    return context
