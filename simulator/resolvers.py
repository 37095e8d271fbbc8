"""Resolvers that give `schema.graphql` GitLab's behaviour.

Each resolver is a plain function `(source, info, **arguments)`; `RESOLVERS` maps
`(type, field)` to it and `bind_resolvers` attaches them to the schema built from the SDL.
Fields without a resolver use graphql-core's default (an attribute or key of the source, or
null), which is what GitLab answers for features the simulator does not serve. The metrics
resolvers live in `metric_resolvers`, the seat resolvers in `seat_resolvers`; a new field
is a function there (or here) and a row below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from simulator.cursor_paging import CursorEdge, CursorPage
from simulator.date_window import events_window
from simulator.events import CODE_SUGGESTION_EVENTS, UsageEvent
from simulator.finders import KEYSETS, finder_window, retention_start, visible_event_types
from simulator.metric_resolvers import (
    AGENT_PLATFORM_FIELDS,
    AI_METRICS_FIELDS,
    resolve_ai_metrics,
    resolve_ai_user_metrics,
)
from simulator.org import Namespace, User
from simulator.paging import Page, paginate
from simulator.request_context import context_of
from simulator.scopes import Scope, namespace_filter
from simulator.seat_resolvers import (
    ADD_ON_PURCHASE_FIELDS,
    resolve_add_on_assignments,
    resolve_add_on_eligible_users,
    resolve_add_on_purchases,
    resolve_assignment_purchase,
    resolve_count,
    resolve_last_activity_on,
    resolve_last_duo_activity_on,
    resolve_self_managed_add_on_eligible_users,
)
from simulator.store import EventFilter

Resolver = Callable[..., Any]


@dataclass(frozen=True)
class UsageData:
    """The source of `AiUsageData` / `AiInstanceUsageData`: whose events they read."""

    scope: Scope
    namespace_ids: frozenset[int] | None


class Edge(NamedTuple):
    cursor: str
    node: UsageEvent


# -- entry points -------------------------------------------------------------------------------


def resolve_group(_root: object, info: GraphQLResolveInfo, **arguments: Any) -> Namespace | None:
    context = context_of(info)
    group = context.org.group(arguments["fullPath"])
    # Missing and not visible look the same: null, no error.
    return group if group is not None and context.viewer.can_see(group) else None


def resolve_project(_root: object, info: GraphQLResolveInfo, **arguments: Any) -> Namespace | None:
    context = context_of(info)
    project = context.org.project(arguments["fullPath"])
    return project if project is not None and context.viewer.can_see(project) else None


def resolve_query_complexity(root: object, _info: GraphQLResolveInfo) -> dict[str, int] | None:
    """`Query.queryComplexity`: this query's score and the caller's limit (`complexity`)."""
    score, limit = getattr(root, "score", None), getattr(root, "limit", None)
    if not isinstance(score, int) or not isinstance(limit, int):
        return None
    return {"limit": limit, "score": score}


def resolve_instance_usage_data(_root: object, info: GraphQLResolveInfo) -> UsageData | None:
    # Authorized against the global policy: administrators only, others get a silent null.
    if not context_of(info).viewer.is_admin:
        return None
    return UsageData(scope=Scope("instance"), namespace_ids=None)


# -- groups and projects ------------------------------------------------------------------------


def resolve_namespace_usage_data(
    namespace: Namespace, info: GraphQLResolveInfo
) -> UsageData | None:
    context = context_of(info)
    if not context.viewer.can_read_ai_usage(namespace):
        return None  # GitLab: null without an error message
    scope = Scope(namespace.kind, namespace.full_path)
    return UsageData(scope=scope, namespace_ids=namespace_filter(context.org, scope))


def resolve_global_id(source: Namespace | User, _info: GraphQLResolveInfo) -> str:
    return source.global_id


def resolve_full_path(namespace: Namespace, _info: GraphQLResolveInfo) -> str:
    return namespace.full_path


# -- event connections --------------------------------------------------------------------------


def _events_page(
    usage: UsageData,
    info: GraphQLResolveInfo,
    event_types: frozenset[str] | None,
    arguments: Mapping[str, Any],
) -> Page:
    context = context_of(info)
    settings = context.settings
    backend = settings.event_backend
    window = finder_window(
        events_window(
            arguments.get("startDate"),
            arguments.get("endDate"),
            today=context.today,
            end_date_mode=settings.end_date_mode,
        ),
        backend,
        retention_start(context.today, settings.retention_months),
    )
    user_ids = arguments.get("userIds")
    rows = context.store.select(
        EventFilter(
            start_ms=window.start_ms,
            end_ms=window.end_ms,
            namespace_ids=usage.namespace_ids,
            event_types=visible_event_types(event_types, context.tracked_events),
            user_ids=frozenset(user_ids) if user_ids else None,  # [] filters nothing, as in Ruby
        ),
        backend,
    )
    return paginate(
        rows,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
        keyset=KEYSETS[backend],
    )


def resolve_all_events(usage: UsageData, info: GraphQLResolveInfo, **arguments: Any) -> Page:
    events = arguments.get("events")
    return _events_page(usage, info, frozenset(events) if events else None, arguments)


def resolve_code_suggestion_events(
    usage: UsageData, info: GraphQLResolveInfo, **arguments: Any
) -> Page:
    # The resolver replaces the caller's `events` with the Code Suggestions events.
    return _events_page(usage, info, CODE_SUGGESTION_EVENTS, arguments)


def resolve_nodes(page: Page, _info: GraphQLResolveInfo) -> list[UsageEvent]:
    return list(page.rows)


def resolve_edges(page: Page, _info: GraphQLResolveInfo) -> list[Edge]:
    return [Edge(cursor=page.cursor_for(row), node=row) for row in page.rows]


def resolve_page_info(page: Page, _info: GraphQLResolveInfo) -> Page:
    return page


# -- events -------------------------------------------------------------------------------------


def resolve_event_type(event: UsageEvent, _info: GraphQLResolveInfo) -> str:
    return event.event


def resolve_event_timestamp(event: UsageEvent, _info: GraphQLResolveInfo) -> datetime:
    return datetime.fromtimestamp(event.timestamp_ms / 1000, tz=timezone.utc)


def resolve_event_user(event: UsageEvent, info: GraphQLResolveInfo) -> User:
    return context_of(info).org.user_by_id[event.user_id]


def _extra(key: str) -> Resolver:
    def resolve(event: UsageEvent, _info: GraphQLResolveInfo) -> object | None:
        return event.extras_value(key)

    return resolve


def resolve_event_extras(event: UsageEvent, _info: GraphQLResolveInfo) -> dict[str, object]:
    return event.extras()


def resolve_namespace_path(event: UsageEvent, info: GraphQLResolveInfo) -> str | None:
    if event.namespace_id is None:
        return None
    return context_of(info).org.namespace_by_id[event.namespace_id].traversal_path


# -- users --------------------------------------------------------------------------------------


def resolve_user_human(user: User, _info: GraphQLResolveInfo) -> bool:
    return not user.bot


def resolve_user_web_url(user: User, info: GraphQLResolveInfo) -> str:
    return f"{context_of(info).base_url}/{user.username}"


def resolve_user_avatar_url(user: User, _info: GraphQLResolveInfo) -> str:
    # GitLab falls back to Gravatar for users without an uploaded avatar.
    digest = hashlib.sha256(f"{user.username}@acme.example".encode()).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?s=80&d=identicon"


def resolve_user_created_at(user: User, _info: GraphQLResolveInfo) -> datetime:
    return user.created_at


# -- connections of other rows (metrics, seats) ---------------------------------------------------


def resolve_page_nodes(page: CursorPage[Any], _info: GraphQLResolveInfo) -> list[Any]:
    return list(page.rows)


def resolve_page_edges(page: CursorPage[Any], _info: GraphQLResolveInfo) -> list[CursorEdge]:
    return page.edges()


def resolve_page_page_info(page: CursorPage[Any], _info: GraphQLResolveInfo) -> CursorPage[Any]:
    return page


# -- page info ----------------------------------------------------------------------------------

AnyPage = Page | CursorPage[Any]


def resolve_has_next_page(page: AnyPage, _info: GraphQLResolveInfo) -> bool:
    return page.has_next_page


def resolve_has_previous_page(page: AnyPage, _info: GraphQLResolveInfo) -> bool:
    return page.has_previous_page


def resolve_start_cursor(page: AnyPage, _info: GraphQLResolveInfo) -> str | None:
    return page.start_cursor


def resolve_end_cursor(page: AnyPage, _info: GraphQLResolveInfo) -> str | None:
    return page.end_cursor


_EVENT_FIELDS: dict[str, Resolver] = {
    "event": resolve_event_type,
    "timestamp": resolve_event_timestamp,
    "user": resolve_event_user,
}
_CONNECTION_FIELDS: dict[str, Resolver] = {
    "nodes": resolve_nodes,
    "edges": resolve_edges,
    "pageInfo": resolve_page_info,
}
_PAGE_FIELDS: dict[str, Resolver] = {
    "nodes": resolve_page_nodes,
    "edges": resolve_page_edges,
    "pageInfo": resolve_page_page_info,
}
_NAMESPACE_FIELDS: dict[str, Resolver] = {
    "id": resolve_global_id,
    "fullPath": resolve_full_path,
    "aiUsageData": resolve_namespace_usage_data,
    "aiUserMetrics": resolve_ai_user_metrics,
    "aiMetrics": resolve_ai_metrics,
}
_USER_FIELDS: dict[str, Resolver] = {
    "id": resolve_global_id,
    "webUrl": resolve_user_web_url,
    "lastActivityOn": resolve_last_activity_on,
}

RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "group": resolve_group,
        "project": resolve_project,
        "aiUsageData": resolve_instance_usage_data,
        "queryComplexity": resolve_query_complexity,
        "addOnPurchases": resolve_add_on_purchases,
        "selfManagedAddOnEligibleUsers": resolve_self_managed_add_on_eligible_users,
    },
    "Group": {**_NAMESPACE_FIELDS, "addOnEligibleUsers": resolve_add_on_eligible_users},
    "Project": _NAMESPACE_FIELDS,
    "AiUsageData": {
        "all": resolve_all_events,
        "codeSuggestionEvents": resolve_code_suggestion_events,
    },
    "AiInstanceUsageData": {"all": resolve_all_events},
    "AiUsageEventConnection": _CONNECTION_FIELDS,
    "CodeSuggestionEventConnection": _CONNECTION_FIELDS,
    "AiInstanceUsageEventConnection": _CONNECTION_FIELDS,
    "AiUsageEvent": _EVENT_FIELDS,
    "CodeSuggestionEvent": {
        **_EVENT_FIELDS,
        "language": _extra("language"),
        "suggestionSize": _extra("suggestion_size"),
        "uniqueTrackingId": _extra("unique_tracking_id"),
    },
    "AiInstanceUsageEvent": {
        **_EVENT_FIELDS,
        "extras": resolve_event_extras,
        "namespacePath": resolve_namespace_path,
    },
    "UserCore": {
        **_USER_FIELDS,
        "human": resolve_user_human,
        "avatarUrl": resolve_user_avatar_url,
        "createdAt": resolve_user_created_at,
    },
    # aiUserMetrics: nodes are GraphQL-shaped dicts (see user_metrics), read by default.
    "AiUserMetricsConnection": _PAGE_FIELDS,
    "AiMetrics": AI_METRICS_FIELDS,
    "agentPlatformMetrics": AGENT_PLATFORM_FIELDS,
    "AgentPlatformUserFlowCountConnection": _PAGE_FIELDS,
    # Seats
    "AddOnUserConnection": {**_PAGE_FIELDS, "count": resolve_count},
    "AddOnUser": {
        **_USER_FIELDS,
        "lastDuoActivityOn": resolve_last_duo_activity_on,
        "addOnAssignments": resolve_add_on_assignments,
    },
    "UserAddOnAssignmentConnection": _PAGE_FIELDS,
    "UserAddOnAssignment": {"addOnPurchase": resolve_assignment_purchase},
    "AddOnPurchase": ADD_ON_PURCHASE_FIELDS,
    "PageInfo": {
        "hasNextPage": resolve_has_next_page,
        "hasPreviousPage": resolve_has_previous_page,
        "startCursor": resolve_start_cursor,
        "endCursor": resolve_end_cursor,
    },
}


def bind_resolvers(
    schema: GraphQLSchema, resolvers: Mapping[str, Mapping[str, Resolver]], strict: bool = True
) -> None:
    """Attach resolvers to the SDL-built schema.

    `strict`: a name the schema lacks is a bug here. An older GitLab version's schema
    (`schema_versions`) lacks some: those resolvers are left out (`strict=False`).
    """
    for type_name, fields in resolvers.items():
        object_type = schema.type_map.get(type_name)
        if object_type is None and not strict:
            continue
        assert isinstance(object_type, GraphQLObjectType), type_name
        for field_name, resolver in fields.items():
            schema_field = object_type.fields.get(field_name)
            if schema_field is None and not strict:
                continue
            assert schema_field is not None, f"{type_name}.{field_name}"
            schema_field.resolve = resolver
