"""The error policy as a table: every kind of answer, classified once."""

from __future__ import annotations

import contextlib
import json
import typing as t

import pytest
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_gitlab_duo.client import (
    DuoStream,
    FinalFailureError,
    GraphQLTimeoutError,
    ThrottledError,
    graphql_body,
    smaller_page,
)
from tap_gitlab_duo.graphql_response import StreamUnavailableError
from tap_gitlab_duo.queries import load_operation
from tap_gitlab_duo.tap import TapGitlabDuo
from tap_gitlab_duo.throttle import RequestGate

TOKEN = "glpat-policy-test-secret"
CONNECTION = {"scope": {"aiUsageData": {"all": {"nodes": [], "pageInfo": {"hasNextPage": False}}}}}


class RecordedSleep:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def stream(sleep: RecordedSleep) -> DuoStream:
    tap = TapGitlabDuo(
        config={"token": TOKEN, "group_paths": ["acme"], "api_url": "https://gitlab.example.com"},
        validate_config=True,
    )
    # The run's shared gate, with a recorded sleep so tests do not wait.
    tap.__dict__["request_gate"] = RequestGate(sleep=sleep)
    return t.cast("DuoStream", tap.streams["ai_usage_events"])


def answer(
    status: int, body: t.Any = None, *, text: str | None = None, **headers: str
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "reason"
    response.url = "https://gitlab.example.com/api/graphql"
    response._content = (text if text is not None else json.dumps(body)).encode()
    response.headers.update(headers)
    return response


def errors(*entries: dict[str, t.Any], data: t.Any = None) -> dict[str, t.Any]:
    return {"data": data, "errors": list(entries)}


CASES: list[tuple[str, requests.Response, type[BaseException] | None, str]] = [
    ("ok", answer(200, {"data": CONNECTION}), None, ""),
    ("redirect", answer(307, None, text="", Location="https://elsewhere.example/api/graphql"),
     FatalAPIError, "https://elsewhere.example/api/graphql"),
    ("bad token", answer(401, {"errors": [{"message": "Invalid token"}]}), FatalAPIError,
     "'token'"),
    ("no endpoint", answer(404, None, text="Not Found"), FatalAPIError, "'api_url'"),
    ("forbidden", answer(403, None, text="Forbidden"), FatalAPIError, "403"),
    ("rate limited", answer(429, None, text="Retry later", **{"Retry-After": "7"}), ThrottledError,
     "rate limit reached (HTTP 429)"),
    ("bad gateway", answer(502, None, text="<html>502</html>"), RetriableAPIError, "502"),
    ("unavailable", answer(503, None, text="<html>503</html>"), RetriableAPIError, "503"),
    ("truncated json", answer(200, None, text='{"data": {"scope": {"aiUs'), RetriableAPIError,
     "not valid JSON"),
    ("graphql timeout", answer(200, errors({"message": "Request timed out"})), GraphQLTimeoutError,
     "timed out"),
    ("graphql timeout as 503", answer(503, {"errors": [{"message":
        "Request timed out. Please try a less complex query or a smaller set of records."}]}),
     GraphQLTimeoutError, "timed out"),
    ("field timeout", answer(200, errors({"message": "Timeout on Group.aiUsageData",
                                          "path": ["scope", "aiUsageData"]},
                                         data={"scope": {"aiUsageData": None}})),
     GraphQLTimeoutError, "Timeout on"),
    ("denied", answer(200, errors({
        "message": "The resource that you are attempting to access does not exist or you "
                   "don't have permission to perform this action",
        "path": ["scope", "aiMetrics"]})),
     StreamUnavailableError, "permission"),
    ("complexity", answer(200, errors(
        {"message": "Query has complexity of 300, which exceeds max complexity of 250"})),
     FatalAPIError, "complexity"),
    ("date range", answer(200, errors({"message": "maximum date range is 1 month",
                                       "path": ["scope", "aiUsageData", "all"]},
                                      data={"scope": {"aiUsageData": {"all": None}}})),
     FatalAPIError, "maximum date range"),
    ("error inside a node", answer(200, errors(
        {"message": "user failed", "path": ["scope", "aiUsageData", "all", "nodes", 3, "user"]},
        data=CONNECTION)), FatalAPIError, "user failed"),
    ("partial elsewhere", answer(200, errors(
        {"message": "complexity unavailable", "path": ["queryComplexity"]},
        data={**CONNECTION, "queryComplexity": None})), None, ""),
]  # fmt: skip


@pytest.mark.parametrize(("name", "response", "raised", "text"), CASES, ids=[c[0] for c in CASES])
def test_each_answer_is_classified_once(
    stream: DuoStream,
    name: str,
    response: requests.Response,
    raised: type[BaseException] | None,
    text: str,
) -> None:
    expectation = pytest.raises(raised) if raised else contextlib.nullcontext()
    with expectation as caught:
        stream.validate_response(response)
    if raised:
        message = str(t.cast("pytest.ExceptionInfo[BaseException]", caught).value)
        assert text in message, name
        assert TOKEN not in message


def test_fatal_and_retriable_are_distinct_families() -> None:
    # The SDK retries only RetriableAPIError: a fatal answer must never be one.
    assert not issubclass(FatalAPIError, RetriableAPIError)
    assert issubclass(ThrottledError, RetriableAPIError)
    assert issubclass(GraphQLTimeoutError, RetriableAPIError)


def test_a_429_pauses_every_worker(stream: DuoStream, sleep: RecordedSleep) -> None:
    other_stream = t.cast("DuoStream", stream._tap.streams["code_suggestion_events"])
    with pytest.raises(ThrottledError) as caught:
        stream.validate_response(answer(429, None, text="Retry later", **{"Retry-After": "3"}))
    assert caught.value.wait_seconds == 3.0
    # Any worker of any stream now waits before its next request.
    other_stream.request_gate.wait_turn()
    assert sleep.slept
    assert 2.5 < sleep.slept[0] <= 3.0


def test_a_429_without_headers_waits_a_minute(stream: DuoStream) -> None:
    with pytest.raises(ThrottledError) as caught:
        stream.validate_response(answer(429, None, text="Retry later"))
    assert caught.value.wait_seconds == 60.0


def test_timeouts_shrink_the_page_100_50_20_then_stay() -> None:
    operation = load_operation("ai_usage_events.graphql", "AiUsageEventsGroup")
    variables = {"fullPath": "a", "startDate": "2026-01-01", "endDate": "2026-01-02",
                 "first": 100, "after": "c1"}  # fmt: skip
    body = graphql_body(operation, variables)
    prepared = requests.Request("POST", "https://x.example/api/graphql", json=body).prepare()
    assert smaller_page(prepared) == 50
    assert smaller_page(prepared) == 20
    assert smaller_page(prepared) is None
    sent = json.loads(t.cast("bytes", prepared.body))
    assert sent["variables"] == {**body["variables"], "first": 20}
    assert prepared.headers["Content-Length"] == str(len(t.cast("bytes", prepared.body)))


WINDOW = {"scope_type": "group", "scope_path": "acme", "start_date": "2026-10-01",
          "end_date": "2026-10-02"}  # fmt: skip
FAILURES: list[tuple[Exception, str, str]] = [
    (RetriableAPIError("HTTP 502 Bad Gateway"), "gave up after 6 attempts: HTTP 502",
     "raise 'max_retries'"),
    (requests.exceptions.ConnectTimeout("slow"), "gave up after 6 attempts: no answer within",
     "check 'api_url' and the network"),
    (requests.exceptions.InvalidURL("no host"), "failed: no host", "Fix what it names"),
    (FatalAPIError("GitLab rejected the token (HTTP 401): check the 'token' setting"),
     "stopped: GitLab rejected the token", "Fix what it names"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "what", "advice"), FAILURES, ids=lambda v: type(v).__name__)
def test_a_final_failure_names_stream_scope_day_and_only_advice_that_fits(
    stream: DuoStream, error: Exception, what: str, advice: str
) -> None:
    with pytest.raises(FinalFailureError) as caught, stream.failures_named(WINDOW):
        raise error
    line = str(caught.value)
    assert line.startswith(f"Stream '{stream.name}' on group 'acme', day 2026-10-01 {what}")
    assert advice in line
    retried = what.startswith("gave up")
    assert ("raise 'max_retries'" in line) is retried, "retry advice only after retries"


def test_a_failure_named_once_is_not_named_again(stream: DuoStream) -> None:
    with (
        pytest.raises(FinalFailureError) as caught,
        stream.failures_named(WINDOW),
        stream.failures_named({**WINDOW, "day": "2026-10-07"}),
    ):
        raise RetriableAPIError("HTTP 503")
    assert str(caught.value).count(f"Stream '{stream.name}'") == 1
    assert "day 2026-10-07" in str(caught.value), "the synced day, not the period's start"
