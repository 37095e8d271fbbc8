"""Run one command and write its own resource usage as JSON (a trampoline).

    python -I -S benchmarks/rusage_exec.py RESULT.json COMMAND [ARG ...]

Why a trampoline: Linux keeps the peak RSS of the memory a process had before `exec`,
and a child forked (or vforked) from the benchmark starts with the benchmark's memory.
Measured directly, every program would show at least the benchmark's own peak RSS.
This script runs in a bare interpreter (`-I -S`: a few MB, standard library only), so
the command it forks starts small and `ru_maxrss` is the command's own.

The result has `wall_s` (fork to exit), `user_s`, `sys_s`, `maxrss_kb` and `returncode`
(negative: killed by that signal). The exit status is the command's.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    result_path, command = argv[0], argv[1:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)  # noqa: S606 (argv as given, no shell)
        except OSError as error:
            os.write(2, f"cannot run {command[0]}: {error}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    result = {
        "wall_s": wall,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,
        "returncode": returncode,
    }
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
