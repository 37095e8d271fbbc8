"""The simulator's ClickHouse event backend, its ties, and PostgreSQL's retention."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from simulator import ADMIN_TOKEN, OWNER_TOKEN, Simulator, SimulatorConfig
from simulator.dataset import Dataset, DatasetSpec
from simulator.org import build_organisation
from tests.simulator_process import (
    DATA_DAYS,
    DATA_END,
    SimulatorProcess,
    start_simulator,
)

END = date.fromisoformat(DATA_END)
FIRST = END - timedelta(days=DATA_DAYS - 1)
TODAY = "2026-11-10"  # the clock of the simulators started here: retention follows it

DAY_QUERY = """
query Day($fullPath: ID!, $startDate: Date!, $endDate: Date!, $first: Int, $after: String,
          $userIds: [UserID!]) {
  group(fullPath: $fullPath) {
    aiUsageData {
      all(startDate: $startDate, endDate: $endDate, first: $first, after: $after,
          userIds: $userIds) {
        nodes { event timestamp user { id } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}
"""
CODE_QUERY = """
query Code($fullPath: ID!, $startDate: Date!, $endDate: Date!, $after: String) {
  group(fullPath: $fullPath) {
    aiUsageData {
      codeSuggestionEvents(startDate: $startDate, endDate: $endDate, first: 100, after: $after) {
        nodes { event timestamp user { id } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
INSTANCE_QUERY = """
query Instance($startDate: Date!, $endDate: Date!, $after: String) {
  aiUsageData {
    all(startDate: $startDate, endDate: $endDate, first: 100, after: $after) {
      nodes { event timestamp extras namespacePath user { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


# -- helpers ------------------------------------------------------------------------------------


def graphql(url: str, query: str, variables: dict[str, Any], token: str = ADMIN_TOKEN) -> Any:
    response = requests.post(
        f"{url}/api/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def control(url: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{url}/-/simulator/{path}", timeout=120, **kwargs)


def user_id(node: dict[str, Any]) -> int:
    return int(node["user"]["id"].rsplit("/", 1)[1])


def node_key(node: dict[str, Any]) -> tuple[str, str, int]:
    return (node["timestamp"], node["event"], user_id(node))


def row_key(row: dict[str, Any]) -> tuple[str, str, int]:
    return (row["timestamp"], row["event"], row["user_id"])


def read_day_naively(
    url: str, day: date, query: str = DAY_QUERY, path: str | None = "acme-corp"
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every node of `day` paging with `first: 100` and `after` only, and the end cursors."""
    variables: dict[str, Any] = {
        "startDate": day.isoformat(),
        "endDate": (day + timedelta(days=1)).isoformat(),
    }
    if path is not None:
        variables["fullPath"] = path
    nodes: list[dict[str, Any]] = []
    cursors: list[str] = []
    after = None
    while True:
        payload = graphql(url, query, {**variables, "after": after})
        assert "errors" not in payload, payload
        data = payload["data"]
        usage = data["group"]["aiUsageData"] if "group" in data else data["aiUsageData"]
        connection = next(iter(usage.values()))
        nodes.extend(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        cursors.append(after)
    return [n for n in nodes if n["timestamp"].startswith(day.isoformat())], cursors


def decode(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def encode(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def small_config(**overrides: Any) -> SimulatorConfig:
    settings: dict[str, Any] = {
        "seed": 7,
        "end_date": date(2025, 9, 30),
        "days": 5,
        "events_per_day": 200,
        "clock": lambda: datetime(2025, 10, 2, 12, tzinfo=timezone.utc),
    }
    settings.update(overrides)
    return SimulatorConfig(**settings)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clickhouse() -> Iterator[SimulatorProcess]:
    """The standard test data on the ClickHouse backend (a process of its own)."""
    simulator = start_simulator("--event-backend", "clickhouse", "--today", TODAY)
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def losses(clickhouse: SimulatorProcess) -> dict[str, Any]:
    """Rows a naive pager loses per day of `acme-corp` (`all`) on ClickHouse."""
    params = {"scope_type": "group", "scope_path": "acme-corp"}
    result: dict[str, Any] = clickhouse.control("GET", "truth/page-losses", params=params)
    return result


@pytest.fixture
def fresh() -> Iterator[Simulator]:
    with Simulator(small_config()) as simulator:
        yield simulator


# -- settings and flags -------------------------------------------------------------------------


def test_postgresql_is_the_default_and_the_backend_switches_at_runtime(fresh: Simulator) -> None:
    info = control(fresh.url, "GET", "info").json()
    assert info["instance"]["event_backend"] == "postgresql"
    assert "event_backend" not in info["settings"]  # listed once changed
    refused = control(fresh.url, "POST", "settings", json={"event_backend": "mysql"})
    assert refused.status_code == 400
    changed = control(fresh.url, "POST", "settings", json={"event_backend": "clickhouse"}).json()
    assert changed["event_backend"] == "clickhouse"
    assert changed["clickhouse"] is True  # the aggregates' setting is another one
    assert fresh.settings.event_backend == "clickhouse"


def test_the_command_line_flag_selects_the_backend(clickhouse: SimulatorProcess) -> None:
    info = clickhouse.control("GET", "info")
    assert info["instance"]["event_backend"] == "clickhouse"
    assert info["instance"]["today"] == TODAY
    assert info["settings"]["event_backend"] == "clickhouse"


# -- collapsing, order and cursors ----------------------------------------------------------------


def test_rows_equal_on_namespace_event_millisecond_and_user_collapse(fresh: Simulator) -> None:
    base = {"event": "REQUEST_DUO_CHAT_RESPONSE", "user_id": 1207}
    fresh.add_events(
        [
            {
                **base,
                "timestamp": "2025-09-29T10:00:00.250Z",
                "namespace": "acme-corp",
                "extras": {"n": 1},
            },
            {
                **base,
                "timestamp": "2025-09-29T10:00:00.250Z",
                "namespace": "acme-corp",
                "extras": {"n": 2},
            },
            # Another millisecond, another namespace: separate rows on both backends.
            {**base, "timestamp": "2025-09-29T10:00:00.251Z", "namespace": "acme-corp"},
            {**base, "timestamp": "2025-09-29T10:00:00.250Z", "namespace": "globex"},
        ]
    )

    def ours(backend: str) -> list[dict[str, Any]]:
        fresh.settings.update({"event_backend": backend})
        nodes, _ = read_day_naively(fresh.url, date(2025, 9, 29), INSTANCE_QUERY, path=None)
        return [
            n
            for n in nodes
            if n["timestamp"] == "2025-09-29T10:00:00Z"
            and user_id(n) == 1207
            and n["event"] == base["event"]
            and n["extras"] in ({"n": 1}, {"n": 2}, {})
            and n["namespacePath"] in ("9970/", "11200/")
        ]

    postgresql, clickhouse = ours("postgresql"), ours("clickhouse")
    assert len(postgresql) == len(clickhouse) + 1
    # argMax(extras, timestamp) over equal timestamps: the row stored last.
    assert {"n": 2} in [n["extras"] for n in clickhouse]
    assert {"n": 1} not in [n["extras"] for n in clickhouse]


def test_order_is_timestamp_then_user_newest_first(clickhouse: SimulatorProcess) -> None:
    day = END - timedelta(days=3)
    params = {"scope_type": "group", "scope_path": "acme-corp", "day": day.isoformat()}
    truth = clickhouse.control("GET", "truth/pages", params=params)["truth"]
    keys = [(row["timestamp_ms"], row["user_id"]) for row in truth]
    assert keys == sorted(keys, reverse=True)
    nodes, _ = read_day_naively(clickhouse.url, day)
    assert [node_key(n) for n in nodes[:100]] == [row_key(r) for r in truth[:100]]


def test_cursor_is_base64_json_of_the_timestamp_and_the_user(clickhouse: SimulatorProcess) -> None:
    day = END - timedelta(days=3)
    variables = {
        "fullPath": "acme-corp",
        "startDate": day.isoformat(),
        "endDate": (day + timedelta(days=1)).isoformat(),
        "first": 100,
    }
    page = graphql(clickhouse.url, DAY_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]
    params = {"scope_type": "group", "scope_path": "acme-corp", "day": day.isoformat()}
    truth = clickhouse.control("GET", "truth/pages", params=params)["truth"]
    # The window also holds the next day's rows at exactly 00:00:00.000: they come first.
    next_day = sum(not n["timestamp"].startswith(day.isoformat()) for n in page["nodes"])
    last = truth[99 - next_day]
    assert node_key(page["nodes"][-1]) == row_key(last)
    payload = decode(page["pageInfo"]["endCursor"])
    assert payload == {
        "timestamp": last["timestamp_iso_ms"].replace("T", " ").replace("Z", "000"),
        "user_id": last["user_id"],
    }
    assert payload["timestamp"].endswith(f"{last['timestamp_ms'] % 1000:03d}000")
    assert decode(page["pageInfo"]["startCursor"])["user_id"] == user_id(page["nodes"][0])


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode({"timestamp": "2026-10-28 10:00:00.000000000 UTC", "id": "5"}),  # PostgreSQL's
        encode({"timestamp": "2026-10-28 10:00:00.000000"}),
        encode({"timestamp": "yesterday", "user_id": 1207}),
        encode({"timestamp": "2026-10-28 10:00:00.000000", "user_id": True}),
    ],
)
def test_invalid_cursor_is_an_error_on_the_field(clickhouse: SimulatorProcess, cursor: str) -> None:
    variables = {
        "fullPath": "acme-corp",
        "startDate": "2026-10-28",
        "endDate": "2026-10-29",
        "after": cursor,
    }
    payload = graphql(clickhouse.url, DAY_QUERY, variables)
    assert payload["data"]["group"]["aiUsageData"]["all"] is None
    assert [e["message"] for e in payload["errors"]] == ["Invalid cursor given"]
    assert payload["errors"][0]["path"] == ["group", "aiUsageData", "all"]


def test_a_hand_made_cursor_pages_strictly_after_its_pair(clickhouse: SimulatorProcess) -> None:
    day = END - timedelta(days=3)
    params = {"scope_type": "group", "scope_path": "acme-corp", "day": day.isoformat()}
    truth = clickhouse.control("GET", "truth/pages", params=params)["truth"]
    pivot = truth[50]
    moment = pivot["timestamp_iso_ms"].replace("T", " ").replace("Z", "000")
    variables = {
        "fullPath": "acme-corp",
        "startDate": day.isoformat(),
        "endDate": (day + timedelta(days=1)).isoformat(),
        "first": 5,
        "after": encode({"timestamp": moment, "user_id": pivot["user_id"]}),
    }
    page = graphql(clickhouse.url, DAY_QUERY, variables)["data"]["group"]["aiUsageData"]["all"]
    pair = (pivot["timestamp_ms"], pivot["user_id"])
    expected = [r for r in truth if (r["timestamp_ms"], r["user_id"]) < pair][:5]
    assert [node_key(n) for n in page["nodes"]] == [row_key(r) for r in expected]
    assert page["pageInfo"]["hasPreviousPage"] is True


def test_bounds_are_cut_to_whole_seconds(fresh: Simulator) -> None:
    fresh.settings.update({"end_date_mode": "inclusive"})
    fresh.add_events(
        [
            {
                "timestamp": f"2025-09-28T23:59:59.{ms}Z",
                "event": "TROUBLESHOOT_JOB",
                "user_id": 1222,
                "namespace": "acme-corp",
            }
            for ms in ("000", "500")
        ]
    )
    variables = {"fullPath": "acme-corp", "startDate": "2025-09-28", "endDate": "2025-09-28"}

    def last_second(backend: str) -> int:
        fresh.settings.update({"event_backend": backend})
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            payload = graphql(fresh.url, DAY_QUERY, {**variables, "after": after})
            connection = payload["data"]["group"]["aiUsageData"]["all"]
            nodes += connection["nodes"]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        return sum(
            n["timestamp"] == "2025-09-28T23:59:59Z"
            and n["event"] == "TROUBLESHOOT_JOB"
            and user_id(n) == 1222
            for n in nodes
        )

    # PostgreSQL compares with 23:59:59.999; ClickHouse's finder formats it as 23:59:59.
    assert last_second("postgresql") == last_second("clickhouse") + 1


# -- ties at page boundaries -----------------------------------------------------------------------


def test_a_naive_pager_loses_rows_on_several_days(losses: dict[str, Any]) -> None:
    assert losses["backend"] == "clickhouse"
    assert len(losses["days"]) == DATA_DAYS
    assert len(losses["days_with_skips"]) >= 3, losses["days_with_skips"]
    assert 0 < losses["skipped"] < losses["rows"] / 100


def test_skipped_rows_are_tied_with_the_last_row_of_a_full_page(
    clickhouse: SimulatorProcess, losses: dict[str, Any]
) -> None:
    for day in losses["days_with_skips"]:
        params = {"scope_type": "group", "scope_path": "acme-corp", "day": day}
        pages = clickhouse.control("GET", "truth/pages", params=params)
        truth = pages["truth"]
        assert pages["skipped"] == len(pages["skipped_rows"]) > 0
        for skipped in pages["skipped_rows"]:
            index = next(i for i, row in enumerate(truth) if row == skipped)
            # The row before it was the last of a full page; they share ms and user.
            before = truth[index - 1]
            assert before["page"] is not None or before in pages["skipped_rows"]
            assert (before["timestamp_ms"], before["user_id"]) == (
                skipped["timestamp_ms"],
                skipped["user_id"],
            )
            assert (before["event"], before["namespace_path"]) != (
                skipped["event"],
                skipped["namespace_path"],
            )


def test_reading_the_days_over_http_misses_exactly_the_skipped_rows(
    clickhouse: SimulatorProcess, losses: dict[str, Any]
) -> None:
    for day in losses["days_with_skips"][:3]:
        params = {"scope_type": "group", "scope_path": "acme-corp", "day": day}
        pages = clickhouse.control("GET", "truth/pages", params=params)
        nodes, cursors = read_day_naively(clickhouse.url, date.fromisoformat(day))
        truth = Counter(row_key(r) for r in pages["truth"])
        missing = truth - Counter(node_key(n) for n in nodes)
        assert missing == Counter(row_key(r) for r in pages["skipped_rows"])
        assert len(cursors) + 1 == pages["requests"]
        # The truth endpoint is the collapsed rows: what nothing skipped would give.
        truth_rows = clickhouse.truth("group", "acme-corp", day, day)
        assert Counter(row_key(r) for r in truth_rows) == truth


def test_rereading_the_tied_user_with_user_ids_finds_the_rows(
    clickhouse: SimulatorProcess, losses: dict[str, Any]
) -> None:
    day = losses["days_with_skips"][0]
    params = {"scope_type": "group", "scope_path": "acme-corp", "day": day}
    skipped = clickhouse.control("GET", "truth/pages", params=params)["skipped_rows"]
    for row in skipped:
        variables = {
            "fullPath": "acme-corp",
            "startDate": day,
            "endDate": (date.fromisoformat(day) + timedelta(days=1)).isoformat(),
            "userIds": [f"gid://gitlab/User/{row['user_id']}"],
        }
        connection = graphql(clickhouse.url, DAY_QUERY, variables)["data"]["group"]
        nodes = connection["aiUsageData"]["all"]["nodes"]
        assert row_key(row) in [node_key(n) for n in nodes]
        by_user = clickhouse.control(
            "GET", "truth/pages", params={**params, "user_id": row["user_id"]}
        )
        assert by_user["requests"] == 1
        assert by_user["skipped"] == 0


def test_code_suggestion_events_and_the_instance_lose_ties_too(
    clickhouse: SimulatorProcess,
) -> None:
    for params in (
        {"scope_type": "group", "scope_path": "acme-corp", "kind": "code_suggestions"},
        {"scope_type": "instance"},
    ):
        result = clickhouse.control("GET", "truth/page-losses", params=params)
        assert result["skipped"] > 0, params
    code = clickhouse.control(
        "GET",
        "truth/page-losses",
        params={"scope_type": "group", "scope_path": "acme-corp", "kind": "code_suggestions"},
    )
    day = date.fromisoformat(code["days_with_skips"][0])
    nodes, _ = read_day_naively(clickhouse.url, day, CODE_QUERY)
    params = {
        "scope_type": "group",
        "scope_path": "acme-corp",
        "kind": "code_suggestions",
        "day": day.isoformat(),
    }
    pages = clickhouse.control("GET", "truth/pages", params=params)
    missing = Counter(row_key(r) for r in pages["truth"]) - Counter(node_key(n) for n in nodes)
    assert missing == Counter(row_key(r) for r in pages["skipped_rows"])


def test_postgresql_pages_lose_nothing() -> None:
    with Simulator(small_config(days=3, events_per_day=400)) as simulator:
        params = {"scope_type": "group", "scope_path": "acme-corp"}
        result = control(simulator.url, "GET", "truth/page-losses", params=params).json()
        assert result["backend"] == "postgresql"
        assert result["skipped"] == 0
        assert sum(d["requests"] for d in result["days"]) > len(result["days"])


def test_clickhouse_truth_is_the_collapsed_postgresql_truth(fresh: Simulator) -> None:
    day = date(2025, 9, 29)
    original = fresh.store.events_on(day)[10]
    namespace = fresh.org.namespace_by_id[original.namespace_id] if original.namespace_id else None
    seconds, millis = divmod(original.timestamp_ms, 1000)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    fresh.add_events(  # a row stored twice: one row on ClickHouse
        [
            {
                "timestamp": f"{moment}.{millis:03d}Z",
                "event": original.event,
                "user_id": original.user_id,
                "namespace": namespace.full_path if namespace else None,
                "extras": original.extras(),
            }
        ]
    )
    postgresql = fresh.truth("instance", "", day, day)
    fresh.settings.update({"event_backend": "clickhouse"})
    clickhouse = fresh.truth("instance", "", day, day)
    rows = fresh.store.events_on(day)
    distinct = {(e.namespace_id, e.event, e.timestamp_ms, e.user_id) for e in rows}
    assert len(postgresql) == len(rows)
    assert len(clickhouse) == len(distinct) < len(postgresql)


def test_every_day_has_same_millisecond_companions() -> None:
    dataset = Dataset(
        DatasetSpec(seed=7, end_date=END, days=DATA_DAYS, events_per_day=400),
        build_organisation(),
    )
    kinds: Counter[str] = Counter()
    for day in dataset.days():
        events = dataset.generate_day(day)
        groups: dict[tuple[int, int], list[Any]] = {}
        for event in events:
            groups.setdefault((event.timestamp_ms, event.user_id), []).append(event)
        tied = [g for g in groups.values() if len({(e.event, e.namespace_id) for e in g}) > 1]
        assert tied, day
        for group in tied:
            names = {e.event for e in group}
            if {"CODE_SUGGESTION_REJECTED_IN_IDE", "CODE_SUGGESTION_SHOWN_IN_IDE"} <= names:
                kinds["next suggestion"] += 1
            if {"POST_COMMENT_DUO_CODE_REVIEW_ON_DIFF", "PUBLISH_DUO_CODE_REVIEW_COMMENTS"} <= (
                names
            ):
                kinds["review published"] += 1
            if len({e.namespace_id for e in group if e.event == group[0].event}) > 1:
                kinds["namespace twin"] += 1
    assert kinds["next suggestion"] > DATA_DAYS
    assert kinds["review published"] > DATA_DAYS / 2
    assert kinds["namespace twin"] > DATA_DAYS / 2


# -- retention without ClickHouse -----------------------------------------------------------------


def test_no_retention_by_default_keeps_every_day(fresh: Simulator) -> None:
    assert fresh.settings.retention_months == 0
    assert control(fresh.url, "GET", "info").json()["instance"]["retained_from"] is None
    first = fresh.dataset.first_date
    assert fresh.truth("group", "acme-corp", first, first)


def test_retention_hides_months_before_the_partition_boundary() -> None:
    clock = datetime(2026, 11, 10, 12, tzinfo=timezone.utc)
    config = small_config(end_date=date(2026, 10, 2), days=4, clock=lambda: clock)
    with Simulator(config) as simulator:
        url = simulator.url
        assert control(url, "POST", "settings", json={"retention_months": -1}).status_code == 400
        settings = control(url, "POST", "settings", json={"retention_months": 1}).json()
        assert settings["retention_months"] == 1
        info = control(url, "GET", "info").json()["instance"]
        # 2026-11-10 minus a month is 2026-10-10: its month's partition is the oldest kept.
        assert info["retained_from"] == "2026-10-01"

        def day_nodes(day: str) -> list[dict[str, Any]]:
            nodes, _ = read_day_naively(url, date.fromisoformat(day))
            return nodes

        assert day_nodes("2026-09-30") == []  # gone, without an error
        assert day_nodes("2026-10-01")
        truth = simulator.truth("group", "acme-corp", date(2026, 9, 29), date(2026, 10, 2))
        assert truth
        assert min(r["timestamp"] for r in truth) >= "2026-10-01"
        pages = control(
            url,
            "GET",
            "truth/pages",
            params={"scope_type": "group", "scope_path": "acme-corp", "day": "2026-09-30"},
        ).json()
        assert pages["truth"] == []
        # ClickHouse keeps everything.
        simulator.settings.update({"event_backend": "clickhouse"})
        assert day_nodes("2026-09-30")


def test_retention_flag_of_the_command_line() -> None:
    simulator = start_simulator("--retention-months", "1", "--today", TODAY)
    try:
        info = simulator.control("GET", "info")
        assert info["instance"]["retention_months"] == 1
        assert info["instance"]["retained_from"] == "2026-10-01"
        assert info["settings"]["retention_months"] == 1
        before, after = "2026-09-30", "2026-10-01"
        assert simulator.truth("group", "acme-corp", before, before) == []
        assert simulator.truth("group", "acme-corp", after, after)
        payload = graphql(
            simulator.url,
            DAY_QUERY,
            {"fullPath": "acme-corp", "startDate": before, "endDate": after, "first": 100},
            token=OWNER_TOKEN,
        )
        nodes = payload["data"]["group"]["aiUsageData"]["all"]["nodes"]
        assert all(n["timestamp"] >= "2026-10-01" for n in nodes)  # only midnight rows
    finally:
        simulator.stop()
