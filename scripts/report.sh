#!/usr/bin/env bash
# Render the GitLab Duo analytics report (one self-contained HTML file) from the dbt marts.
# Options and connection settings: see scripts/report.py (--help).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$repo" && bash scripts/bootstrap.sh)
exec "$repo/.venv/bin/python" "$repo/scripts/report.py" "$@"
