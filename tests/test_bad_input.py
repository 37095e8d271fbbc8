"""Bad input through the real command line: one clear line, non-zero exit, no trace.

Settings are checked before any request: the simulator must see none.
"""

from __future__ import annotations

import socket
import typing as t

import pytest

from tests.simulator_process import SimulatorProcess, shared_simulator
from tests.tap_runner import TapRun, base_config, run_tap


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


def error_lines(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if "| ERROR" in line]


def assert_one_clear_failure(run: TapRun, names: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = error_lines(run)
    assert len(lines) == 1, run.stderr[-2000:]
    assert names in lines[0]
    assert not [m for m in run.messages if m["type"] == "RECORD"]


CONFIG_ERRORS: list[tuple[dict[str, t.Any], str]] = [
    ({"api_url": "gitlab.example.com"}, "'api_url'"),
    ({"api_url": "http://gitlab.example.com"}, "'allow_http'"),
    ({"api_url": "https://gitlab.example.com/api/graphql"}, "'api_url'"),
    ({"group_paths": [], "project_paths": [], "instance": False}, "No scope configured"),
    ({"group_paths": ["acme-corp", "acme-corp/platform"]}, "'allow_overlapping_scopes'"),
    ({"group_paths": ["acme corp"]}, "'group_paths'"),
    ({"start_date": "last tuesday"}, "'start_date'"),
    ({"start_date": "2026-10-05T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "'end_date'"),
    ({"lookback_days": 365}, "'lookback_days'"),
    ({"page_size": 0}, "'page_size'"),
    ({"concurrency": 100}, "'concurrency'"),
    ({"metric_periods": ["fortnight"]}, "'metric_periods'"),
    ({"ca_bundle": "/nonexistent/ca.pem"}, "'ca_bundle'"),
    ({"lookback_days": "three"}, "lookback_days"),
    ({"token": None}, "Setting 'token' is required"),
    ({"token": "glpat-sim-admin\n"}, "Setting 'token' contains spaces, line breaks"),
    ({"token": "   "}, "Setting 'token' is empty"),
    ({"token": 987654321}, "Setting 'token' has the wrong type (value not shown)"),
    ({"user_agent": "tap\r\nX-Injected: 1"}, "Setting 'user_agent' contains line breaks"),
]


@pytest.mark.parametrize(("overrides", "names"), CONFIG_ERRORS, ids=[c[1] for c in CONFIG_ERRORS])
def test_bad_setting_fails_before_any_request(
    simulator: SimulatorProcess, overrides: dict[str, t.Any], names: str
) -> None:
    simulator.control("POST", "stats/reset")
    config = {k: v for k, v in {**base_config(simulator), **overrides}.items() if v is not None}
    run = run_tap(config, check=False, streams=None)
    assert_one_clear_failure(run, names)
    assert simulator.control("GET", "stats")["graphql_requests"] == 0
    assert "987654321" not in run.stderr, "a secret's value is never echoed"


RUNTIME_ERRORS: list[tuple[dict[str, t.Any], str]] = [
    ({"token": "glpat-not-a-real-token"}, "GitLab rejected the token (HTTP 401)"),
    ({"group_paths": ["acme-corp/nope"], "project_paths": []}, "'group_paths' was not found"),
    ({"group_paths": ["globex/website"], "project_paths": []}, "list it in 'project_paths'"),
    ({"project_paths": ["acme-corp/platform"], "group_paths": []}, "list it in 'group_paths'"),
    ({"token": "glpat-sim-outsider"}, "cannot see it"),
]


@pytest.mark.parametrize(("overrides", "names"), RUNTIME_ERRORS, ids=[c[1] for c in RUNTIME_ERRORS])
def test_wrong_token_or_scope_stops_before_the_first_record(
    simulator: SimulatorProcess, overrides: dict[str, t.Any], names: str
) -> None:
    config = base_config(simulator, start_date="2026-10-01T00:00:00Z",
                         end_date="2026-10-01T00:00:00Z", **overrides)  # fmt: skip
    run = run_tap(config, check=False, streams=None)
    assert_one_clear_failure(run, names)
    assert "glpat-not-a-real-token" not in run.stderr


def test_an_unreachable_gitlab_stops_with_one_line_naming_api_url() -> None:
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    config = {"api_url": f"http://127.0.0.1:{port}", "token": "glpat-sim-admin",
              "group_paths": ["acme-corp"], "max_retries": 1, "max_backoff_seconds": 1}  # fmt: skip
    run = run_tap(config, check=False, streams=None)
    assert_one_clear_failure(run, "Could not check the token and scopes")
    assert "cannot connect: Connection refused" in error_lines(run)[0]
    assert "Check 'api_url'" in error_lines(run)[0]


@pytest.mark.parametrize(
    ("scopes", "skipped"),
    [
        ({"project_paths": ["globex/website"], "group_paths": [], "instance": False},
         ["duo_seat_assignments"]),
        ({"instance": True, "group_paths": [], "project_paths": []},
         ["code_suggestion_events", "ai_user_metrics", "ai_metrics"]),
    ],
    ids=["projects only", "instance only"],
)  # fmt: skip
def test_streams_a_scope_kind_cannot_serve_are_skipped_with_a_warning(
    simulator: SimulatorProcess, scopes: dict[str, t.Any], skipped: list[str]
) -> None:
    config = base_config(simulator, start_date="2026-10-01T00:00:00Z",
                         end_date="2026-10-01T00:00:00Z", **scopes)  # fmt: skip
    run = run_tap(config, check=False, streams=None)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    for stream in skipped:
        assert f"Stream '{stream}' skipped: no configured scope is of a kind it serves" in (
            run.stderr
        )
        assert not run.records.get(stream)
    assert run.records["ai_usage_events"], "the streams it serves still sync"
