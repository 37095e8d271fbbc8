"""The simulator's latency, throttle and injected faults, checked over real HTTP."""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator import ADMIN_TOKEN, Simulator, SimulatorConfig
from simulator.fault_responses import GRAPHQL_TIMEOUT_MESSAGE
from simulator.faults import Fault, FaultError, parse_fault_spec

REPO = Path(__file__).resolve().parents[1]
PROBE = """
query Probe {
  group(fullPath: "acme-corp") {
    id
    aiUsageData {
      all(startDate: "2025-09-29", endDate: "2025-09-30", first: 5) { nodes { event timestamp } }
    }
  }
}
"""
OTHER = 'query Other { project(fullPath: "globex/website") { id } }'
TIMEOUT = 10  # seconds, for every request a test expects an answer to


@pytest.fixture
def sim() -> Iterator[Simulator]:
    config = SimulatorConfig(seed=3, end_date=date(2025, 9, 30), days=3, events_per_day=60)
    with Simulator(config) as simulator:
        yield simulator


def post(
    sim: Simulator,
    query: str = PROBE,
    *,
    headers: dict[str, str] | None = None,
    operation_name: str | None = None,
    timeout: float = TIMEOUT,
    url: str | None = None,
    allow_redirects: bool = False,
) -> requests.Response:
    body: dict[str, Any] = {"query": query}
    if operation_name is not None:
        body["operationName"] = operation_name
    return requests.post(
        url or sim.graphql_url,
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"} if headers is None else headers,
        timeout=timeout,
        allow_redirects=allow_redirects,
    )


def control(sim: Simulator, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, f"{sim.url}/-/simulator/{path}", timeout=TIMEOUT, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def set_faults(sim: Simulator, *faults: object) -> list[dict[str, Any]]:
    settings = control(sim, "POST", "settings", json={"faults": list(faults)})
    return list(settings["faults"])


def baseline(sim: Simulator, query: str = PROBE) -> dict[str, Any]:
    response = post(sim, query)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    assert "errors" not in payload
    assert payload["data"]["group" if query is PROBE else "project"] is not None
    return payload


def assert_normal(sim: Simulator, expected: dict[str, Any], query: str = PROBE) -> None:
    """The next request is answered as if no fault had happened: the data is untouched."""
    response = post(sim, query)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == expected


def fault_counts(sim: Simulator) -> dict[str, int]:
    return dict(control(sim, "GET", "stats")["faults"])


# -- rate_limit -------------------------------------------------------------------------------


def test_rate_limit_fault_is_a_plain_text_429_with_gitlab_headers(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "rate_limit:count=3,retry_after=2")
    for _ in range(3):
        before = time.time()
        response = post(sim)
        assert response.status_code == 429
        assert response.text == "Retry later\n"
        assert response.headers["Content-Type"] == "text/plain"
        with pytest.raises(ValueError, match="Expecting value"):
            response.json()  # not JSON, as on a self-managed instance
        headers = response.headers
        assert headers["Retry-After"] == "2"
        assert headers["RateLimit-Name"] == "throttle_authenticated_api"
        assert headers["RateLimit-Limit"] == "2000"
        assert headers["RateLimit-Remaining"] == "0"
        assert int(headers["RateLimit-Observed"]) > int(headers["RateLimit-Limit"])
        reset = int(headers["RateLimit-Reset"])
        assert int(before) + 2 <= reset <= int(time.time()) + 2
        reset_time = email.utils.parsedate_to_datetime(headers["RateLimit-ResetTime"])
        assert reset_time.timestamp() == reset
        assert headers["RateLimit-ResetTime"].endswith(" GMT")
    assert_normal(sim, expected)
    assert fault_counts(sim)["rate_limit"] == 3


def test_rate_limit_fault_parameters(sim: Simulator) -> None:
    set_faults(sim, {"kind": "rate_limit", "retry_after": 0, "limit": 7, "name": "throttle_x"})
    response = post(sim)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0"
    assert response.headers["RateLimit-Limit"] == "7"
    assert response.headers["RateLimit-Observed"] == "8"
    assert response.headers["RateLimit-Name"] == "throttle_x"
    assert post(sim).status_code == 200


# -- the real limiter ---------------------------------------------------------------------------


def test_rate_limiter_refuses_beyond_its_quota_and_recovers_after_retry_after(
    sim: Simulator,
) -> None:
    expected = baseline(sim)
    # 60 per minute over a 2 s window: two requests per any 2 seconds.
    control(sim, "POST", "settings", json={"rate_limit_per_minute": 60})
    control(sim, "POST", "settings", json={"rate_limit_period_seconds": 2})
    time.sleep(2.1)  # the baseline request ages out of the window
    first, second = post(sim), post(sim)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == expected
    assert [r.headers["RateLimit-Remaining"] for r in (first, second)] == ["1", "0"]
    assert [r.headers["RateLimit-Observed"] for r in (first, second)] == ["1", "2"]
    assert first.headers["RateLimit-Limit"] == "60"
    assert "Retry-After" not in first.headers  # only a throttled answer says when to retry

    refused = post(sim)
    received = time.time()
    assert refused.status_code == 429
    assert refused.text == "Retry later\n"
    headers = refused.headers
    assert headers["RateLimit-Name"] == "throttle_authenticated_api"
    assert headers["RateLimit-Limit"] == "60"
    assert headers["RateLimit-Observed"] == "3"
    assert headers["RateLimit-Remaining"] == "0"
    retry_after = int(headers["Retry-After"])
    assert 1 <= retry_after <= 3
    reset = int(headers["RateLimit-Reset"])
    assert abs(reset - (int(received) + retry_after)) <= 1
    assert email.utils.parsedate_to_datetime(headers["RateLimit-ResetTime"]).timestamp() == reset
    assert post(sim).status_code == 429  # still refused before the reset
    time.sleep(retry_after)
    recovered = post(sim)
    assert recovered.status_code == 200
    assert recovered.json() == expected
    assert control(sim, "GET", "stats")["rate_limited"] == 2

    control(sim, "POST", "settings", json={"rate_limit_per_minute": 0})
    for _ in range(4):
        unlimited = post(sim)
        assert unlimited.status_code == 200
        assert "RateLimit-Limit" not in unlimited.headers


# -- http_error, slow, drop, truncate ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "wording"),
    [(502, "Whoops, GitLab is taking too much time to respond."), (503, "GitLab")],
)
def test_http_error_fault_serves_an_html_error_page(
    sim: Simulator, status: int, wording: str
) -> None:
    expected = baseline(sim)
    set_faults(sim, f"http_error:status={status},count=2")
    for _ in range(2):
        response = post(sim)
        assert response.status_code == status
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.text.startswith("<!DOCTYPE html>")
        assert f"({status})</title>" in response.text
        assert wording in response.text
    assert_normal(sim, expected)
    assert fault_counts(sim)["http_error"] == 2


def test_http_error_fault_defaults_to_502(sim: Simulator) -> None:
    assert set_faults(sim, "http_error")[0]["status"] == 502
    assert post(sim).status_code == 502
    assert post(sim).status_code == 200


def test_slow_fault_outlasts_the_client_timeout_then_the_next_request_is_normal(
    sim: Simulator,
) -> None:
    expected = baseline(sim)
    set_faults(sim, "slow:seconds=2")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(sim, timeout=0.5)
    assert time.monotonic() - started < 1.9
    assert_normal(sim, expected)  # while the slow answer is still being held back
    assert fault_counts(sim)["slow"] == 1


def test_slow_fault_answers_normally_when_the_client_waits(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "slow:seconds=0.6")
    started = time.monotonic()
    response = post(sim)
    assert time.monotonic() - started >= 0.6
    assert response.status_code == 200
    assert response.json() == expected


def test_drop_fault_closes_the_connection_without_a_response(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "drop:count=2")
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError, match="without response"):
            post(sim)
    assert_normal(sim, expected)
    assert fault_counts(sim)["drop"] == 2


def test_truncate_fault_announces_the_whole_body_and_sends_half(sim: Simulator) -> None:
    set_faults(sim, "truncate")
    host, port = sim.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    body = json.dumps({"query": PROBE})
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    connection.request("POST", "/api/graphql", body=body, headers=headers)
    answer = connection.getresponse()
    assert answer.status == 200
    announced = int(answer.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as incomplete:
        answer.read()
    connection.close()
    partial = incomplete.value.partial
    full = post(sim)  # the same request, answered whole
    assert full.status_code == 200
    assert len(full.content) == announced
    assert partial == full.content[: announced // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(partial)
    assert fault_counts(sim)["truncate"] == 1


def test_truncate_fault_breaks_a_requests_client(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        post(sim)
    assert_normal(sim, expected)


# -- graphql_timeout and null -----------------------------------------------------------------


def test_graphql_timeout_fault_is_gitlabs_503_timeout_answer(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "graphql_timeout")
    response = post(sim)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"errors": [{"message": GRAPHQL_TIMEOUT_MESSAGE}]}
    assert GRAPHQL_TIMEOUT_MESSAGE == (
        "Request timed out. Please try a less complex query or a smaller set of records."
    )
    assert_normal(sim, expected)
    assert fault_counts(sim)["graphql_timeout"] == 1


def test_graphql_timeout_fault_with_status_200(sim: Simulator) -> None:
    set_faults(sim, "graphql_timeout:status=200")
    response = post(sim)
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [{"message": GRAPHQL_TIMEOUT_MESSAGE}]}


def test_graphql_timeout_fault_on_a_field_is_graphql_rubys_timeout(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "graphql_timeout:field=aiUsageData")
    response = post(sim)
    assert response.status_code == 200
    payload = response.json()
    group_id = expected["data"]["group"]["id"]
    assert payload["data"] == {"group": {"id": group_id, "aiUsageData": None}}
    [error] = payload["errors"]
    assert error["message"] == "Timeout on Group.aiUsageData"
    assert error["path"] == ["group", "aiUsageData"]
    assert error["locations"]
    assert_normal(sim, expected)


def test_null_fault_is_a_silent_null(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "null:field=aiUsageData,count=2")
    for _ in range(2):
        response = post(sim)
        assert response.status_code == 200
        group_id = expected["data"]["group"]["id"]
        assert response.json() == {"data": {"group": {"id": group_id, "aiUsageData": None}}}
    assert_normal(sim, expected)
    assert fault_counts(sim)["null"] == 2


def test_null_fault_on_a_qualified_field_leaves_other_types_alone(sim: Simulator) -> None:
    query = """query Both {
      group(fullPath: "acme-corp") { aiMetrics(startDate: "2025-09-01", endDate: "2025-09-30")
        { duoUsedCount } }
      project(fullPath: "globex/website") {
        aiMetrics(startDate: "2025-09-01", endDate: "2025-09-30") { duoUsedCount } }
    }"""
    normal = post(sim, query).json()
    assert normal["data"]["group"]["aiMetrics"] is not None
    set_faults(sim, {"kind": "null", "field": "Group.aiMetrics"})
    payload = post(sim, query).json()
    assert payload == {"data": {"group": {"aiMetrics": None}, "project": normal["data"]["project"]}}
    assert post(sim, query).json() == normal


@pytest.mark.parametrize(
    ("fault", "complaint"),
    [
        ({"kind": "null", "field": "id"}, "non-null"),
        ({"kind": "null", "field": "noSuchField"}, "not in the schema"),
        ({"kind": "null"}, "needs field"),
        ({"kind": "graphql_timeout", "field": "group", "status": 503}, "not both"),
        ({"kind": "http_error", "status": 404}, "status must be one of 502, 503"),
        ({"kind": "slow", "seconds": 0}, "positive"),
        ({"kind": "drop", "retry_after": 1}, "does not take retry_after"),
        ({"kind": "teleport"}, "kind must be one of"),
        ({"kind": "drop", "count": 0}, "count must be an integer of at least 1"),
        ("rate_limit:count", "expected key=value"),
        ("{not json", "not valid JSON"),
    ],
)
def test_invalid_faults_are_refused_and_change_nothing(
    sim: Simulator, fault: object, complaint: str
) -> None:
    set_faults(sim, "drop")
    response = requests.post(
        f"{sim.url}/-/simulator/settings", json={"faults": [fault]}, timeout=TIMEOUT
    )
    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert [f["kind"] for f in control(sim, "GET", "settings")["faults"]] == ["drop"]


# -- redirect and the echo log ----------------------------------------------------------------


def test_redirect_fault_points_elsewhere_without_a_body(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "redirect:status=308,location=https://elsewhere.example/api/graphql?a=1,b")
    response = post(sim)
    assert response.status_code == 308
    assert response.headers["Location"] == "https://elsewhere.example/api/graphql?a=1,b"
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert_normal(sim, expected)
    assert fault_counts(sim)["redirect"] == 1


def test_redirect_goes_to_the_echo_under_another_host_name(sim: Simulator) -> None:
    control(sim, "POST", "echo-log/reset")
    set_faults(sim, "redirect:count=2")  # 307 to the echo endpoint, under "localhost"
    port = sim.url.rsplit(":", 1)[1]
    bearer = post(sim, allow_redirects=True)
    assert bearer.history[0].status_code == 307
    assert bearer.history[0].headers["Location"] == f"http://localhost:{port}/-/simulator/echo"
    assert bearer.json()["echo"] is True
    private = post(sim, headers={"PRIVATE-TOKEN": ADMIN_TOKEN}, allow_redirects=True)
    assert private.history[0].status_code == 307
    log = control(sim, "GET", "echo-log")["requests"]
    assert [entry["method"] for entry in log] == ["POST", "POST"]  # 307 keeps the method
    assert [entry["path"] for entry in log] == ["/-/simulator/echo"] * 2
    # requests drops Authorization when the host changes, but not PRIVATE-TOKEN.
    assert [entry["authorization"] for entry in log] == [False, False]
    assert [entry["private_token"] for entry in log] == [False, True]
    assert log[1]["headers"]["PRIVATE-TOKEN"] == "[redacted]"
    assert log[0]["headers"]["Host"] == f"localhost:{port}"
    assert log[0]["body_bytes"] == len(json.dumps({"query": PROBE}))
    assert ADMIN_TOKEN not in json.dumps(log)


def test_echo_records_any_request_and_redacts_credentials(sim: Simulator) -> None:
    control(sim, "POST", "echo-log/reset")
    requests.get(
        f"{sim.url}/-/simulator/echo?x=1",
        headers={"Authorization": "Bearer secret-value", "X-Probe": "yes"},
        timeout=TIMEOUT,
    )
    [entry] = control(sim, "GET", "echo-log")["requests"]
    assert entry["method"] == "GET"
    assert entry["query_string"] == "x=1"
    assert entry["authorization"] is True
    assert entry["private_token"] is False
    assert entry["headers"]["Authorization"] == "[redacted]"
    assert entry["headers"]["X-Probe"] == "yes"
    assert "secret-value" not in json.dumps(entry)
    assert control(sim, "POST", "echo-log/reset") == {"requests": []}
    assert control(sim, "GET", "echo-log") == {"requests": []}


# -- triggers ---------------------------------------------------------------------------------


def statuses(sim: Simulator, n: int, query: str = PROBE) -> list[int]:
    return [post(sim, query).status_code for _ in range(n)]


def test_every_fires_on_every_nth_request(sim: Simulator) -> None:
    set_faults(sim, "http_error:every=3")
    assert statuses(sim, 7) == [200, 200, 502, 200, 200, 502, 200]


def test_every_with_count_stops(sim: Simulator) -> None:
    set_faults(sim, "http_error:every=2,count=2")
    assert statuses(sim, 7) == [200, 502, 200, 502, 200, 200, 200]


def test_after_lets_requests_through_first(sim: Simulator) -> None:
    set_faults(sim, "http_error:after=2,count=2")
    assert statuses(sim, 5) == [200, 200, 502, 502, 200]


def test_operation_restricts_a_fault_to_matching_requests(sim: Simulator) -> None:
    set_faults(sim, "http_error:operation=Other,count=2")
    assert statuses(sim, 2) == [200, 200]  # `Probe` is not counted
    # the name comes from operationName or, without it, from the query text
    assert post(sim, OTHER).status_code == 502
    assert post(sim, "query Q { currentUser { id } }", operation_name="Other").status_code == 502
    assert post(sim, OTHER).status_code == 200


def test_faults_apply_in_order_and_a_claimed_request_is_not_seen_again(sim: Simulator) -> None:
    expected = baseline(sim)
    set_faults(sim, "rate_limit:count=1", "http_error:count=1", "drop:count=1")
    assert statuses(sim, 2) == [429, 502]
    with pytest.raises(requests.exceptions.ConnectionError):
        post(sim)
    assert_normal(sim, expected)
    assert fault_counts(sim) == {
        "rate_limit": 1,
        "http_error": 1,
        "slow": 0,
        "drop": 1,
        "truncate": 0,
        "graphql_timeout": 0,
        "null": 0,
        "redirect": 0,
    }


def test_setting_faults_replaces_the_list_and_restarts_triggers(sim: Simulator) -> None:
    set_faults(sim, "http_error:count=2")
    assert statuses(sim, 1) == [502]
    set_faults(sim, "http_error:count=2")  # the same again: a fresh count
    assert statuses(sim, 3) == [502, 502, 200]
    set_faults(sim, "http_error:every=1")
    assert set_faults(sim) == []  # [] clears
    assert statuses(sim, 2) == [200, 200]


def test_settings_show_faults_as_json_that_round_trips(sim: Simulator) -> None:
    shown = set_faults(
        sim, "rate_limit:count=3,retry_after=2", {"kind": "null", "field": "aiMetrics"}
    )
    assert shown == [
        {
            "kind": "rate_limit",
            "retry_after": 2,
            "limit": 2000,
            "name": "throttle_authenticated_api",
            "count": 3,
            "every": 1,
            "after": 0,
        },
        {"kind": "null", "field": "aiMetrics", "count": 1, "every": 1, "after": 0},
    ]
    assert set_faults(sim, *shown) == shown
    settings = control(sim, "GET", "settings")
    assert control(sim, "POST", "settings", json=settings) == settings


def test_fault_specs_in_both_forms() -> None:
    compact = parse_fault_spec("rate_limit:count=3,retry_after=2,operation=Events")
    assert compact == parse_fault_spec(
        '{"kind": "rate_limit", "count": 3, "retry_after": 2, "operation": "Events"}'
    )
    assert (compact.count, compact.every, compact.after, compact.operation) == (3, 1, 0, "Events")
    assert compact.params == {"retry_after": 2, "limit": 2000, "name": "throttle_authenticated_api"}
    assert parse_fault_spec("drop").count == 1  # by default the next request only
    assert parse_fault_spec("drop:every=4").count is None  # every 4th, without end
    assert parse_fault_spec(" slow : seconds = 1.5 ").params == {"seconds": 1.5}
    assert parse_fault_spec("graphql_timeout").params == {"status": 503, "field": None}
    redirect = parse_fault_spec("redirect:location=http://h/x?a=1,b=2,status=308")
    assert redirect.params == {"status": 308, "location": "http://h/x?a=1,b=2"}
    assert parse_fault_spec("drop:") == Fault("drop")
    for bad in ("", "drop:count=two", "null:field=", "rate_limit:retry_after=-1", "drop:x"):
        with pytest.raises(FaultError):
            parse_fault_spec(bad)


# -- latency ----------------------------------------------------------------------------------


def test_latency_delays_every_graphql_response(sim: Simulator) -> None:
    expected = baseline(sim)
    control(sim, "POST", "settings", json={"latency_ms": 300})
    for query, payload in ((PROBE, expected), ("{ nope }", None)):
        started = time.monotonic()
        response = post(sim, query)
        assert time.monotonic() - started >= 0.3
        if payload is not None:
            assert response.json() == payload
    started = time.monotonic()
    control(sim, "GET", "health")  # the control API is not delayed
    assert time.monotonic() - started < 0.3
    control(sim, "POST", "settings", json={"latency_ms": 0})
    started = time.monotonic()
    post(sim)
    assert time.monotonic() - started < 0.3


def test_latency_overlaps_for_concurrent_requests(sim: Simulator) -> None:
    control(sim, "POST", "settings", json={"latency_ms": 500})
    control(sim, "POST", "stats/reset")
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(post(sim).status_code)) for _ in range(4)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    elapsed = time.monotonic() - started
    assert results == [200] * 4
    assert 0.5 <= elapsed < 1.5  # four requests of 0.5 s, served at the same time
    assert control(sim, "GET", "stats")["max_in_flight"] >= 2


def test_latency_jitter_adds_up_to_its_maximum(sim: Simulator) -> None:
    control(sim, "POST", "settings", json={"latency_ms": 100, "latency_jitter_ms": 200})
    durations = []
    for _ in range(5):
        started = time.monotonic()
        assert post(sim).status_code == 200
        durations.append(time.monotonic() - started)
    assert all(0.1 <= d < 0.3 + 0.5 for d in durations), durations
    assert len({round(d, 3) for d in durations}) > 1, durations
    bad = requests.post(f"{sim.url}/-/simulator/settings", json={"latency_ms": -1}, timeout=TIMEOUT)
    assert bad.status_code == 400


# -- stats ------------------------------------------------------------------------------------


def test_stats_count_query_strings_and_authorization_schemes(sim: Simulator) -> None:
    control(sim, "POST", "stats/reset")
    post(sim)  # Bearer
    post(sim, headers={"PRIVATE-TOKEN": ADMIN_TOKEN})
    post(sim, headers={})
    post(sim, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    post(sim, url=f"{sim.graphql_url}?variables=%7B%7D")
    requests.get(
        sim.graphql_url,
        params={"query": "{ currentUser { id } }"},
        headers={"PRIVATE-TOKEN": ADMIN_TOKEN},
        timeout=TIMEOUT,
    )
    stats = control(sim, "GET", "stats")
    assert stats["graphql_requests"] == 6
    assert stats["requests_with_query_string"] == 2
    assert stats["authorization_schemes"] == {
        "Bearer": 2,
        "PRIVATE-TOKEN": 2,
        "other": 1,
        "none": 1,
    }
    assert ADMIN_TOKEN not in json.dumps(stats)
    assert "dXNlcjpwYXNz" not in json.dumps(stats)
    reset = control(sim, "POST", "stats/reset")
    assert reset["requests_with_query_string"] == 0
    assert set(reset["authorization_schemes"].values()) == {0}
    assert set(reset["faults"].values()) == {0}
    assert reset["rate_limited"] == 0


def test_stats_count_each_fault_kind(sim: Simulator) -> None:
    control(sim, "POST", "stats/reset")
    set_faults(
        sim,
        "graphql_timeout:count=2",
        "null:field=aiUsageData",
        "redirect",
        "http_error:status=503",
    )
    assert statuses(sim, 6) == [503, 503, 200, 307, 503, 200]
    stats = control(sim, "GET", "stats")
    assert stats["graphql_requests"] == 6
    assert stats["faults"] == {
        "rate_limit": 0,
        "http_error": 1,
        "slow": 0,
        "drop": 0,
        "truncate": 0,
        "graphql_timeout": 2,
        "null": 1,
        "redirect": 1,
    }


# -- the command line -------------------------------------------------------------------------


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            "0",
            "--days",
            "2",
            "--events-per-day",
            "20",
            "--end-date",
            "2025-09-30",
            *args,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_cli_takes_faults_latency_and_rate_limit() -> None:
    process = _start(
        "--fault",
        "rate_limit:count=2,retry_after=5",
        "--fault",
        '{"kind": "http_error", "status": 503}',
        "--latency-ms",
        "50",
        "--rate-limit-per-minute",
        "600",
        "--rate-limit-period-seconds",
        "10",
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"GITLAB_SIMULATOR_URL=(http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        url = match.group(1)
        settings = requests.get(f"{url}/-/simulator/settings", timeout=TIMEOUT).json()
        assert settings["latency_ms"] == 50
        assert settings["rate_limit_per_minute"] == 600
        assert settings["rate_limit_period_seconds"] == 10
        assert [(f["kind"], f["count"]) for f in settings["faults"]] == [
            ("rate_limit", 2),
            ("http_error", 1),
        ]
        answers = []
        for _ in range(4):
            started = time.monotonic()
            answer = requests.post(
                f"{url}/api/graphql",
                json={"query": "{ currentUser { id } }"},
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                timeout=TIMEOUT,
            )
            assert time.monotonic() - started >= 0.05
            answers.append(answer)
        assert [a.status_code for a in answers] == [429, 429, 503, 200]
        assert answers[0].headers["Retry-After"] == "5"
        assert answers[3].headers["RateLimit-Limit"] == "600"
        assert answers[3].headers["RateLimit-Observed"] == "4"  # 100 per 10 s window
        assert answers[3].headers["RateLimit-Remaining"] == "96"
    finally:
        _stop(process)
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--fault", "teleport"], "kind must be one of"),
        (["--fault", "null:field=id"], "non-null"),
        (["--latency-ms", "-5"], "latency_ms must be an integer from 0"),
    ],
)
def test_cli_refuses_bad_faults_and_knobs(args: list[str], complaint: str) -> None:
    process = _start(*args)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        _stop(process)
    assert process.returncode == 2
    assert complaint in stderr
