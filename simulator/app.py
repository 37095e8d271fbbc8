"""The simulator: one organisation, its events, the GraphQL API and the control API."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from types import TracebackType
from typing import Any

from simulator.auth import Viewer
from simulator.config import SimulatorConfig
from simulator.dataset import Dataset, DatasetSpec
from simulator.echo import EchoLog
from simulator.events import CODE_SUGGESTION_EVENTS
from simulator.finders import NaivePages, naive_pages, retention_start, visible_event_types
from simulator.graphql_api import GraphQLService, build_gitlab_schema
from simulator.late_events import generate_late_events, parse_event
from simulator.metrics_truth import truth_ai_metrics, truth_ai_user_metrics, truth_seats
from simulator.org import Organisation, build_organisation
from simulator.rate_limiter import SlidingWindowLimiter
from simulator.request_context import RequestContext
from simulator.schema_versions import tracked_events
from simulator.scopes import Scope, ScopeType, namespace_filter
from simulator.seats import AddOnPurchase, SeatLedger
from simulator.server import SimulatorHTTPServer
from simulator.settings import RuntimeSettings, SchemaVersion
from simulator.stats import RequestStats
from simulator.store import EventStore
from simulator.truth import TruthKind, truth_events
from simulator.user_activity import UserActivity


class Simulator:
    """A local GitLab for Duo usage analytics, over real HTTP.

    >>> with Simulator(SimulatorConfig(events_per_day=200)) as sim:
    ...     url = sim.url  # POST GraphQL to f"{url}/api/graphql"
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.org: Organisation = build_organisation()
        self.dataset = Dataset(
            DatasetSpec(
                seed=self.config.seed,
                end_date=self.config.resolved_end_date(),
                days=self.config.days,
                events_per_day=self.config.events_per_day,
            ),
            self.org,
        )
        self.store = EventStore(self.dataset, cached_events=self.config.cached_events)
        self.settings = RuntimeSettings()
        self.settings.update(self.config.initial_settings())
        self.seats = SeatLedger(self.org)
        self.activity = UserActivity(self.store)
        self.stats = RequestStats()
        self.rate_limiter = SlidingWindowLimiter()
        self.echo_log = EchoLog()
        self._graphql: dict[SchemaVersion, GraphQLService] = {}
        self._graphql_lock = threading.Lock()
        self.graphql_for(self.settings.schema_version)  # ready before the first request
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Listen on the configured address and serve from a background thread."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._server = SimulatorHTTPServer((self.config.host, self.config.port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="gitlab-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the instance, what the tap's `api_url` is set to."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/api/graphql"

    # -- requests -----------------------------------------------------------------------------

    def graphql_for(self, version: SchemaVersion) -> GraphQLService:
        """The GraphQL service of a GitLab version's schema (built once, on first use)."""
        with self._graphql_lock:
            service = self._graphql.get(version)
            if service is None:
                service = self._graphql[version] = GraphQLService(build_gitlab_schema(version))
            return service

    @property
    def graphql(self) -> GraphQLService:
        """The GraphQL service of the schema version currently served."""
        return self.graphql_for(self.settings.schema_version)

    @property
    def today(self) -> date:
        """ "Today" by the simulator's clock (UTC): date defaults and retention follow it."""
        return self.config.clock().date()

    def retained_from(self) -> date | None:
        """The first day the PostgreSQL event store still holds (None: no retention)."""
        return retention_start(self.today, self.settings.retention_months)

    def tracked_events(self) -> frozenset[str] | None:
        """The events the served GitLab version tracked; None: all of them."""
        return tracked_events(self.settings.schema_version)

    def viewer_for(self, token: str | None) -> Viewer | None:
        """The caller a token stands for; None for a token GitLab would reject."""
        if token is None:
            return Viewer()
        grant = self.config.tokens.get(token)
        return Viewer(grant) if grant is not None else None

    def request_context(self, viewer: Viewer, base_url: str) -> RequestContext:
        return RequestContext(
            viewer=viewer,
            org=self.org,
            store=self.store,
            settings=self.settings,
            today=self.today,
            base_url=base_url,
            seats=self.seats,
            activity=self.activity,
            tracked_events=self.tracked_events(),
        )

    # -- ground truth and late data -----------------------------------------------------------

    def truth(
        self,
        scope_type: ScopeType,
        scope_path: str = "",
        start: date | None = None,
        end: date | None = None,
        kind: TruthKind = "all",
    ) -> list[dict[str, Any]]:
        """Every event of the scope dated start..end (UTC, inclusive), as the API shows it.

        It follows the settings in force: on the `clickhouse` event backend the collapsed
        rows in ClickHouse's order, on `postgresql` what the retention leaves, and only the
        events the served schema version tracked.
        """
        first, last = self.store.data_days()
        return truth_events(
            self.org,
            self.store,
            Scope(scope_type, scope_path),
            start or first,
            end or last,
            kind,
            backend=self.settings.event_backend,
            retained_from=self.retained_from(),
            tracked_events=self.tracked_events(),
        )

    def naive_pages(
        self,
        scope_type: ScopeType,
        scope_path: str,
        day: date,
        kind: TruthKind = "all",
        first: int = 100,
        user_id: int | None = None,
    ) -> NaivePages:
        """What paging `day` of a scope with `first`/`after` alone gets on the current backend.

        The rows of the day (the ground truth, in the backend's order), the rows each page
        brought and the rows none brought (on ClickHouse, ties at page boundaries).
        """
        scope = Scope(scope_type, scope_path)
        if kind == "code_suggestions" and scope.type == "instance":
            raise ValueError("the instance endpoint has no codeSuggestionEvents")
        settings = self.settings
        return naive_pages(
            self.store,
            namespace_filter(self.org, scope),
            day,
            backend=settings.event_backend,
            end_date_mode=settings.end_date_mode,
            today=self.today,
            first=first,
            event_types=visible_event_types(
                CODE_SUGGESTION_EVENTS if kind == "code_suggestions" else None,
                self.tracked_events(),
            ),
            user_ids=frozenset({user_id}) if user_id is not None else None,
            retained_from=self.retained_from(),
        )

    def truth_ai_user_metrics(
        self,
        scope_type: ScopeType,
        scope_path: str,
        start: date | None = None,
        end: date | None = None,
    ) -> list[dict[str, Any]]:
        """The `aiUserMetrics` nodes of a group or project for start..end, by user id."""
        first, last = self.store.data_days()
        scope = Scope(scope_type, scope_path)
        return truth_ai_user_metrics(
            self.org, self.store, scope, start or first, end or last, self.tracked_events()
        )

    def truth_ai_metrics(
        self,
        scope_type: ScopeType,
        scope_path: str,
        start: date | None = None,
        end: date | None = None,
    ) -> dict[str, Any]:
        """The `aiMetrics` object of a group or project for start..end, default arguments."""
        first, last = self.store.data_days()
        scope = Scope(scope_type, scope_path)
        return truth_ai_metrics(
            self.org, self.store, scope, start or first, end or last, self.tracked_events()
        )

    def truth_seats(self, scope: str) -> list[dict[str, Any]]:
        """One entry per purchase of `scope` (a root group, "" for the instance) and user."""
        return truth_seats(self.seats, self.activity, scope)

    def set_seat(
        self, scope: str, add_on_type: str, username: str, assigned: bool
    ) -> AddOnPurchase:
        """Assign or revoke a seat, as an Owner does in GitLab's seat management page."""
        return self.seats.set_assigned(scope, add_on_type, username, assigned)

    def add_events(self, events: Iterable[object]) -> int:
        """Append events given as control-API objects; all are checked before any is stored."""
        raw = [parse_event(self.org, item) for item in events]
        return self.store.add(raw)

    def add_late_events(self, count: int, days_back: int, seed: int = 0) -> int:
        """Append `count` realistic late events within the `days_back` days before end_date."""
        return self.store.add(
            generate_late_events(self.dataset, self.store, count, days_back, seed)
        )
