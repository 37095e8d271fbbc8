"""Bad input through the real command line: one clear line, non-zero exit, no trace.

Settings are checked before any request: the simulator must see none.
"""

from __future__ import annotations

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
    lines = [line for line in error_lines(run) if "Config validation failed" not in line]
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
    ({"token": None}, "token"),
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
