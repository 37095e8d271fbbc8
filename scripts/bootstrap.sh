#!/usr/bin/env bash
# Create .venv (first of python3.13/3.12/3.11/3.10/python3 that is >= 3.10) and install
# the project with its dev extra. The install is skipped while .venv/.bootstrap-stamp
# holds the hash of pyproject.toml. Quiet unless something fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.venv
stamp="$venv/.bootstrap-stamp"

is_usable_python() {
    "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && is_usable_python "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! is_usable_python "$venv/bin/python"; then
    if ! python=$(find_python); then
        echo "bootstrap: no Python >= 3.10 found (tried python3.13 ... python3.10, python3)" >&2
        exit 1
    fi
    echo "bootstrap: creating $venv with $("$python" --version 2>&1)" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi

wanted="$("$venv/bin/python" -c '
import hashlib, sys
digest = hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest()
print(digest, sys.version.split()[0])
')"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    exit 0
fi

echo "bootstrap: installing the project and its dev tools into $venv" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --editable '.[dev]' >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap: pip install failed" >&2
    exit 1
fi
echo "$wanted" >"$stamp"
