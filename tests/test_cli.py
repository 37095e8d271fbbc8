"""The SDK command line as users call it: about, discover, repeated --config, ENV."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tap_gitlab_duo.tap import STREAM_TYPES

STREAMS = {str(vars(stream_type)["name"]) for stream_type in STREAM_TYPES}


def tap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tap_gitlab_duo", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_about_json_lists_every_setting_and_capability() -> None:
    about = json.loads(tap("--about", "--format", "json").stdout)
    assert about["name"] == "tap-gitlab-duo"
    assert {"state", "catalog", "discover", "batch"} <= set(about["capabilities"])
    assert about["settings"]["properties"]["token"]["secret"] is True
    assert "3.10" in about["supported_python_versions"]


def test_discover_with_config_files_merged_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"token": "t", "group_paths": ["one"]}))
    second.write_text(json.dumps({"group_paths": ["two"], "lookback_days": 5}))
    done = tap("--config", str(first), "--config", str(second), "--discover")
    assert done.returncode == 0, done.stderr
    catalog = json.loads(done.stdout)
    assert {entry["tap_stream_id"] for entry in catalog["streams"]} == STREAMS


def test_discover_with_settings_from_the_environment() -> None:
    env = {"TAP_GITLAB_DUO_TOKEN": "t", "TAP_GITLAB_DUO_GROUP_PATHS": '["my-org"]'}
    done = tap("--config", "ENV", "--discover", env=env)
    assert done.returncode == 0, done.stderr
    keys = {e["tap_stream_id"]: e["key_properties"] for e in json.loads(done.stdout)["streams"]}
    assert keys["ai_usage_events"] == ["event_key"]
    assert keys["ai_user_metrics"] == ["scope_type", "scope_path", "period", "date", "user_id"]


def test_environment_settings_are_validated_like_files() -> None:
    env = {"TAP_GITLAB_DUO_TOKEN": "t", "TAP_GITLAB_DUO_GROUP_PATHS": '["my-org"]',
           "TAP_GITLAB_DUO_LOOKBACK_DAYS": "400"}  # fmt: skip
    done = tap("--config", "ENV", env=env)
    assert done.returncode != 0
    assert "Setting 'lookback_days' is 400" in done.stderr
    assert "Traceback" not in done.stderr
