"""The README's main command, run as a user runs it: `bash scripts/demo.sh`.

Simulator, embedded PostgreSQL, two `meltano run`s, dbt and the report, all real; the
demo must end well, show what it promises, and leave no process behind.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.support.meltano import REPO_ROOT

pytestmark = pytest.mark.e2e

STREAMS = (
    "ai_metrics",
    "ai_usage_events",
    "ai_user_metrics",
    "code_suggestion_events",
    "duo_seat_assignments",
)


def demo_processes() -> list[str]:
    """Command lines of processes still using the demo's directory."""
    listed = subprocess.run(
        ["ps", "-eo", "stat=,args="], capture_output=True, text=True, check=True
    )
    return [
        line
        for line in listed.stdout.splitlines()
        if str(REPO_ROOT / ".demo") in line and not line.lstrip().startswith("Z")
    ]


def test_the_demo_syncs_twice_builds_the_models_and_leaves_nothing_running() -> None:
    # The demo's own path: none of a developer's settings for a real GitLab or database.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_GITLAB_DUO_", "TARGET_POSTGRES_", "DBT_POSTGRES_"))
    }
    demo = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-3000:]
    for stream in STREAMS:
        loaded = re.search(rf"^\s+{stream}\s+(\d+)$", output, re.MULTILINE)
        assert loaded, f"no row count for {stream}"
        assert int(loaded.group(1)) > 0, stream
    assert re.search(r"^\s+all\s+\d+\s+\d+\s+\d+\.\d%$", output, re.MULTILINE), "acceptance"
    assert re.search(r"acme-corp\s+DUO_ENTERPRISE\s+\d+\s+\d+\s+\d+\s+\d+", output), "seats"
    second = re.findall(r"^\s+(\w+)\s+\+(\d+) new rows", output, re.MULTILINE)
    assert {stream for stream, _ in second} == set(STREAMS)
    assert sum(int(new) for _, new in second) > 0, "the late events arrive in sync 2"
    assert re.search(r"dbt: PASS=\d+ WARN=0 ERROR=0", output), output[-2000:]
    assert "(10 of 10 charts" in output
    assert (REPO_ROOT / ".demo" / "gitlab-duo-report.html").is_file()
    assert "everything the demo started is stopped" in output
    assert demo_processes() == []
