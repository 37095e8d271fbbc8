"""The benchmark command still runs and reports every figure (sizes tiny, no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_quick_benchmark_reports_runs_bound_and_targets() -> None:
    artifacts = REPO / "artifacts" / "benchmark.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--skip-e2e", "--rss-scale", "days"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = json.loads(artifacts.read_text())
    assert result["errors"] == []
    runs = {run["name"]: run for run in result["throughput"]["runs"]}
    assert runs["tap"]["records"] == runs["plain"]["records"] > 0
    assert runs["tap"]["bound_s"] > 0
    assert runs["tap"]["max_in_flight"] == 4
    names = [target["name"] for target in result["targets"]]
    assert any("speed-up" in name for name in names)
    assert any("bound" in name for name in names)
    assert any("peak RSS" in name for name in names)
    assert "Targets" in completed.stdout
