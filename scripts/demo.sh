#!/usr/bin/env bash
# The demo sync: simulator -> tap-gitlab-duo -> target-postgres, twice. See scripts/demo.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
