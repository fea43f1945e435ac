#!/usr/bin/env bash
# Lays out a corpus of real projects for scripts/discovery_parity.py and scripts/run_parity.py:
# each sdist from PyPI unpacked under $CORPUS/src, all installed in one venv $CORPUS/venv with
# pytest and the projects' test dependencies (round 5 of docs/discovery-parity.md).
# Usage: scripts/parity_corpus.sh [CORPUS_DIR]      (default /tmp/corpus), then
#   PARITY_CORPUS=$CORPUS/src scripts/discovery_parity.py --python $CORPUS/venv/bin/python -v
#   PARITY_CORPUS=$CORPUS/src scripts/run_parity.py --python $CORPUS/venv/bin/python -v
set -euo pipefail
PYTHON=${PYTHON:-python3}
# PARITY_ROUND=1 lays out the first corpus (31 projects, docs/discovery-parity.md "Corpus") in
# /tmp/realprojects with its venv in /tmp/rp-venv: the defaults of the parity scripts.
ROUND5=(colorama==0.4.6 docopt-ng==0.9.0 jmespath==1.1.0 mistune==3.4.0 parse==1.22.4 pathspec==1.1.1
          pycodestyle==2.15.0 pyflakes==4.1.0 python-slugify==9.2.0 semver==3.2.0 soupsieve==4.1.4
          tabulate==0.10.0 wcwidth==0.9.5 xmltodict==1.0.4)
ROUND8=(jinja2==3.1.6 sqlparse==0.6.1 tenacity==9.2.1 python-dotenv==1.2.4 h11==0.16.0 prettytable==3.19.0
        validators==0.36.0 natsort==8.4.0 markdown-it-py==4.3.0 mako==1.4.3 arrow==1.4.0 asttokens==3.0.2
        cssselect==1.6.0 pyasn1==0.6.5 ecdsa==0.19.2 tomli==2.5.0 chardet==7.7.0 humanfriendly==10.0)
ROUND1=(attrs==26.1.0 boltons==26.2.0 cachetools==8.0.2 cattrs==26.2.1 click==8.5.1 decorator==5.3.1
        freezegun==1.5.5 humanize==4.17.0 idna==3.20 iniconfig==2.3.1 isort==9.0.2 itsdangerous==2.2.0
        markdown==3.11.3 markupsafe==3.0.4 marshmallow==4.4.0 more_itertools==11.2.1 packaging==26.3
        parso==0.8.7 pluggy==1.7.0 pyparsing==3.3.3 python_dateutil==4.0.0 requests==2.34.2
        simplejson==4.3.0 six==1.17.0 sortedcontainers==2.4.0 structlog==26.1.0 tomlkit==0.15.2
        toolz==1.2.0 werkzeug==3.1.9 wrapt==2.5.2)
if [ "${PARITY_ROUND:-5}" = 1 ]; then
  PROJECTS=("${ROUND1[@]}"); CORPUS_SRC=${1:-/tmp/realprojects}; VENV=${VENV:-/tmp/rp-venv}
  TEST_DEPS=(hypothesis pytest-mock pyyaml typing-extensions exceptiongroup urllib3 charset-normalizer
             certifi trustme pytest-httpbin msgpack ujson orjson tomli-w pymongo cbor2 immutables)
elif [ "${PARITY_ROUND:-5}" = 8 ]; then
  PROJECTS=("${ROUND8[@]}"); CORPUS_SRC=${1:-/tmp/corpus8}/src; VENV=${VENV:-${1:-/tmp/corpus8}/venv}
  TEST_DEPS=(hypothesis pytest-mock markupsafe wcwidth python-dateutil pytz tzdata simplejson
             pytest-regressions pytest-datadir pytest-lazy-fixtures freezegun six typing-extensions)
else
  PROJECTS=("${ROUND5[@]}"); CORPUS_SRC=${1:-/tmp/corpus}/src; VENV=${VENV:-${1:-/tmp/corpus}/venv}
  TEST_DEPS=(pytest-cov beautifulsoup4 typing-extensions text-unidecode)
fi
# Installed from their sdists without editable mode: their editable installs put the project
# root on sys.path, and its `tests` package shadows every other project's.
NOT_EDITABLE=(colorama docopt_ng pathspec soupsieve)

SDISTS=$(dirname "$CORPUS_SRC")/sdists-$(basename "$CORPUS_SRC")
mkdir -p "$SDISTS" "$CORPUS_SRC"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/pip"
"$PIP" install -q -U pip
"$PIP" install -q pytest==9.2.0 "${TEST_DEPS[@]}" || "$PIP" install -q pytest==9.2.0
# Each sdist straight from PyPI's JSON API: `pip download --no-binary :all:` would also build
# every build backend from source (maturin: a Rust toolchain) just to read the metadata.
"$VENV/bin/python" - "$SDISTS" "${PROJECTS[@]}" <<'PY'
import json, sys, urllib.request, pathlib
dest = pathlib.Path(sys.argv[1])
for spec in sys.argv[2:]:
    name, version = spec.split("==")
    request = urllib.request.Request(f"https://pypi.org/simple/{name}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    files = json.load(urllib.request.urlopen(request))["files"]
    stem = name.replace("-", "_").lower() + "-" + version + ".tar.gz"
    sdist = next(f for f in files if f["filename"].replace("-", "_", f["filename"].count("-") - 1).lower() == stem)
    target = dest / sdist["filename"]
    if not target.exists():
        urllib.request.urlretrieve(sdist["url"], target)
PY
for archive in "$SDISTS"/*.tar.gz; do tar xzf "$archive" -C "$CORPUS_SRC"; done
for dir in "$CORPUS_SRC"/*/; do
  name=$(basename "$dir"); name=${name%-*}
  if [ "${PARITY_ROUND:-5}" = 1 ] || [[ " ${NOT_EDITABLE[*]} " == *" $name "* ]]; then
    "$PIP" install -q --no-deps "$dir" || echo "not installed: $name (its tests import it from the tree)"
  else "$PIP" install -q --no-deps -e "$dir"; fi
done
