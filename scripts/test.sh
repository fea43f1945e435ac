#!/usr/bin/env bash
# The whole test suite: set-up (idempotent), build, C++ unit tests, quick benchmarks, the
# end-to-end tests (pytest drives the real binary, real pytest, real Neovim, Emacs and the VS Code
# workbench as code-server in headless Chromium), then
# the sanitizer builds (ASan+UBSan, TSan) and the libFuzzer harnesses for a minute each.
# FASTEST_SKIP_HARDENING=1 stops after the end-to-end tests (a quick local loop).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== unit tests (Catch2)"
build/tests/fastest_unit_tests
echo "== benchmarks, quick mode (fails only if a figure is 2x worse than the last recorded one)"
.venv/bin/python benches/compare.py --quick --check-cliff --no-history --out build/bench-results
echo "== end-to-end tests (pytest, one process per core: pytest-xdist)"
# FASTEST_TEST_JOBS=N overrides the number of test processes (1: serial, for debugging).
export FASTEST_TEST_JOBS="${FASTEST_TEST_JOBS:-$(nproc)}"
.venv/bin/python -m pytest tests/integration -q -p no:cacheprovider -n "$FASTEST_TEST_JOBS" "$@"
if [ "${FASTEST_SKIP_HARDENING:-0}" = 1 ]; then exit 0; fi
echo "== sanitizer builds (scripts/sanitize.sh)"
scripts/sanitize.sh
# Under CI a fixed seed: the same exploration each run, so CI's verdict is the code's, not luck's;
# and 30 s each (the fixed seed's exploration does not grow with time the way campaigns do).
fuzz_seconds=60
if [ -n "${CI:-}" ]; then export FUZZ_SEED="${FUZZ_SEED:-1}"; fuzz_seconds=${FUZZ_SECONDS:-30}; fi
echo "== fuzzers, ${fuzz_seconds} s each (scripts/fuzz.sh)"
scripts/fuzz.sh "$fuzz_seconds"
