"""The README and meltano.yml stay in step with the tap's own settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tap_gitlab_duo.settings import CONFIG_SCHEMA

REPO = Path(__file__).resolve().parents[1]


def about_markdown() -> str:
    return subprocess.run(
        [sys.executable, "-m", "tap_gitlab_duo", "--about", "--format", "markdown"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip


def test_readme_settings_table_is_the_generated_one() -> None:
    lines = about_markdown().splitlines()
    start = lines.index("| Setting | Required | Default | Description |")
    own = [line for line in lines[start:] if line.startswith("|")]
    own = own[: next(i for i, line in enumerate(own) if line.startswith("| stream_maps "))]
    readme = (REPO / "README.md").read_text()
    assert "\n".join(own) in readme, "regenerate with: tap-gitlab-duo --about --format markdown"


def test_meltano_yml_declares_every_setting_with_a_description() -> None:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    extractor = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-gitlab-duo")
    declared = {s["name"]: s for s in extractor["settings"]}
    for name, spec in CONFIG_SCHEMA["properties"].items():
        assert name in declared, f"meltano.yml lacks setting {name}"
        assert declared[name].get("description"), name
        if spec.get("secret"):
            assert declared[name].get("sensitive") is True, name
            assert declared[name].get("kind") == "string", name
