"""Resolvers of the ClickHouse metrics of groups and projects: `aiUserMetrics`, `aiMetrics`.

Both check, in GitLab's order: the caller's permission (Reporter or above; otherwise the
resource-not-available error on the field), the date range (under a year), then whether
ClickHouse is there (without it, empty `nodes` and a null `aiMetrics`, silently).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from graphql import GraphQLResolveInfo

from simulator.ai_metrics import AgentPlatformReport, AiMetricsReport
from simulator.cursor_paging import CursorPage, empty_page, keyset_page, offset_page
from simulator.date_window import metrics_dates
from simulator.errors import ResourceNotAvailableError
from simulator.features import count_fields
from simulator.org import Namespace
from simulator.request_context import RequestContext, context_of
from simulator.scopes import Scope, namespace_filter, scope_events
from simulator.user_metrics import UserMetricsNode, user_metrics_nodes, user_metrics_order

Resolver = Callable[..., Any]


def _metrics_days(
    context: RequestContext, allowed: bool, arguments: dict[str, Any]
) -> tuple[date, date]:
    if not allowed:
        raise ResourceNotAvailableError
    return metrics_dates(arguments.get("startDate"), arguments.get("endDate"), context.today)


def resolve_ai_user_metrics(
    namespace: Namespace, info: GraphQLResolveInfo, **arguments: Any
) -> CursorPage[UserMetricsNode]:
    context = context_of(info)
    allowed = context.viewer.can_read_ai_usage(namespace)
    start, end = _metrics_days(context, allowed, arguments)
    if not context.settings.clickhouse:
        return empty_page()
    scope = Scope(namespace.kind, namespace.full_path)
    events = scope_events(context.org, context.store, scope, start, end, context.tracked_events)
    order = user_metrics_order(arguments.get("sort"))
    nodes = sorted(user_metrics_nodes(context.org, events), key=order.key)
    return keyset_page(
        nodes,
        order.key,
        order.names,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
    )


def resolve_ai_metrics(
    namespace: Namespace, info: GraphQLResolveInfo, **arguments: Any
) -> AiMetricsReport | None:
    context = context_of(info)
    allowed = context.viewer.can_read_pro_ai_analytics(namespace)
    start, end = _metrics_days(context, allowed, arguments)
    if not context.settings.clickhouse:
        return None  # GitLab: "the ClickHouse data store is not available", not surfaced
    scope = Scope(namespace.kind, namespace.full_path)
    namespace_ids = namespace_filter(context.org, scope)
    assert namespace_ids is not None  # groups and projects always have a namespace set
    return AiMetricsReport(
        org=context.org,
        store=context.store,
        namespace_ids=namespace_ids,
        start=start,
        end=end,
        events=scope_events(context.org, context.store, scope, start, end, context.tracked_events),
    )


# -- AiMetrics fields ---------------------------------------------------------------------------


def resolve_agent_platform(
    report: AiMetricsReport, _info: GraphQLResolveInfo, **arguments: Any
) -> AgentPlatformReport:
    excluded = (arguments.get("not") or {}).get("flowTypes") or ()
    return report.agent_platform(arguments.get("flowTypes"), excluded)


def resolve_code_suggestions(
    report: AiMetricsReport, _info: GraphQLResolveInfo, **arguments: Any
) -> dict[str, Any]:
    return report.code_suggestions(arguments.get("ideNames"), arguments.get("languages"))


def _report_method(name: str) -> Resolver:
    def resolve(report: AiMetricsReport, _info: GraphQLResolveInfo) -> Any:
        return getattr(report, name)()

    return resolve


def _code_suggestions_field(field: str) -> Resolver:
    """The deprecated top-level Code Suggestions counts, moved to `codeSuggestions`."""

    def resolve(report: AiMetricsReport, _info: GraphQLResolveInfo) -> Any:
        return report.code_suggestions()[field]

    return resolve


AI_METRICS_FIELDS: dict[str, Resolver] = {
    "agentPlatform": resolve_agent_platform,
    "chat": _report_method("chat"),
    "codeContributorsCount": _report_method("code_contributors_count"),
    "codeReview": _report_method("code_review"),
    "codeSuggestions": resolve_code_suggestions,
    "codeSuggestionsAcceptedCount": _code_suggestions_field("acceptedCount"),
    "codeSuggestionsContributorsCount": _code_suggestions_field("contributorsCount"),
    "codeSuggestionsShownCount": _code_suggestions_field("shownCount"),
    "duoChatContributorsCount": _report_method("duo_chat_contributors_count"),
    "duoUsedCount": _report_method("duo_used_count"),
    "mcp": _report_method("mcp"),
    "rootCauseAnalysisUsersCount": _report_method("root_cause_analysis_users_count"),
    "troubleshoot": _report_method("troubleshoot"),
}


# -- agentPlatformMetrics fields ----------------------------------------------------------------


def _agent_count(field: str) -> Resolver:
    def resolve(report: AgentPlatformReport, _info: GraphQLResolveInfo) -> int:
        return report.counts[field]

    return resolve


def resolve_flow_metrics(
    report: AgentPlatformReport, _info: GraphQLResolveInfo, **arguments: Any
) -> list[dict[str, Any]]:
    return report.flow_metrics(arguments.get("sort"))


def resolve_user_flow_counts(
    report: AgentPlatformReport, _info: GraphQLResolveInfo, **arguments: Any
) -> CursorPage[dict[str, Any]]:
    return offset_page(
        report.user_flow_counts(),
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
    )


AGENT_PLATFORM_FIELDS: dict[str, Resolver] = {
    **{count.field: _agent_count(count.field) for count in count_fields("agentPlatformMetrics")},
    "flowMetrics": resolve_flow_metrics,
    "userFlowCounts": resolve_user_flow_counts,
}
