#!/usr/bin/env bash
# Everything CI checks: ruff, mypy and the whole pytest suite (unit and end-to-end).
# Every step runs; the exit status is non-zero if any of them failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh || exit 1
bin=.venv/bin
failed=()

step() {
    local name=$1
    shift
    echo "==> $name" >&2
    local started=$SECONDS
    "$@"
    local status=$?
    echo "==> $name: exit $status in $((SECONDS - started)) s" >&2
    # pytest exits 5 when it collected no tests: that is a failure here too.
    if [[ $status -ne 0 ]]; then
        failed+=("$name")
    fi
}

# mypy refuses a directory without Python files: pass only those that have some.
typed=()
for path in tap_gitlab_duo simulator tests benchmarks scripts; do
    if [[ -d $path && -n "$(find "$path" -name '*.py' -print -quit)" ]]; then
        typed+=("$path")
    fi
done

step ruff "$bin/ruff" check .
step mypy "$bin/mypy" "${typed[@]}"
step pytest "$bin/python" -m pytest

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all checks passed" >&2
