#!/usr/bin/env bash
# Create .venv with the newest supported Python (3.10 to 3.13, as requires-python in
# pyproject.toml: the first of python3.13, python3.12, python3.11, python3.10, python3 that
# is in that range and can create a virtual environment) and install the project with its
# dev extra. An existing .venv on an unsupported Python is recreated. The install is
# skipped while .venv/.bootstrap-stamp holds the hash of pyproject.toml. Quiet unless
# something fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.venv
stamp="$venv/.bootstrap-stamp"

candidates=(python3.13 python3.12 python3.11 python3.10 python3)

# Keep in step with requires-python (">=3.10,<3.14") and the classifiers in pyproject.toml.
is_supported_python() {
    "$1" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))' \
        >/dev/null 2>&1
}

# Supported, and able to create a venv with pip (Debian splits venv/ensurepip out into
# the python3.X-venv package).
can_create_venv() {
    is_supported_python "$1" && "$1" -c 'import ensurepip, venv' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in "${candidates[@]}"; do
        if command -v "$candidate" >/dev/null 2>&1 && can_create_venv "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# What the candidates on PATH are, for the error message, e.g.
# "found python3 3.14.0; python3.12 3.12.3 without venv/ensurepip".
describe_candidates() {
    local candidate version found=""
    for candidate in "${candidates[@]}"; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        version=$("$candidate" -c 'import platform; print(platform.python_version())' \
            2>/dev/null) || version="(does not run)"
        if is_supported_python "$candidate" && ! can_create_venv "$candidate"; then
            version="$version without venv/ensurepip"
        fi
        found="${found:+$found; }$candidate $version"
    done
    if [[ -n "$found" ]]; then
        echo "found $found"
    else
        echo "none of ${candidates[*]} is on PATH"
    fi
}

# A .venv made on a Python without ensurepip has no pip: make it again.
if ! is_supported_python "$venv/bin/python" || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    if ! python=$(find_python); then
        echo "bootstrap: needs Python 3.10 to 3.13 with venv support; $(describe_candidates)" >&2
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
