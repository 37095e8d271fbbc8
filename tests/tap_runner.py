"""Run the real tap as a subprocess and read its Singer messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.simulator_process import ADMIN_TOKEN, SimulatorProcess


@dataclass
class TapRun:
    """What one tap run wrote."""

    returncode: int
    messages: list[dict[str, t.Any]]
    stderr: str
    records: dict[str, list[dict[str, t.Any]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        return self.states[-1]

    def bookmark(self, stream: str, scope_type: str, scope_path: str) -> str | None:
        return bookmark_of(self.final_state, stream, scope_type, scope_path)


def bookmark_of(
    state: dict[str, t.Any], stream: str, scope_type: str, scope_path: str
) -> str | None:
    partitions = state.get("bookmarks", {}).get(stream, {}).get("partitions", [])
    for partition in partitions:
        if partition["context"] == {"scope_type": scope_type, "scope_path": scope_path}:
            return t.cast("str | None", partition.get("replication_key_value"))
    return None


def base_config(simulator: SimulatorProcess, **overrides: t.Any) -> dict[str, t.Any]:
    config = {
        "api_url": simulator.url,
        "token": ADMIN_TOKEN,
        "group_paths": ["acme-corp"],
        "project_paths": ["globex/website"],
        "instance": True,
        "lookback_days": 2,
    }
    config.update(overrides)
    return config


EVENT_STREAMS = ("code_suggestion_events", "ai_usage_events")
ALL_STREAMS = (*EVENT_STREAMS, "ai_user_metrics", "ai_metrics", "duo_seat_assignments")


def catalog_selecting(config_file: Path, streams: t.Sequence[str]) -> dict[str, t.Any]:
    """The tap's own catalog with only ``streams`` selected."""
    discovered = subprocess.run(
        [sys.executable, "-m", "tap_gitlab_duo", "--config", str(config_file), "--discover"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return t.cast("dict[str, t.Any]", catalog)


def run_tap(
    config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
    *,
    check: bool = True,
    extra_env: dict[str, str] | None = None,
    streams: t.Sequence[str] | None = EVENT_STREAMS,
) -> TapRun:
    """Run the tap once; ``streams`` selects streams (None: the tap's default, all)."""
    with tempfile.TemporaryDirectory() as tmp:
        config_file = Path(tmp) / "config.json"
        config_file.write_text(json.dumps(config))
        args = [sys.executable, "-m", "tap_gitlab_duo", "--config", str(config_file)]
        if streams is not None:
            catalog_file = Path(tmp) / "catalog.json"
            catalog_file.write_text(json.dumps(catalog_selecting(config_file, streams)))
            args += ["--catalog", str(catalog_file)]
        if state is not None:
            state_file = Path(tmp) / "state.json"
            state_file.write_text(json.dumps(state))
            args += ["--state", str(state_file)]
        completed = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, **(extra_env or {})},
        )
    messages = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    run = TapRun(returncode=completed.returncode, messages=messages, stderr=completed.stderr)
    for message in messages:
        if message["type"] == "RECORD":
            run.records[message["stream"]].append(message["record"])
    if check and completed.returncode != 0:
        msg = f"tap failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
        raise AssertionError(msg)
    return run
