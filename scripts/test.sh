#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), build, C++ unit tests, then the end-to-end
# tests (pytest drives the real binary, real pytest, real Neovim).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== unit tests (Catch2)"
build/tests/fastest_unit_tests
echo "== benchmarks, quick mode (fails only if a figure is 2x worse than the last recorded one)"
.venv/bin/python benches/compare.py --quick --check-cliff --no-history --out build/bench-results
echo "== end-to-end tests (pytest)"
.venv/bin/python -m pytest tests/integration -q -p no:cacheprovider "$@"
