#!/usr/bin/env bash
# Lays out a corpus of real projects for scripts/discovery_parity.py and scripts/run_parity.py:
# each sdist from PyPI unpacked under $CORPUS/src, all installed in one venv $CORPUS/venv with
# pytest and the projects' test dependencies (round 5 of docs/discovery-parity.md).
# Usage: scripts/parity_corpus.sh [CORPUS_DIR]      (default /tmp/corpus), then
#   PARITY_CORPUS=$CORPUS/src scripts/discovery_parity.py --python $CORPUS/venv/bin/python -v
#   PARITY_CORPUS=$CORPUS/src scripts/run_parity.py --python $CORPUS/venv/bin/python -v
set -euo pipefail
CORPUS=${1:-/tmp/corpus}
PYTHON=${PYTHON:-python3}
PROJECTS=(colorama==0.4.6 docopt-ng==0.9.0 jmespath==1.1.0 mistune==3.4.0 parse==1.22.4 pathspec==1.1.1
          pycodestyle==2.15.0 pyflakes==4.1.0 python-slugify==9.2.0 semver==3.2.0 soupsieve==4.1.4
          tabulate==0.10.0 wcwidth==0.9.5 xmltodict==1.0.4)
# Installed from their sdists without editable mode: their editable installs put the project
# root on sys.path, and its `tests` package shadows every other project's.
NOT_EDITABLE=(colorama docopt_ng pathspec soupsieve)

mkdir -p "$CORPUS/sdists" "$CORPUS/src"
[ -x "$CORPUS/venv/bin/python" ] || "$PYTHON" -m venv "$CORPUS/venv"
PIP="$CORPUS/venv/bin/pip"
"$PIP" install -q -U pip
"$PIP" install -q pytest==9.2.0 pytest-cov beautifulsoup4 typing-extensions text-unidecode
(cd "$CORPUS/sdists" && "$PIP" download -q --no-binary :all: --no-deps "${PROJECTS[@]}")
for archive in "$CORPUS"/sdists/*.tar.gz; do tar xzf "$archive" -C "$CORPUS/src"; done
for dir in "$CORPUS"/src/*/; do
  name=$(basename "$dir"); name=${name%-*}
  if [[ " ${NOT_EDITABLE[*]} " == *" $name "* ]]; then "$PIP" install -q --no-deps "$dir"
  else "$PIP" install -q --no-deps -e "$dir"; fi
done
