"""Ground truth of the aggregates: what `aiUserMetrics`, `aiMetrics` and seats answer.

Computed by the code the resolvers run, over whole UTC days (inclusive), ignoring who
asks and whether ClickHouse is on. Objects are GraphQL-shaped (camelCase fields, dates as
ISO strings) with every user given as `{"id": <global id>, "username": ...}`. Deprecated
fields (aliases of current ones) are included, as older GitLab versions had only those.
`agentPlatform.userFlowCounts`, a connection, is given as `{"nodes": [...]}` with every
node of every page, in the order GitLab pages them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from simulator.ai_metrics import AiMetricsReport
from simulator.org import Organisation, User
from simulator.scopes import Scope, namespace_filter, scope_events
from simulator.seats import INSTANCE_SCOPE, SeatLedger
from simulator.store import EventStore
from simulator.user_activity import UserActivity
from simulator.user_metrics import user_metrics_nodes


def as_json(value: Any) -> Any:
    """Dates as ISO strings and users as `{"id", "username"}`, recursively."""
    if isinstance(value, User):
        return {"id": value.global_id, "username": value.username}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


def _namespace_scope(org: Organisation, scope: Scope) -> frozenset[int]:
    if scope.type == "instance":
        raise ValueError("aiUserMetrics and aiMetrics exist for groups and projects only")
    namespace_ids = namespace_filter(org, scope)  # raises UnknownScopeError
    assert namespace_ids is not None
    return namespace_ids


def truth_ai_user_metrics(
    org: Organisation,
    store: EventStore,
    scope: Scope,
    start: date,
    end: date,
    event_types: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The `aiUserMetrics` nodes of the scope for `start`..`end`, by user id.

    `event_types`: the events the served GitLab version tracked (None: all).
    """
    _namespace_scope(org, scope)
    events = scope_events(org, store, scope, start, end, event_types)
    return [as_json(node) for node in user_metrics_nodes(org, events)]


def truth_ai_metrics(
    org: Organisation,
    store: EventStore,
    scope: Scope,
    start: date,
    end: date,
    event_types: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The `aiMetrics` object of the scope for `start`..`end`, with default arguments."""
    report = AiMetricsReport(
        org=org,
        store=store,
        namespace_ids=_namespace_scope(org, scope),
        start=start,
        end=end,
        events=scope_events(org, store, scope, start, end, event_types),
    )
    metrics = report.as_object()
    # A client that reads the connection to its end gets these nodes, whatever its pages.
    metrics["agentPlatform"]["userFlowCounts"] = {
        "nodes": report.agent_platform().user_flow_counts()
    }
    result: dict[str, Any] = as_json(metrics)
    return result


def truth_seats(ledger: SeatLedger, activity: UserActivity, scope: str) -> list[dict[str, Any]]:
    """One entry per purchase of the scope and eligible user, by add-on type and user id."""
    roots = {n.root_path for n in ledger.org.namespaces}
    if scope != INSTANCE_SCOPE and scope not in roots:
        raise ValueError(f"scope must be a root group ({', '.join(sorted(roots))}) or empty")
    entries = []
    for purchase in sorted(ledger.purchases_of(scope), key=lambda p: p.add_on_type):
        assigned_quantity = ledger.assigned_quantity(purchase)
        for user in ledger.eligible_users(scope):
            last_duo = activity.last_duo_activity_on(user.id)
            entries.append(
                {
                    "add_on_type": purchase.add_on_type,
                    "add_on_purchase_id": purchase.global_id,
                    "purchased_quantity": purchase.purchased_quantity,
                    "assigned_quantity": assigned_quantity,
                    "user_id": user.id,
                    "user_global_id": user.global_id,
                    "username": user.username,
                    "name": user.name,
                    "state": user.state,
                    "bot": user.bot,
                    "assigned": ledger.is_assigned(purchase, user.id),
                    "last_activity_on": activity.last_activity_on(user).isoformat(),
                    "last_duo_activity_on": last_duo.isoformat() if last_duo else None,
                }
            )
    return entries
