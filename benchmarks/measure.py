"""Run one program as its own process and measure it: wall time, CPU, peak RSS.

The figures come from `os.wait4` in a small trampoline process (`rusage_exec`), so
they are the program's own (plus any children it waited for), not the benchmark's.
Every process started here runs in its own session and is tracked until it ends:
`stop_all()` ends whatever is still running (on errors and Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

TRAMPOLINE = Path(__file__).with_name("rusage_exec.py")
_live: dict[int, subprocess.Popen[bytes]] = {}
_live_lock = threading.Lock()
_TAIL_LINES = 30


class RunError(RuntimeError):
    """A measured program failed: its exit status and the tail of its stderr."""


@dataclass(frozen=True)
class Measurement:
    """What one run of a program cost."""

    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kb: int
    returncode: int

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    @property
    def peak_rss_mb(self) -> float:
        return self.maxrss_kb / 1024  # Linux reports ru_maxrss in KiB


def start(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdout: int | Path | None = None,
    stderr: int | Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a tracked process in its own session (Ctrl-C reaches only the benchmark)."""
    with contextlib.ExitStack() as files:
        out = _open(files, stdout)
        err = _open(files, stderr)
        process = subprocess.Popen(
            [str(arg) for arg in argv],
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    with _live_lock:
        _live[process.pid] = process
    return process


def _open(files: contextlib.ExitStack, target: int | Path | None) -> int | IO[bytes] | None:
    if isinstance(target, Path):
        return files.enter_context(target.open("wb"))
    return target


def run_measured(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    stdout: Path | None,
    stderr: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 3600,
) -> Measurement:
    """Run `argv` to its end; raise `RunError` if it fails or outlives `timeout_s`.

    stdout goes to the file `stdout` (or /dev/null), stderr to the file `stderr`. The
    figures are the program's own, taken by the `rusage_exec` trampoline (see there why).
    """
    usage_file = stderr.with_name(stderr.name + ".rusage.json")
    usage_file.unlink(missing_ok=True)
    trampoline = [sys.executable, "-I", "-S", str(TRAMPOLINE), str(usage_file)]
    process = start(
        [*trampoline, *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL if stdout is None else stdout,
        stderr=stderr,
    )
    timed_out = threading.Event()

    def kill_on_timeout() -> None:
        timed_out.set()
        _kill_group(process.pid)

    timer = threading.Timer(timeout_s, kill_on_timeout)
    timer.daemon = True
    timer.start()
    try:
        process.wait()
    finally:
        timer.cancel()
    _forget(process)
    _kill_group(process.pid)  # anything it left behind in its session
    if timed_out.is_set():
        raise RunError(f"{_name(argv)} timed out after {timeout_s:.0f} s\n{tail(stderr)}")
    try:
        usage = json.loads(usage_file.read_text())
    except (OSError, ValueError):
        msg = f"{_name(argv)} ended with {process.returncode}, no usage\n{tail(stderr)}"
        raise RunError(msg) from None
    if usage["returncode"] != 0:
        raise RunError(f"{_name(argv)} exited with {usage['returncode']}\n{tail(stderr)}")
    return Measurement(
        wall_s=usage["wall_s"],
        user_s=usage["user_s"],
        sys_s=usage["sys_s"],
        maxrss_kb=usage["maxrss_kb"],
        returncode=usage["returncode"],
    )


def stop(process: subprocess.Popen[bytes], *, grace_s: float = 10) -> None:
    """SIGTERM the process (and its session), then SIGKILL after `grace_s`."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            process.wait()
    _kill_group(process.pid)
    _forget(process)


def stop_all() -> None:
    """End every process started here that is still running."""
    with _live_lock:
        processes = list(_live.values())
    for process in processes:
        stop(process, grace_s=5)


def count_lines(path: Path, prefixes: tuple[bytes, ...] = ()) -> int:
    """Lines of a file; with `prefixes`, only those starting with one of them."""
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            if not prefixes or line.startswith(prefixes):
                count += 1
    return count


def tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _forget(process: subprocess.Popen[bytes]) -> None:
    with _live_lock:
        _live.pop(process.pid, None)


def _name(argv: Sequence[str | os.PathLike[str]]) -> str:
    return " ".join(str(arg) for arg in argv[:4]) + (" ..." if len(argv) > 4 else "")
