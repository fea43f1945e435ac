#!/usr/bin/env bash
# Sanitizer builds (run after scripts/setup.sh):
#   build-asan: AddressSanitizer + UndefinedBehaviorSanitizer; runs the unit tests and the
#               end-to-end tests against build-asan/fastest.
#   build-tsan: ThreadSanitizer; runs every test that drives `fastest lsp`.
# Any sanitizer report fails the run: each process writes its report to a log file (log_path),
# halts at the first error, and this script fails when a log file exists afterwards (a report
# printed at exit, after the client stopped listening, is caught too).
#
#   scripts/sanitize.sh            both builds
#   scripts/sanitize.sh asan|tsan  one of them
#   CXX=clang++ CC=clang scripts/sanitize.sh   another compiler (default: g++/gcc)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
which=${1:-all}
jobs=${JOBS:-$(nproc)}
# The end-to-end tests run one process per core (pytest-xdist), as in scripts/test.sh.
test_jobs=(-n "${FASTEST_TEST_JOBS:-$(nproc)}")
export CC=${CC:-gcc} CXX=${CXX:-g++}
suppressions=$repo/scripts/sanitizer-suppressions

# End-to-end tests left out under ASan, to keep this stage to a few minutes on 2 cores:
# - test_discover_parity, test_run_parity: pytest-vs-fastest on many small projects, ~5 and
#   more minutes under ASan, mostly spent in pytest; their C++ (discovery, the engine) is reached
#   by the unit tests and the remaining end-to-end tests. test_discover_parity also runs fastest
#   under strace, where LeakSanitizer cannot work (it ptrace-attaches to the process: a fatal
#   "LeakSanitizer does not work under ptrace").
# - test_bench_logic, test_bench_sharding, test_dashboard: the bench scripts' Python logic.
# - test_run_cache, test_run_sharding, test_run_scale_and_report: pytest's cache options, CI
#   shards, the thousand-file and plugin-output runs (~3 minutes, mostly pytest's); the engine
#   and scheduler they drive run in test_run_faults, test_cli_basics and the LSP tests.
# The LSP tests are never left out.
asan_deselect=(--deselect tests/integration/test_discover_parity.py --deselect tests/integration/test_run_parity.py
  --deselect tests/integration/test_bench_logic.py --deselect tests/integration/test_bench_sharding.py
  --deselect tests/integration/test_dashboard.py --deselect tests/integration/test_run_cache.py
  --deselect tests/integration/test_run_sharding.py --deselect tests/integration/test_run_scale_and_report.py)

source scripts/compiler_cache.sh
configure_and_build() {  # dir, sanitizer flags, targets...
  local dir=$1 flags=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFASTEST_BUILD_BENCHES=OFF \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g $flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g $flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
  cmake --build "$dir" -j"$jobs" --target "$@"
}

# Fails (and prints them) when sanitizer reports were written to $1.
check_logs() {
  local logs=$1
  if compgen -G "$logs/*" >/dev/null; then
    echo "sanitize: reports in $logs:" >&2
    cat "$logs"/* >&2
    return 1
  fi
}

run_asan() {
  echo "== build-asan (address, undefined)"
  configure_and_build build-asan "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    fastest fastest_unit_tests
  local logs=$repo/build-asan/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$logs/asan:suppressions=$suppressions/asan.supp"
  export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan:suppressions=$suppressions/ubsan.supp"
  echo "== build-asan: unit tests"
  build-asan/tests/fastest_unit_tests
  check_logs "$logs"
  echo "== build-asan: end-to-end tests (${asan_deselect[*]})"
  # FASTEST_SANITIZER: the tests that assert RSS figures skip themselves (shadow memory, quarantine).
  FASTEST_SANITIZER=asan FASTEST_BIN=$repo/build-asan/fastest .venv/bin/python -m pytest tests/integration -q -p no:cacheprovider \
    "${test_jobs[@]}" "${asan_deselect[@]}"
  check_logs "$logs"
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
}

run_tsan() {
  echo "== build-tsan (thread)"
  configure_and_build build-tsan "-fsanitize=thread -fno-omit-frame-pointer" fastest
  local logs=$repo/build-tsan/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$logs/tsan:suppressions=$suppressions/tsan.supp"
  # Every test that drives `fastest lsp`: the protocol session tests and the real editors.
  local lsp_tests=(tests/integration/test_lsp_*.py tests/integration/test_editor_emacs.py tests/integration/test_editor_nvim.py)
  echo "== build-tsan: language-server tests"
  FASTEST_SANITIZER=tsan FASTEST_BIN=$repo/build-tsan/fastest .venv/bin/python -m pytest "${lsp_tests[@]}" -q -p no:cacheprovider "${test_jobs[@]}"
  check_logs "$logs"
  unset TSAN_OPTIONS
}

start=$SECONDS
case $which in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan]" >&2; exit 2 ;;
esac
echo "sanitize: clean ($((SECONDS - start)) s)"
