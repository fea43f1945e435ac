#!/usr/bin/env bash
# Fresh machine -> installed, built, and the main job shown on the bundled test_project/:
# static discovery (what `pytest --collect-only -q` would print) and a run through warm workers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo
echo "== fastest discover test_project"
build/fastest discover test_project
echo
echo "== fastest run test_project (a few tests fail on purpose)"
set +e
build/fastest run test_project --python .venv/bin/python
rc=$?
set -e
# Exit 1 means "some tests failed", which test_project does by design.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  echo "demo: fastest run exited with $rc" >&2
  exit "$rc"
fi
