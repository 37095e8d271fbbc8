"""GitLab's ClickHouse backend skips rows tied with the end of a full page; the tap does not.

The simulator's ClickHouse backend pages on (timestamp, user) as GitLab does, and its
data has a user's rows at one instant straddling page boundaries. A plain pager loses
them; the tap reads those users' days again and must end with exactly the truth.
"""

from __future__ import annotations

import typing as t
from collections import Counter

import pendulum
import pytest
import requests

from tests.expectations import describe_difference, emitted, expected
from tests.simulator_process import ADMIN_TOKEN, SimulatorProcess, start_simulator
from tests.tap_runner import TapRun, base_config, run_tap

START, END = "2026-10-05", "2026-10-16"
GROUP = "acme-corp"
# Schema probe (two requests) and the group check; a recent range needs no backend probe.
PREFLIGHT_REQUESTS = 3
Row = tuple[str, str, str]
PAGE_EVENTS = """
query($fullPath: ID!, $startDate: Date!, $endDate: Date!, $after: String) {
  group(fullPath: $fullPath) {
    aiUsageData {
      all(startDate: $startDate, endDate: $endDate, first: 100, after: $after) {
        nodes { event timestamp user { id username } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def clickhouse() -> t.Iterator[SimulatorProcess]:
    simulator = start_simulator("--event-backend", "clickhouse")
    yield simulator
    simulator.stop()


def days() -> list[str]:
    first, last = pendulum.Date.fromisoformat(START), pendulum.Date.fromisoformat(END)
    return [first.add(days=n).isoformat() for n in range((last - first).days + 1)]


def naive_read(simulator: SimulatorProcess, day: str) -> tuple[Counter[Row], int]:
    """The day's rows as a plain pager gets them, trusting the cursor; and its pages."""
    rows: Counter[Row] = Counter()
    after, pages = None, 0
    following = pendulum.Date.fromisoformat(day).add(days=1).isoformat()
    while True:
        variables = {"fullPath": GROUP, "startDate": day, "endDate": following, "after": after}
        response = requests.post(
            f"{simulator.url}/api/graphql",
            json={"query": PAGE_EVENTS, "variables": variables},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=60,
        )
        pages += 1
        page = response.json()["data"]["group"]["aiUsageData"]["all"]
        for node in page["nodes"]:
            if node["timestamp"].startswith(day):
                rows[(node["timestamp"], node["event"], node["user"]["id"])] += 1
        if not page["pageInfo"]["hasNextPage"]:
            return rows, pages
        after = page["pageInfo"]["endCursor"]


def test_a_plain_pager_loses_rows_on_clickhouse(clickhouse: SimulatorProcess) -> None:
    lost = 0
    for day in days():
        truth = clickhouse.truth("group", GROUP, day, day)
        want = Counter(
            (e["timestamp"], e["event"], f"gid://gitlab/User/{e['user_id']}") for e in truth
        )
        got, _ = naive_read(clickhouse, day)
        assert not got - want, "a plain pager invents nothing"
        lost += sum((want - got).values())
    assert lost > 0, "the data has ties across page boundaries"


def sync(
    simulator: SimulatorProcess, stream: str, first: str = START, last: str = END
) -> tuple[TapRun, int]:
    """The group's days ``first``..``last`` of one stream, and the requests they took."""
    config = base_config(
        simulator,
        start_date=f"{first}T00:00:00Z",
        end_date=f"{last}T00:00:00Z",
        project_paths=[],
        instance=False,
    )
    simulator.control("POST", "stats/reset")
    run = run_tap(config, streams=(stream,))
    return run, simulator.control("GET", "stats")["graphql_requests"]


def skipped_by_a_plain_pager(
    simulator: SimulatorProcess, stream: str, start: str = START, end: str = END
) -> int:
    kind = "code_suggestions" if stream == "code_suggestion_events" else "all"
    params = {"scope_type": "group", "scope_path": GROUP, "start": start, "end": end, "kind": kind}
    return int(simulator.control("GET", "truth/page-losses", params=params)["skipped"])


@pytest.mark.parametrize("stream", ["ai_usage_events", "code_suggestion_events"])
def test_the_tap_loses_no_row(clickhouse: SimulatorProcess, stream: str) -> None:
    run, _ = sync(clickhouse, stream)
    want = expected(clickhouse, stream, "group", GROUP, START, END)
    got = emitted(run.records[stream], stream, "group", GROUP)
    assert got == want, f"{stream}: {describe_difference(want, got)}"
    assert "may be missing" not in run.stderr
    repaired = skipped_by_a_plain_pager(clickhouse, stream)
    assert repaired > 0, "rows a plain pager skips are among those the tap emitted"
    print(f"{stream}: {sum(want.values())} rows, {repaired} that a plain pager skips")


@pytest.mark.parametrize(
    ("version", "stream"),
    [
        ("18.2", "ai_usage_events"),
        ("18.2", "code_suggestion_events"),
        ("17.11", "code_suggestion_events"),
    ],
)
def test_older_gitlab_on_clickhouse_loses_no_row(
    clickhouse: SimulatorProcess, version: str, stream: str
) -> None:
    clickhouse.settings(schema_version=version)
    try:
        run, _ = sync(clickhouse, stream)
        want = expected(clickhouse, stream, "group", GROUP, START, END)
    finally:
        clickhouse.settings(schema_version="current")
    got = emitted(run.records[stream], stream, "group", GROUP)
    assert got == want, f"{version} {stream}: {describe_difference(want, got)}"
    assert "may be missing" not in run.stderr


def test_what_tie_safety_costs_in_requests(clickhouse: SimulatorProcess) -> None:
    _, requests_made = sync(clickhouse, "ai_usage_events")
    plain_pages = sum(naive_read(clickhouse, day)[1] for day in days())
    extra = requests_made - PREFLIGHT_REQUESTS - plain_pages
    print(
        f"ClickHouse tie-safety: {plain_pages} pages read plainly, {extra} more requests "
        f"({extra / plain_pages:.0%})"
    )
    assert 0 < extra < plain_pages


def test_no_extra_request_on_postgresql(clickhouse: SimulatorProcess) -> None:
    clickhouse.settings(event_backend="postgresql", clickhouse=False)
    try:
        _, requests_made = sync(clickhouse, "ai_usage_events")
        plain_pages = sum(naive_read(clickhouse, day)[1] for day in days())
    finally:
        clickhouse.settings(event_backend="clickhouse", clickhouse=True)
    assert requests_made == PREFLIGHT_REQUESTS + plain_pages


@pytest.fixture(scope="module")
def busy_clickhouse() -> t.Iterator[SimulatorProcess]:
    """Users with more than a page of events a day, several of one kind."""
    simulator = start_simulator(
        "--event-backend", "clickhouse", "--events-per-day", "8000", "--days", "3"
    )
    yield simulator
    simulator.stop()


@pytest.mark.parametrize("stream", ["ai_usage_events", "code_suggestion_events"])
def test_busy_users_lose_no_row(busy_clickhouse: SimulatorProcess, stream: str) -> None:
    first, last = "2026-10-29", "2026-10-31"
    run, requests_made = sync(busy_clickhouse, stream, first, last)
    want = expected(busy_clickhouse, stream, "group", GROUP, first, last)
    got = emitted(run.records[stream], stream, "group", GROUP)
    assert got == want, f"{stream}: {describe_difference(want, got)}"
    assert "may be missing" not in run.stderr
    repaired = skipped_by_a_plain_pager(busy_clickhouse, stream, first, last)
    print(
        f"{stream}: {sum(want.values())} rows in {requests_made} requests, "
        f"{repaired} that a plain pager skips"
    )
