"""The token travels only in the Authorization header to api_url: never in output.

Runs the real tap at DEBUG log level and searches everything it wrote.
"""

from __future__ import annotations

import json

import pytest

from tests.simulator_process import ADMIN_TOKEN, SimulatorProcess, shared_simulator
from tests.tap_runner import base_config, run_tap

DEBUG = {"TAP_GITLAB_DUO_LOGLEVEL": "DEBUG", "LOGLEVEL": "DEBUG"}


@pytest.fixture(scope="module")
def simulator() -> SimulatorProcess:
    return shared_simulator()


def test_token_appears_nowhere_in_a_debug_sync(simulator: SimulatorProcess) -> None:
    config = base_config(simulator, start_date="2026-10-01T00:00:00Z",
                         end_date="2026-10-02T00:00:00Z")  # fmt: skip
    run = run_tap(config, streams=None, extra_env=DEBUG)
    assert "DEBUG" in run.stderr, "the run must really log at debug level"
    assert run.records["ai_usage_events"]
    assert ADMIN_TOKEN not in run.stderr
    stdout = "\n".join(json.dumps(m) for m in run.messages)
    assert ADMIN_TOKEN not in stdout
    assert ADMIN_TOKEN not in json.dumps(run.states)


def test_rejected_token_appears_nowhere_in_the_failure(simulator: SimulatorProcess) -> None:
    secret = "glpat-LeakCheck-0123456789abcdef"
    config = base_config(simulator, token=secret, start_date="2026-10-01T00:00:00Z",
                         end_date="2026-10-01T00:00:00Z")  # fmt: skip
    run = run_tap(config, check=False, streams=None, extra_env=DEBUG)
    assert run.returncode != 0
    assert "GitLab rejected the token" in run.stderr
    assert secret not in run.stderr
    assert secret not in json.dumps(run.messages)


@pytest.mark.parametrize(
    "token",
    [
        "glpat-LeakCheck-0123456789abcdef\n",
        "glpat-LeakCheck 0123456789abcdef",
        "glpat-LeakCheck-0123456789abcdef\u2026",
        1234567890123,
    ],
    ids=["trailing newline", "inner space", "typographic character", "not text"],
)
def test_a_malformed_token_is_refused_without_showing_it(
    simulator: SimulatorProcess, token: str | int
) -> None:
    # requests would fail on such a header with an exception quoting it whole.
    config = base_config(simulator, token=token)
    run = run_tap(config, check=False, streams=None, extra_env=DEBUG)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "Setting 'token'" in run.stderr
    distinctive = "0123456789abcdef" if isinstance(token, str) else str(token)
    assert distinctive not in run.stderr
    assert distinctive not in json.dumps(run.messages)
