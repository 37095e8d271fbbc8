#!/usr/bin/env bash
# The benchmark: the tap against a plain sequential client on the GitLab simulator,
# peak RSS vs data size, and meltano run into PostgreSQL. Prints the figures and
# PASS/MISS per target; writes them to artifacts/benchmark.json.
#
#   bash scripts/benchmark.sh                 # latency 40 ms, ~30,000 events (a few minutes)
#   bash scripts/benchmark.sh --quick         # small sizes, well under a minute
#   bash scripts/benchmark.sh --help          # every option
#
# Exit status 0 whether targets pass or not; non-zero only on errors.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/bootstrap.sh
exec .venv/bin/python -m benchmarks "$@"
