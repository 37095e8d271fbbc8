"""Run the Meltano CLI on this repository's `meltano.yml`, isolated per test.

Each `MeltanoProject` has its own system database (hence its own state backend), its
own empty `.env` file and its own settings, passed to Meltano as `TAP_GITLAB_DUO_*` and
`TARGET_POSTGRES_*` environment variables; anything of that kind in the caller's
environment is dropped. The plugin virtual environments under `.meltano/` are shared:
`ensure_installed()` runs `meltano install` at most once per test session, and not at
all while a stamp says the installed plugins match `meltano.yml` and `pyproject.toml`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MELTANO_DIR = REPO_ROOT / ".meltano"
INSTALL_STAMP = MELTANO_DIR / "tests-install.stamp"
STATE_ID = "dev:tap-gitlab-duo-to-target-postgres"
"""The state ID `meltano run tap-gitlab-duo target-postgres` uses in the dev environment."""

INSTALL_TIMEOUT_S = 900
RUN_TIMEOUT_S = 600
_TAIL_LINES = 80
_ISOLATED_PREFIXES = ("TAP_GITLAB_DUO_", "TARGET_POSTGRES_", "MELTANO_")
_installed_this_session = False


def meltano_executable() -> Path:
    """The `meltano` next to the running Python (the dev venv), else the one on PATH."""
    # Not resolved: the venv's python is a symlink to the base interpreter.
    candidate = Path(sys.executable).parent / "meltano"
    if candidate.is_file():
        return candidate
    found = shutil.which("meltano")
    if found is None:
        pytest.fail("meltano is not installed: run scripts/bootstrap.sh", pytrace=False)
    return Path(found)


def env_var_value(value: Any) -> str:
    """Render a setting value the way Meltano parses it from an environment variable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def settings_env(prefix: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """`{"group_paths": ["a"]}` -> `{"<PREFIX>_GROUP_PATHS": '["a"]'}`.

    Names starting with `_` are Meltano extras: `_select` becomes `<PREFIX>__SELECT`.
    """
    return {
        f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name).upper()}": env_var_value(value)
        for name, value in settings.items()
        if value is not None
    }


def tail(text: str, lines: int = _TAIL_LINES) -> str:
    """The last `lines` lines of `text`."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _base_env(system_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
    env.update(
        MELTANO_DATABASE_URI=f"sqlite:///{system_dir / 'meltano.db'}",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_DISABLE_TRACKING="true",
        MELTANO_CLI_DISABLE_VERSION_CHECK="true",
        # Tests never write meltano.yml (Meltano otherwise may, e.g. a project_id).
        MELTANO_PROJECT_READONLY="true",
        MELTANO_CLI_LOG_FORMAT="uncolored",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(
    args: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str],
    timeout: float,
    check: bool,
) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository; on timeout, kill its whole process group."""
    with subprocess.Popen(
        [str(a) for a in args],
        cwd=REPO_ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the tap and target are grandchildren
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            pytest.fail(
                f"`{_shown(args)}` timed out after {timeout:.0f} s\n"
                f"--- stdout (tail) ---\n{tail(stdout)}\n--- stderr (tail) ---\n{tail(stderr)}",
                pytrace=False,
            )
    result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if check and result.returncode != 0:
        pytest.fail(
            f"`{_shown(args)}` failed with exit code {result.returncode}\n"
            f"--- stdout (tail) ---\n{tail(stdout)}\n--- stderr (tail) ---\n{tail(stderr)}",
            pytrace=False,
        )
    return result


def _shown(args: Sequence[str | os.PathLike[str]]) -> str:
    return " ".join(["meltano", *(str(a) for a in args[1:])])


def _plugin_executables() -> list[Path]:
    """Where `meltano install` puts each plugin's executable."""
    project = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())
    paths = []
    for plugin_type, plugins in (project.get("plugins") or {}).items():
        for plugin in plugins or []:
            if plugin.get("pip_url"):
                executable = plugin.get("executable") or plugin["name"]
                paths.append(MELTANO_DIR / plugin_type / plugin["name"] / "venv/bin" / executable)
    return paths


def _install_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("meltano.yml", "pyproject.toml"):
        digest.update(name.encode())
        digest.update((REPO_ROOT / name).read_bytes())
    digest.update(str(meltano_executable()).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    MELTANO_DIR.mkdir(exist_ok=True)
    with (MELTANO_DIR / "tests-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_installed() -> None:
    """Run `meltano install` unless the installed plugins are already current.

    Current means: the stamp matches `meltano.yml`, `pyproject.toml` and this Python,
    and every plugin executable exists. The tap is installed editable (`-e .`), so
    changes to its code need no reinstall.
    """
    global _installed_this_session  # noqa: PLW0603
    if _installed_this_session:
        return
    with _install_lock():
        fingerprint = _install_fingerprint()
        current = (
            INSTALL_STAMP.is_file()
            and INSTALL_STAMP.read_text() == fingerprint
            and all(path.is_file() for path in _plugin_executables())
        )
        if not current:
            INSTALL_STAMP.unlink(missing_ok=True)
            with tempfile.TemporaryDirectory(prefix="meltano-install-") as tmp:
                system_dir = Path(tmp)
                env_file = system_dir / ".env"
                env_file.touch()
                _run(
                    [meltano_executable(), "--env-file", env_file, "install"],
                    env=_base_env(system_dir),
                    timeout=INSTALL_TIMEOUT_S,
                    check=True,
                )
            missing = [str(path) for path in _plugin_executables() if not path.is_file()]
            if missing:
                pytest.fail(f"meltano install left no executable at {missing}", pytrace=False)
            INSTALL_STAMP.write_text(fingerprint)
    _installed_this_session = True


@dataclass
class MeltanoProject:
    """This repository's Meltano project with a private system DB and settings.

    `home` is a fresh directory for this test (the system database, hence the state,
    lives there). `tap_settings` / `target_settings` map setting names to values; use
    `_select` etc. for extras.
    """

    home: Path
    tap_settings: dict[str, Any] = field(default_factory=dict)
    target_settings: dict[str, Any] = field(default_factory=dict)
    environment: str = "dev"

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.env_file.touch()

    @property
    def env_file(self) -> Path:
        """An empty `.env`, so that a developer's own `.env` does not leak in."""
        return self.home / ".env"

    def env(self) -> dict[str, str]:
        """The environment every `meltano` command of this project runs with."""
        env = _base_env(self.home)
        env.update(settings_env("TAP_GITLAB_DUO", self.tap_settings))
        env.update(settings_env("TARGET_POSTGRES", self.target_settings))
        return env

    def run(
        self,
        *args: str,
        timeout: float = RUN_TIMEOUT_S,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run `meltano --environment <env> <args>`; fail the test with the output tail."""
        ensure_installed()
        command: list[str | os.PathLike[str]] = [
            meltano_executable(),
            "--environment",
            self.environment,
            "--env-file",
            self.env_file,
            *args,
        ]
        return _run(command, env=self.env(), timeout=timeout, check=check)

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start `meltano --environment <env> <args>` in its own process group.

        For tests that interrupt a run; the caller waits for or kills the group.
        """
        ensure_installed()
        command = [
            str(meltano_executable()), "--environment", self.environment,
            "--env-file", str(self.env_file), *args,
        ]  # fmt: skip
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def state(self, state_id: str = STATE_ID) -> dict[str, Any]:
        """The state Meltano saved under `state_id` (`{}` when there is none)."""
        result = self.run("state", "get", state_id)
        text = result.stdout.strip()
        if not text:
            return {}
        try:
            state = json.loads(text)
        except json.JSONDecodeError:
            pytest.fail(f"`meltano state get` printed no JSON:\n{tail(text)}", pytrace=False)
        if not isinstance(state, dict):
            pytest.fail(f"`meltano state get` printed {type(state).__name__}", pytrace=False)
        return state
