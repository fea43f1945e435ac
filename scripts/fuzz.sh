#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) in build-fuzz with clang, ASan and UBSan, and runs each
# for SECONDS (default 60) from its seed corpus in fuzz/corpus/<harness>. Fails on the first
# crash, leak, timeout or sanitizer report; the input that caused it is written to
# build-fuzz/artifacts/<harness>/ (replay: build-fuzz/fuzz/<harness> <file>).
# Usage: scripts/fuzz.sh [SECONDS] [HARNESS...]     (run scripts/setup.sh first)
# FUZZ_SEED=N fixes libFuzzer's random seed: scripts/test.sh sets it under CI, so a CI run
# explores the same inputs each time (a finding there is reproducible, never luck); campaigns
# run without it, each from a new seed.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-60}"
shift || true
HARNESSES=("$@")
[ ${#HARNESSES[@]} -eq 0 ] && HARNESSES=(fuzz_framing fuzz_lsp fuzz_discovery fuzz_document fuzz_config)

if ! command -v clang++ >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "fuzz: installing clang"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >/dev/null
fi

source scripts/compiler_cache.sh
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DFASTEST_BUILD_FUZZERS=ON -DFASTEST_BUILD_TESTS=OFF -DFASTEST_BUILD_BENCHES=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${HARNESSES[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for h in "${HARNESSES[@]}"; do
  corpus="fuzz/corpus/${h#fuzz_}"
  work="build-fuzz/corpus/$h"        # what the run learns; the seeds stay untouched
  artifacts="build-fuzz/artifacts/$h"
  mkdir -p "$work" "$artifacts"
  case "$h" in
    fuzz_framing|fuzz_lsp) dict=fuzz/lsp.dict ;;
    fuzz_discovery|fuzz_document) dict=fuzz/python.dict ;;
    *) dict=fuzz/config.dict ;;
  esac
  echo "== $h: ${SECONDS_EACH}s from $corpus"
  seed=(); [ -n "${FUZZ_SEED:-}" ] && seed=(-seed="$FUZZ_SEED")
  if ! "build-fuzz/fuzz/$h" "$work" "$corpus" -max_total_time="$SECONDS_EACH" -timeout=25 "${seed[@]}" \
       -rss_limit_mb=2560 -max_len=16384 -print_final_stats=1 -dict="$dict" \
       -artifact_prefix="$artifacts/" 2>"build-fuzz/$h.log"; then
    tail -n 60 "build-fuzz/$h.log"
    failed+=("$h")
  fi
  grep -E "^stat::number_of_executed_units|^Done [0-9]+ runs" "build-fuzz/$h.log" || true
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build-fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: no crash in ${HARNESSES[*]} (${SECONDS_EACH}s each)"
