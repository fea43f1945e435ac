#!/usr/bin/env bash
# Benchmarks: micro-benchmarks + end-to-end comparison with pytest and pytest-xdist.
#   scripts/bench.sh              full run; writes benches/results/latest.json, appends history.jsonl
#   scripts/bench.sh --quick      small suites (CI); add --check-cliff to fail on a 2x regression
#   scripts/bench.sh --dashboard  draw history.jsonl as benches/results/dashboard.{html,png}
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--dashboard" ]; then
  exec .venv/bin/python benches/dashboard.py "${@:2}"
fi
scripts/setup.sh >/dev/null
exec .venv/bin/python benches/compare.py "$@"
