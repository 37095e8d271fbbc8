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
from simulator.graphql_api import GraphQLService
from simulator.late_events import generate_late_events, parse_event
from simulator.metrics_truth import truth_ai_metrics, truth_ai_user_metrics, truth_seats
from simulator.org import Organisation, build_organisation
from simulator.rate_limiter import SlidingWindowLimiter
from simulator.request_context import RequestContext
from simulator.scopes import Scope, ScopeType
from simulator.seats import AddOnPurchase, SeatLedger
from simulator.server import SimulatorHTTPServer
from simulator.settings import RuntimeSettings
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
        self.graphql = GraphQLService()
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
            today=self.config.clock().date(),
            base_url=base_url,
            seats=self.seats,
            activity=self.activity,
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
        """Every event of the scope dated start..end (UTC, inclusive), as the API shows it."""
        first, last = self.store.data_days()
        return truth_events(
            self.org,
            self.store,
            Scope(scope_type, scope_path),
            start or first,
            end or last,
            kind,
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
        return truth_ai_user_metrics(self.org, self.store, scope, start or first, end or last)

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
        return truth_ai_metrics(self.org, self.store, scope, start or first, end or last)

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
