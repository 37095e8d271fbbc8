"""The control API under `/-/simulator/`: ground truth, late events, seats, stats, settings, echo.

Not part of GitLab; tests, the demo and the benchmarks use it to check and steer the
simulator. Answers are JSON; a bad request gets 400 with `{"error": "..."}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from simulator.finders import NaivePages
from simulator.late_events import InvalidEventError
from simulator.messages import Request, Response, json_response
from simulator.schema_versions import version_sdl
from simulator.scopes import SCOPE_TYPES, ScopeType, UnknownScopeError
from simulator.seats import SeatError
from simulator.settings import SCHEMA_VERSIONS, SettingsError
from simulator.truth import TRUTH_KINDS, TruthKind, pager_record

if TYPE_CHECKING:
    from simulator.app import Simulator

ControlEndpoint = Callable[["Simulator", Request], Response]


class _BadRequestError(ValueError):
    pass


def _json_body(request: Request) -> Mapping[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _BadRequestError("the body is not valid JSON") from error
    if not isinstance(body, Mapping):
        raise _BadRequestError("the body must be a JSON object")
    return body


def _date_param(request: Request, name: str) -> date | None:
    value = request.query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise _BadRequestError(f"{name} must be YYYY-MM-DD") from error


def _int_field(body: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadRequestError(f"{name} must be an integer")
    return value


def health(_simulator: Simulator, _request: Request) -> Response:
    return json_response(200, {"ok": True})


def info(simulator: Simulator, _request: Request) -> Response:
    """What this simulator holds, so a test need not hard-code it."""
    spec = simulator.dataset.spec
    retained = simulator.retained_from()
    return json_response(
        200,
        {
            "seed": spec.seed,
            "first_date": spec.first_date.isoformat(),
            "end_date": spec.end_date.isoformat(),
            "days": spec.days,
            "events_per_day": spec.events_per_day,
            "groups": [n.full_path for n in simulator.org.namespaces if n.kind == "group"],
            "projects": [n.full_path for n in simulator.org.namespaces if n.kind == "project"],
            "users": len(simulator.org.users),
            "settings": simulator.settings.as_dict(),
            "instance": {
                **simulator.settings.instance(),
                "today": simulator.today.isoformat(),
                "retained_from": retained.isoformat() if retained else None,
            },
        },
    )


def truth(simulator: Simulator, request: Request) -> Response:
    scope_type = request.query.get("scope_type", "")
    if scope_type not in SCOPE_TYPES:
        raise _BadRequestError(f"scope_type must be one of {', '.join(SCOPE_TYPES)}")
    kind = request.query.get("kind", "all")
    if kind not in TRUTH_KINDS:
        raise _BadRequestError(f"kind must be one of {', '.join(TRUTH_KINDS)}")
    try:
        events = simulator.truth(
            scope_type,  # narrowed by the check above
            "" if scope_type == "instance" else request.query.get("scope_path", ""),
            _date_param(request, "start"),
            _date_param(request, "end"),
            kind,  # narrowed by the check above
        )
    except (UnknownScopeError, ValueError) as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, {"events": events})


def _scope_param(request: Request) -> tuple[ScopeType, str]:
    scope_type = request.query.get("scope_type", "")
    for known in SCOPE_TYPES:
        if scope_type == known:
            return known, "" if known == "instance" else request.query.get("scope_path", "")
    raise _BadRequestError(f"scope_type must be one of {', '.join(SCOPE_TYPES)}")


def _kind_param(request: Request) -> TruthKind:
    kind = request.query.get("kind", "all")
    for known in TRUTH_KINDS:
        if kind == known:
            return known
    raise _BadRequestError(f"kind must be one of {', '.join(TRUTH_KINDS)}")


def _int_param(request: Request, name: str, default: int | None, minimum: int) -> int | None:
    value = request.query.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise _BadRequestError(f"{name} must be an integer") from error
    if number < minimum:
        raise _BadRequestError(f"{name} must be at least {minimum}")
    return number


def _page_summary(pages: NaivePages) -> dict[str, Any]:
    return {
        "backend": pages.backend,
        "rows": len(pages.rows),
        "requests": pages.requests,
        "skipped": len(pages.skipped),
    }


def truth_pages(simulator: Simulator, request: Request) -> Response:
    """One day of a scope paged naively: the whole truth, each page, and what was skipped."""
    scope_type, scope_path = _scope_param(request)
    kind = _kind_param(request)
    day = _date_param(request, "day")
    if day is None:
        raise _BadRequestError("day is required (YYYY-MM-DD)")
    first = _int_param(request, "first", 100, 1)
    user_id = _int_param(request, "user_id", None, 0)
    assert first is not None
    try:
        pages = simulator.naive_pages(scope_type, scope_path, day, kind, first, user_id)
    except (UnknownScopeError, ValueError) as error:
        raise _BadRequestError(str(error)) from error
    page_of = {index: number for number, page in enumerate(pages.pages) for index in page}
    rows = [
        {**pager_record(simulator.org, row), "page": page_of.get(index)}
        for index, row in enumerate(pages.rows)
    ]
    return json_response(
        200,
        {
            **_page_summary(pages),
            "day": day.isoformat(),
            "first": first,
            "truth": rows,
            "skipped_rows": [rows[index] for index in pages.skipped],
        },
    )


def truth_page_losses(simulator: Simulator, request: Request) -> Response:
    """Per day of start..end: rows, naive requests and rows skipped, for a scope."""
    scope_type, scope_path = _scope_param(request)
    kind = _kind_param(request)
    first_day, last_day = simulator.store.data_days()
    start = _date_param(request, "start") or first_day
    end = _date_param(request, "end") or last_day
    first = _int_param(request, "first", 100, 1)
    assert first is not None
    if (end - start).days > 400:
        raise _BadRequestError("at most 400 days at once")
    days = []
    day = start
    try:
        while day <= end:
            pages = simulator.naive_pages(scope_type, scope_path, day, kind, first)
            days.append({"day": day.isoformat(), **_page_summary(pages)})
            day += timedelta(days=1)
    except (UnknownScopeError, ValueError) as error:
        raise _BadRequestError(str(error)) from error
    return json_response(
        200,
        {
            "backend": simulator.settings.event_backend,
            "first": first,
            "days": days,
            "rows": sum(d["rows"] for d in days),
            "skipped": sum(d["skipped"] for d in days),
            "days_with_skips": [d["day"] for d in days if d["skipped"]],
        },
    )


def schema(simulator: Simulator, request: Request) -> Response:
    """The SDL of a schema version (default: the one served)."""
    version = request.query.get("version") or simulator.settings.schema_version
    for known in SCHEMA_VERSIONS:
        if version == known:
            return json_response(200, {"version": known, "sdl": version_sdl(known)})
    raise _BadRequestError(f"version must be one of {', '.join(SCHEMA_VERSIONS)}")


def complexity(simulator: Simulator, request: Request) -> Response:
    """Score a GraphQL request as GitLab would, without running it.

    Body: `{"query", "variables", "operationName", "token"}` (no token: anonymous). The
    schema is the version served; the limits are the token's.
    """
    body = _json_body(request)
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _BadRequestError("query must be a GraphQL document")
    variables = body.get("variables") or {}
    operation_name = body.get("operationName")
    token = body.get("token")
    if not isinstance(variables, Mapping):
        raise _BadRequestError("variables must be a JSON object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _BadRequestError("operationName must be a string")
    if token is not None and not isinstance(token, str):
        raise _BadRequestError("token must be a string")
    viewer = simulator.viewer_for(token)
    if viewer is None:
        raise _BadRequestError("unknown token")
    analysis = simulator.graphql.analyze(query, variables, viewer, operation_name)
    if analysis is None:
        raise _BadRequestError("the query does not validate, or its variables do not")
    return json_response(
        200,
        {
            "score": analysis.score,
            "depth": analysis.depth,
            "max_complexity": analysis.limits.complexity,
            "max_depth": analysis.limits.depth,
            "errors": analysis.errors(),
        },
    )


def _metrics_scope(request: Request) -> tuple[ScopeType, str]:
    scope_type = request.query.get("scope_type", "")
    if scope_type == "group":
        return "group", request.query.get("scope_path", "")
    if scope_type == "project":
        return "project", request.query.get("scope_path", "")
    raise _BadRequestError("scope_type must be group or project")


def truth_ai_user_metrics(simulator: Simulator, request: Request) -> Response:
    scope_type, scope_path = _metrics_scope(request)
    try:
        nodes = simulator.truth_ai_user_metrics(
            scope_type, scope_path, _date_param(request, "start"), _date_param(request, "end")
        )
    except (UnknownScopeError, ValueError) as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, {"nodes": nodes})


def truth_ai_metrics(simulator: Simulator, request: Request) -> Response:
    scope_type, scope_path = _metrics_scope(request)
    try:
        metrics = simulator.truth_ai_metrics(
            scope_type, scope_path, _date_param(request, "start"), _date_param(request, "end")
        )
    except (UnknownScopeError, ValueError) as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, {"metrics": metrics})


def truth_seats(simulator: Simulator, request: Request) -> Response:
    try:
        seats = simulator.truth_seats(request.query.get("scope", ""))
    except ValueError as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, {"seats": seats})


def set_seat(simulator: Simulator, request: Request) -> Response:
    """Assign (`"assigned": true`) or revoke a seat of a purchase of `scope` ("" instance)."""
    body = _json_body(request)
    scope, add_on_type, username = (body.get(name) for name in ("scope", "add_on_type", "username"))
    assigned = body.get("assigned")
    if not isinstance(scope, str) or not isinstance(add_on_type, str):
        raise _BadRequestError("scope and add_on_type must be strings")
    if not isinstance(username, str) or not isinstance(assigned, bool):
        raise _BadRequestError("username must be a string and assigned true or false")
    try:
        purchase = simulator.set_seat(scope, add_on_type, username, assigned)
    except SeatError as error:
        raise _BadRequestError(str(error)) from error
    return json_response(
        200,
        {
            "purchase_id": purchase.global_id,
            "username": username,
            "assigned": assigned,
            "purchased_quantity": purchase.purchased_quantity,
            "assigned_quantity": simulator.seats.assigned_quantity(purchase),
        },
    )


def add_events(simulator: Simulator, request: Request) -> Response:
    events = _json_body(request).get("events")
    if not isinstance(events, list):
        raise _BadRequestError("events must be a list")
    try:
        added = simulator.add_events(events)
    except InvalidEventError as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, {"added": added})


def add_late_events(simulator: Simulator, request: Request) -> Response:
    body = _json_body(request)
    count = _int_field(body, "count")
    days_back = _int_field(body, "days_back", 3)
    seed = _int_field(body, "seed", 0)
    try:
        added = simulator.add_late_events(count, days_back, seed)
    except ValueError as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, {"added": added})


def stats(simulator: Simulator, _request: Request) -> Response:
    return json_response(200, simulator.stats.snapshot())


def reset_stats(simulator: Simulator, _request: Request) -> Response:
    simulator.stats.reset()
    return json_response(200, simulator.stats.snapshot())


def get_settings(simulator: Simulator, _request: Request) -> Response:
    return json_response(200, simulator.settings.as_dict())


def update_settings(simulator: Simulator, request: Request) -> Response:
    try:
        simulator.settings.update(_json_body(request))
    except SettingsError as error:
        raise _BadRequestError(str(error)) from error
    return json_response(200, simulator.settings.as_dict())


def echo(simulator: Simulator, request: Request) -> Response:
    """Record the request (credentials redacted): a redirect target for tests."""
    return json_response(200, {"echo": True, "recorded": simulator.echo_log.record(request)})


def echo_log(simulator: Simulator, _request: Request) -> Response:
    return json_response(200, {"requests": simulator.echo_log.entries()})


def reset_echo_log(simulator: Simulator, _request: Request) -> Response:
    simulator.echo_log.clear()
    return json_response(200, {"requests": []})


def _answering_bad_requests(endpoint: ControlEndpoint) -> ControlEndpoint:
    def guarded(simulator: Simulator, request: Request) -> Response:
        try:
            return endpoint(simulator, request)
        except _BadRequestError as error:
            return json_response(400, {"error": str(error)})

    return guarded


CONTROL_ENDPOINTS: dict[tuple[str, str], ControlEndpoint] = {
    (method, f"/-/simulator/{path}"): _answering_bad_requests(endpoint)
    for method, path, endpoint in (
        ("GET", "health", health),
        ("GET", "info", info),
        ("GET", "truth", truth),
        ("GET", "truth/ai-user-metrics", truth_ai_user_metrics),
        ("GET", "truth/ai-metrics", truth_ai_metrics),
        ("GET", "truth/seats", truth_seats),
        ("GET", "truth/pages", truth_pages),
        ("GET", "truth/page-losses", truth_page_losses),
        ("GET", "schema", schema),
        ("POST", "complexity", complexity),
        ("POST", "seats", set_seat),
        ("POST", "events", add_events),
        ("POST", "late-events", add_late_events),
        ("GET", "stats", stats),
        ("POST", "stats/reset", reset_stats),
        ("GET", "settings", get_settings),
        ("POST", "settings", update_settings),
        ("GET", "echo", echo),
        ("POST", "echo", echo),
        ("GET", "echo-log", echo_log),
        ("POST", "echo-log/reset", reset_echo_log),
    )
}
