"""Aggregates and seats against the simulator: exact, reconciled, and honest when absent."""

from __future__ import annotations

import functools
import math
import typing as t
from collections import Counter, defaultdict
from types import SimpleNamespace

import pendulum
import pytest
from graphql import GraphQLObjectType

from tap_gitlab_duo.backend import CLICKHOUSE, POSTGRESQL, UNKNOWN
from tap_gitlab_duo.client import UNAVAILABLE_CAUSE, FinalFailureError
from tap_gitlab_duo.instance_schema import (
    FittedQueries,
    InstanceSchema,
    known_schema,
    types_read,
)
from tap_gitlab_duo.privacy import Identity, People, Pseudonymizer
from tap_gitlab_duo.records import snake_keys
from tap_gitlab_duo.scopes import GROUP, Scope
from tap_gitlab_duo.streams.metrics import (
    NO_CLICKHOUSE_CAUSE,
    UNKNOWN_USER_ID,
    AiMetricsStream,
    AiUserMetricsStream,
    MetricStream,
)
from tap_gitlab_duo.tap import TapGitlabDuo
from tap_gitlab_duo.values import parse_gid
from tests.expectations import selected
from tests.simulator_process import SimulatorProcess, shared_simulator
from tests.tap_runner import TapRun, base_config, bookmark_of, run_tap
from tests.test_schemas import committed

METRIC_STREAMS = ("ai_user_metrics", "ai_metrics")
SCOPES = [("group", "acme-corp"), ("project", "globex/website")]
START, END = "2026-10-01", "2026-10-08"
# Small enough that a day's users, a day's user flow counts and a root group's seat
# holders all take several pages.
SMALL_PAGE = 5
# What each scope reads from START to END: every day, the two weeks touched and the month.
READS = [("day", d, d, d) for d in ("2026-10-0" + str(n) for n in range(1, 9))] + [
    ("week", "2026-09-28", "2026-09-28", "2026-10-04"),
    ("week", "2026-10-05", "2026-10-05", "2026-10-11"),
    ("month", "2026-10-01", "2026-10-01", "2026-10-31"),
]


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


def days(start: str, end: str) -> list[str]:
    first, last = pendulum.parse(start).date(), pendulum.parse(end).date()  # type: ignore[union-attr]
    return [(first.add(days=n)).isoformat() for n in range((last - first).days + 1)]


def graphql_requests(simulator: SimulatorProcess) -> int:
    return int(simulator.control("GET", "stats")["graphql_requests"])


def pages(rows: int, page_size: int) -> int:
    """Requests a connection of ``rows`` takes: an empty one still takes one."""
    return max(1, math.ceil(rows / page_size))


# --- the truth, shaped like the tap's records -----------------------------------------


def truth_user_metrics(
    simulator: SimulatorProcess, scope_type: str, path: str, start: str, end: str
) -> dict[int, dict[str, t.Any]]:
    nodes = simulator.control(
        "GET",
        "truth/ai-user-metrics",
        params={"scope_type": scope_type, "scope_path": path, "start": start, "end": end},
    )["nodes"]
    rows = {}
    for node in nodes:
        user = node.pop("user") or {}
        rows[parse_gid(user.get("id")) or UNKNOWN_USER_ID] = {
            "username": user.get("username"),
            **selected(snake_keys(node), committed("ai_user_metrics")),
        }
    return rows


def ai_metrics_record(truth: dict[str, t.Any], people: People | None = None) -> dict[str, t.Any]:
    """GitLab's ``aiMetrics`` object as the tap records it: snake_case, users as ids."""
    people = people or Identity()
    fields: dict[str, t.Any] = snake_keys(truth)
    platform = fields["agent_platform"]
    flows = []
    for node in platform["user_flow_counts"]["nodes"]:
        user = node["user"] or {}
        user_id, username = people.person(parse_gid(user.get("id")), user.get("username"))
        flows.append(
            {
                "user_id": user_id,
                "username": username,
                "flow_type": node["flow_type"],
                "sessions_count": node["sessions_count"],
            }
        )
    platform["user_flow_counts"] = flows
    return fields


def truth_metrics(
    simulator: SimulatorProcess, scope_type: str, path: str, start: str, end: str
) -> dict[str, t.Any]:
    truth = simulator.control(
        "GET",
        "truth/ai-metrics",
        params={"scope_type": scope_type, "scope_path": path, "start": start, "end": end},
    )["metrics"]
    return ai_metrics_record(truth)


KEY_FIELDS = ("scope_type", "scope_path", "period", "date", "user_id")


def metrics_only(record: dict[str, t.Any]) -> dict[str, t.Any]:
    return {k: v for k, v in record.items() if k not in KEY_FIELDS}


# --- the runs compared --------------------------------------------------------------


@pytest.fixture(scope="module")
def metrics_run(simulator: SimulatorProcess) -> TapRun:
    config = base_config(
        simulator,
        start_date=f"{START}T00:00:00Z",
        end_date=f"{END}T00:00:00Z",
        instance=False,
        metric_periods=["day", "week", "month"],
    )
    return run_tap(config, streams=(*METRIC_STREAMS, "code_suggestion_events", "ai_usage_events"))


@pytest.fixture(scope="module")
def small_page_run(simulator: SimulatorProcess) -> tuple[TapRun, int]:
    """The metric streams read with pages of SMALL_PAGE, and the GraphQL requests it took."""
    config = base_config(
        simulator,
        start_date=f"{START}T00:00:00Z",
        end_date=f"{END}T00:00:00Z",
        instance=False,
        metric_periods=["day", "week", "month"],
        page_size=SMALL_PAGE,
    )
    simulator.control("POST", "stats/reset")
    run = run_tap(config, streams=METRIC_STREAMS)
    return run, graphql_requests(simulator)


@pytest.fixture(params=["page_size_100", f"page_size_{SMALL_PAGE}"])
def any_metrics_run(request: pytest.FixtureRequest) -> TapRun:
    if request.param == "page_size_100":
        return t.cast("TapRun", request.getfixturevalue("metrics_run"))
    return t.cast("tuple[TapRun, int]", request.getfixturevalue("small_page_run"))[0]


def test_user_metrics_equal_ground_truth_per_day_week_and_month(
    simulator: SimulatorProcess, any_metrics_run: TapRun
) -> None:
    records = any_metrics_run.records["ai_user_metrics"]
    keys = [
        (r["scope_type"], r["scope_path"], r["period"], r["date"], r["user_id"]) for r in records
    ]
    assert len(keys) == len(set(keys)), "primary key must be unique"
    compared = 0
    for scope_type, path in SCOPES:
        for period, date, first, last in READS:
            want = truth_user_metrics(simulator, scope_type, path, first, last)
            got = {
                r["user_id"]: metrics_only(r)
                for r in records
                if (r["scope_type"], r["scope_path"], r["period"], r["date"])
                == (scope_type, path, period, date)
            }
            assert got == want, f"{scope_type} {path} {period} {date}"
            compared += len(want)
    assert compared > 200
    print(f"\nai_user_metrics: {compared} user rows compared")


def test_metrics_equal_ground_truth(simulator: SimulatorProcess, any_metrics_run: TapRun) -> None:
    records = any_metrics_run.records["ai_metrics"]
    flows = 0
    for scope_type, path in SCOPES:
        for period, date, first, last in READS:
            got = [
                metrics_only(r)
                for r in records
                if (r["scope_type"], r["scope_path"], r["period"], r["date"])
                == (scope_type, path, period, date)
            ]
            want = truth_metrics(simulator, scope_type, path, first, last)
            assert got == [want], f"{path} {period} {date}"
            flows += len(want["agent_platform"]["user_flow_counts"])
    assert flows > 0, "user flow counts are compared, not only empty lists"
    print(f"\nai_metrics: {len(SCOPES) * len(READS)} records compared, {flows} user flow counts")


def test_small_pages_read_every_page(simulator: SimulatorProcess, small_page_run) -> None:
    _, requests = small_page_run
    needed = 0  # the fewest requests that can read every row with pages of SMALL_PAGE
    several_pages = 0
    for scope_type, path in SCOPES:
        for _, _, first, last in READS:
            users = len(truth_user_metrics(simulator, scope_type, path, first, last))
            flows = len(
                truth_metrics(simulator, scope_type, path, first, last)["agent_platform"][
                    "user_flow_counts"
                ]
            )
            needed += pages(users, SMALL_PAGE) + pages(flows, SMALL_PAGE)
            several_pages += users > SMALL_PAGE and flows > SMALL_PAGE
    assert several_pages > 0, "both connections need a second page somewhere"
    assert requests >= needed > 2 * len(SCOPES) * len(READS)


def test_raw_events_and_aggregates_reconcile(metrics_run: TapRun) -> None:
    accepted: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    for event in metrics_run.records["code_suggestion_events"]:
        if event["scope_path"] == "acme-corp":
            day = event["timestamp"][:10]
            accepted[day] += event["event"] == "CODE_SUGGESTION_ACCEPTED_IN_IDE"
            shown[day] += event["event"] == "CODE_SUGGESTION_SHOWN_IN_IDE"
    users_per_day: dict[str, set[int]] = defaultdict(set)
    for event in metrics_run.records["ai_usage_events"]:
        if event["scope_path"] == "acme-corp":
            users_per_day[event["timestamp"][:10]].add(event["user_id"])
    per_user: Counter[str] = Counter()
    for row in metrics_run.records["ai_user_metrics"]:
        if row["scope_path"] == "acme-corp" and row["period"] == "day":
            per_user[row["date"]] += row["code_suggestions"][
                "code_suggestion_accepted_in_ide_event_count"
            ]
    aggregate = {
        r["date"]: r
        for r in metrics_run.records["ai_metrics"]
        if r["scope_path"] == "acme-corp" and r["period"] == "day"
    }
    for day in days(START, END):
        assert accepted[day] > 0
        assert per_user[day] == accepted[day], day
        assert aggregate[day]["code_suggestions"]["accepted_count"] == accepted[day], day
        assert aggregate[day]["code_suggestions"]["shown_count"] == shown[day], day
        assert aggregate[day]["duo_used_count"] == len(users_per_day[day]), day
    print(
        f"\nreconciled {len(days(START, END))} days: {sum(accepted.values())} accepted, "
        f"{sum(shown.values())} shown, {sum(len(u) for u in users_per_day.values())} user-days"
    )


def test_metrics_bookmark_on_date_and_second_run_rereads_only_lookback(
    simulator: SimulatorProcess,
) -> None:
    config = base_config(
        simulator,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-05T00:00:00Z",
        instance=False,
        project_paths=[],
        lookback_days=2,
    )
    first = run_tap(config, streams=METRIC_STREAMS)
    assert bookmark_of(first.final_state, "ai_metrics", "group", "acme-corp") == "2026-10-06"
    second = run_tap(
        {**config, "end_date": "2026-10-07T00:00:00Z"},
        state=first.final_state,
        streams=METRIC_STREAMS,
    )
    assert {r["date"] for r in second.records["ai_metrics"]} == {
        "2026-10-04",
        "2026-10-05",
        "2026-10-06",
        "2026-10-07",
    }
    assert bookmark_of(second.final_state, "ai_user_metrics", "group", "acme-corp") == "2026-10-08"


# --- records made from GitLab's nodes (no simulator) ----------------------------------


def stream_with(stream_type: type[MetricStream], people: People) -> MetricStream:
    stream = t.cast("MetricStream", object.__new__(stream_type))
    stream._tap = SimpleNamespace(people=people)  # type: ignore[assignment]
    return stream


DAY_ONE = pendulum.date(2026, 10, 1)
SCOPE = Scope(GROUP, "acme-corp")


@pytest.mark.parametrize("people", [Identity(), Pseudonymizer("metrics-test-key-0123456789")])
def test_nodes_of_unnamed_users_are_summed_into_user_zero(people: People) -> None:
    # GitLab 19.4 may send aiUserMetrics nodes with a null user (deleted or hidden users).
    nodes: list[dict[str, t.Any]] = [
        {
            "user": None,
            "totalEventCount": 2,
            "lastDuoActivityOn": "2026-10-01",
            "codeSuggestions": {"totalEventCount": 2, "lastDuoActivityOn": "2026-10-01"},
            "mcp": None,
        },
        {"user": {"id": "gid://gitlab/User/5", "username": "ada"}, "totalEventCount": 7},
        {
            "user": None,
            "totalEventCount": 3,
            "lastDuoActivityOn": "2026-10-01",
            "codeSuggestions": {"totalEventCount": 1, "lastDuoActivityOn": None},
            "mcp": {"totalEventCount": 2, "lastDuoActivityOn": "2026-10-01"},
        },
    ]
    stream = stream_with(AiUserMetricsStream, people)
    records = stream.period_records(nodes, SCOPE, "day", DAY_ONE)
    named_id, named_username = people.person(5, "ada")
    assert [(r["user_id"], r["username"]) for r in records] == [
        (UNKNOWN_USER_ID, None),
        (named_id, named_username),
    ]
    unknown = records[0]
    assert unknown["total_event_count"] == 5
    assert unknown["code_suggestions"] == {
        "total_event_count": 3,
        "last_duo_activity_on": "2026-10-01",
    }
    assert unknown["mcp"] == {"total_event_count": 2, "last_duo_activity_on": "2026-10-01"}
    assert records[1]["total_event_count"] == 7


@pytest.mark.parametrize("people", [Identity(), Pseudonymizer("metrics-test-key-0123456789")])
def test_user_flow_counts_name_users_as_every_stream_does(people: People) -> None:
    report = {
        "duoUsedCount": 3,
        "agentPlatform": {
            "createdSessionEventCount": 4,
            "userFlowCounts": [
                {
                    "flowType": "chat",
                    "sessionsCount": 3,
                    "user": {"id": "gid://gitlab/User/5", "username": "ada"},
                },
                {"flowType": "fix_pipeline", "sessionsCount": 1, "user": None},
            ],
        },
    }
    (record,) = stream_with(AiMetricsStream, people).period_records([report], SCOPE, "day", DAY_ONE)
    user_id, username = people.person(5, "ada")
    assert record["agent_platform"] == {
        "created_session_event_count": 4,
        "user_flow_counts": [
            {"user_id": user_id, "username": username, "flow_type": "chat", "sessions_count": 3},
            {"user_id": None, "username": None, "flow_type": "fix_pipeline", "sessions_count": 1},
        ],
    }
    assert record["duo_used_count"] == 3


def probed(backend: str, _scope: Scope) -> str:
    return backend


@pytest.mark.parametrize("stream_type", [AiUserMetricsStream, AiMetricsStream])
def test_the_cause_of_a_skipped_metric_stream_follows_the_backend_probe(
    stream_type: type[MetricStream],
) -> None:
    stream = stream_with(stream_type, Identity())
    access = UNAVAILABLE_CAUSE[GROUP]
    causes = {}
    for backend in (POSTGRESQL, UNKNOWN, CLICKHOUSE):
        stream.backend_of = functools.partial(probed, backend)  # type: ignore[method-assign]
        causes[backend] = stream.unavailable_cause(SCOPE)
    assert causes[POSTGRESQL] == NO_CLICKHOUSE_CAUSE
    assert access not in causes[POSTGRESQL], "no ClickHouse is not a licence problem"
    assert causes[CLICKHOUSE] == access
    assert "probe" in causes[UNKNOWN]
    assert access in causes[UNKNOWN]
    assert len(set(causes.values())) == 3


def instance_without(missing: str) -> InstanceSchema:
    """An instance with every type the tap reads, as the tap knows them, minus one field."""
    types: dict[str, dict[str, frozenset[str]]] = {}
    for type_name in types_read():
        object_type = known_schema().get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType)
        types[type_name] = {
            name: frozenset(field.args)
            for name, field in object_type.fields.items()
            if f"{type_name}.{name}" != missing
        }
    return InstanceSchema(types)


def test_a_gitlab_without_user_flow_counts_still_reads_ai_metrics() -> None:
    queries = FittedQueries(instance_without("agentPlatformMetrics.userFlowCounts"))
    assert queries.missing("ai_metrics.graphql") == ["agentPlatformMetrics.userFlowCounts"]
    for operation_name in AiMetricsStream.operations.values():
        operation = queries.operation("ai_metrics.graphql", operation_name)
        assert "userFlowCounts" not in operation.text
        assert "createdSessionEventCount" in operation.text
        assert "first" not in operation.variables, "an unused $first would be refused"


# --- when GitLab cannot serve the metrics ------------------------------------------------


@pytest.fixture
def no_clickhouse(simulator: SimulatorProcess) -> t.Iterator[None]:
    simulator.settings(clickhouse=False)
    yield
    simulator.settings(clickhouse=True)


def prior_state(bookmarks: dict[str, str]) -> dict[str, t.Any]:
    """A state as an earlier run left it: one bookmark per stream for acme-corp."""
    return {
        "bookmarks": {
            stream: {
                "partitions": [
                    {
                        "context": {"scope_type": "group", "scope_path": "acme-corp"},
                        "replication_key": "timestamp" if stream.endswith("events") else "date",
                        "replication_key_value": value,
                    }
                ]
            }
            for stream, value in bookmarks.items()
        }
    }


def warnings_of(run: TapRun, stream: str) -> list[str]:
    return [
        line for line in run.stderr.splitlines() if f"Stream '{stream}' is not available" in line
    ]


@pytest.mark.usefixtures("no_clickhouse")
def test_without_clickhouse_metrics_warn_skip_and_keep_their_bookmark(
    simulator: SimulatorProcess,
) -> None:
    config = base_config(
        simulator,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-04T00:00:00Z",
        instance=False,
        project_paths=[],
        lookback_days=0,
    )
    state = prior_state(
        {
            "ai_user_metrics": "2026-10-02",
            "ai_metrics": "2026-10-02",
            "ai_usage_events": "2026-10-02T00:00:00Z",
        }
    )
    run = run_tap(config, state=state, streams=(*METRIC_STREAMS, "ai_usage_events"))
    for stream in METRIC_STREAMS:
        (warning,) = warnings_of(run, stream)
        assert "for group 'acme-corp'" in warning
        assert NO_CLICKHOUSE_CAUSE in warning
        assert UNAVAILABLE_CAUSE[GROUP] not in warning, "no ClickHouse is not a licence problem"
        assert not run.records[stream]
        assert bookmark_of(run.final_state, stream, "group", "acme-corp") == "2026-10-02"
    # Raw events do not need ClickHouse: they still sync and bookmark.
    assert run.records["ai_usage_events"]
    assert (
        bookmark_of(run.final_state, "ai_usage_events", "group", "acme-corp")
        == "2026-10-05T00:00:00Z"
    )


@pytest.fixture
def failing_probe(simulator: SimulatorProcess) -> t.Iterator[None]:
    simulator.settings(
        faults=[{"kind": "http_error", "operation": "ClickHouseProbeGroup", "count": None}]
    )
    yield
    simulator.settings(faults=[])


@pytest.mark.usefixtures("failing_probe")
def test_a_failed_backend_probe_is_named_as_such(simulator: SimulatorProcess) -> None:
    config = base_config(
        simulator,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-01T00:00:00Z",
        instance=False,
        project_paths=[],
        max_retries=0,
    )
    run = run_tap(config, streams=METRIC_STREAMS)
    # Per-user metrics need the probe: an empty answer could be a quiet day.
    (warning,) = warnings_of(run, "ai_user_metrics")
    assert "ClickHouse probe" in warning
    assert NO_CLICKHOUSE_CAUSE not in warning
    assert not run.records["ai_user_metrics"]
    assert bookmark_of(run.final_state, "ai_user_metrics", "group", "acme-corp") is None
    # aiMetrics answers null itself where it cannot serve: it reads without the probe.
    assert not warnings_of(run, "ai_metrics")
    assert run.records["ai_metrics"]
    assert bookmark_of(run.final_state, "ai_metrics", "group", "acme-corp") == "2026-10-02"


# --- seats ----------------------------------------------------------------------------


def seat_record(
    scope_type: str, scope: str, snapshot_date: str, truth: dict[str, t.Any]
) -> dict[str, t.Any]:
    """A seat truth entry as the tap records it."""
    return {
        "scope_type": scope_type,
        "scope_path": scope,
        "snapshot_date": snapshot_date,
        "add_on_type": truth["add_on_type"],
        "add_on_purchase_id": truth["add_on_purchase_id"],
        "purchased_quantity": truth["purchased_quantity"],
        "assigned_quantity": truth["assigned_quantity"],
        "user_id": truth["user_id"],
        "username": truth["username"],
        "name": truth["name"],
        "state": truth["state"],
        "bot": truth["bot"],
        "seat_assigned": truth["assigned"],
        "last_activity_on": truth["last_activity_on"],
        "last_duo_activity_on": truth["last_duo_activity_on"],
    }


SEAT_SCOPES = (("group", "acme-corp"), ("group", "globex"), ("instance", ""))


@pytest.mark.parametrize("page_size", [100, SMALL_PAGE])
def test_seats_snapshot_equals_ground_truth(simulator: SimulatorProcess, page_size: int) -> None:
    config = base_config(
        simulator,
        instance=True,
        project_paths=[],
        group_paths=["acme-corp", "globex"],
        page_size=page_size,
    )
    simulator.control("POST", "stats/reset")
    run = run_tap(config, streams=("duo_seat_assignments",))
    requests = graphql_requests(simulator)
    records = run.records["duo_seat_assignments"]
    today = pendulum.now("UTC").date().isoformat()
    assert {r["snapshot_date"] for r in records} == {today}
    needed = 0
    for scope_type, scope in SEAT_SCOPES:
        truth = simulator.control("GET", "truth/seats", params={"scope": scope})["seats"]
        want = {
            (e["add_on_type"], e["user_id"]): seat_record(scope_type, scope, today, e)
            for e in truth
        }
        got = {
            (r["add_on_type"], r["user_id"]): r
            for r in records
            if (r["scope_type"], r["scope_path"]) == (scope_type, scope)
        }
        assert got == want, scope
        needed += sum(
            pages(n, page_size) for n in Counter(e["add_on_type"] for e in truth).values()
        )
    if page_size == SMALL_PAGE:
        purchases = len({r["add_on_purchase_id"] for r in records})
        assert requests >= needed > purchases, "every purchase's users took several pages"
    assigned = [r for r in records if r["seat_assigned"] and r["scope_path"] == "acme-corp"]
    assert assigned
    assert any(r["last_duo_activity_on"] is None for r in assigned), "idle seats exist"
    assert any(r["state"] != "active" for r in records), "blocked and deactivated users exist"
    print(f"\nseats, pages of {page_size}: {len(records)} records exact in {requests} requests")


def test_revoked_seat_is_unassigned_in_the_next_snapshot(simulator: SimulatorProcess) -> None:
    config = base_config(simulator, instance=False, project_paths=[])
    before = run_tap(config, streams=("duo_seat_assignments",)).records["duo_seat_assignments"]
    holder = next(r for r in before if r["seat_assigned"] and r["add_on_type"] == "DUO_ENTERPRISE")
    simulator.control(
        "POST",
        "seats",
        json={
            "scope": "acme-corp",
            "add_on_type": "DUO_ENTERPRISE",
            "username": holder["username"],
            "assigned": False,
        },
    )
    try:
        after = run_tap(config, streams=("duo_seat_assignments",)).records["duo_seat_assignments"]
        row = next(
            r
            for r in after
            if r["user_id"] == holder["user_id"] and r["add_on_type"] == "DUO_ENTERPRISE"
        )
        assert row["seat_assigned"] is False
    finally:
        simulator.control(
            "POST",
            "seats",
            json={
                "scope": "acme-corp",
                "add_on_type": "DUO_ENTERPRISE",
                "username": holder["username"],
                "assigned": True,
            },
        )


@pytest.mark.parametrize(
    ("token", "group", "cause"),
    [
        ("glpat-sim-reporter", "acme-corp", "Owner role"),
        ("glpat-sim-admin", "acme-corp/platform", "is a subgroup"),
    ],
)
def test_seats_without_owner_or_on_a_subgroup_warn_and_sync_the_rest(
    simulator: SimulatorProcess,
    token: str,
    group: str,
    cause: str,
) -> None:
    config = base_config(
        simulator,
        token=token,
        group_paths=[group],
        project_paths=[],
        instance=False,
        start_date="2026-10-01T00:00:00Z",
        end_date="2026-10-01T00:00:00Z",
    )
    run = run_tap(config, streams=("duo_seat_assignments", "ai_usage_events"))
    (warning,) = warnings_of(run, "duo_seat_assignments")
    assert f"for group '{group}'" in warning
    assert cause in warning
    assert not run.records["duo_seat_assignments"]
    assert run.records["ai_usage_events"]


def test_a_repeated_user_flow_cursor_stops_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    tap = TapGitlabDuo(
        config={"token": "glpat-x", "group_paths": ["acme-corp"],
                "api_url": "https://gitlab.example.com"},
        validate_config=True,
    )  # fmt: skip
    stream = t.cast("AiMetricsStream", tap.streams["ai_metrics"])
    page = {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}
    answer = {"data": {"scope": {"aiMetrics": {"agentPlatform": {"userFlowCounts": page}}}}}
    monkeypatch.setattr(stream, "execute", lambda _operation, _variables: answer)
    window = {**SCOPE.context, "start_date": "2026-10-01", "end_date": "2026-10-01"}
    with pytest.raises(FinalFailureError, match="sent no new endCursor"):
        stream.every_user_flow_count(window, page)  # GitLab keeps sending cursor c1
