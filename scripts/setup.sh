#!/usr/bin/env bash
# Installs everything fastest needs on a fresh Debian machine, then builds it.
# Idempotent: re-running skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake g++ make pkg-config npm python3-venv
  libtree-sitter-dev nlohmann-json3-dev libasio-dev libspdlog-dev catch2 libbenchmark-dev
  libtomlplusplus-dev libinih-dev libcli11-dev libxml2-dev libgmp-dev neovim emacs-nox elpa-eglot ccache
  libkrb5-dev)  # code-server's kerberos module builds against it (the VS Code workbench test)
# A headless browser: the dashboard's test renders it (benches/browser.py looks for these names).
# GitHub's Ubuntu runners ship google-chrome, and Ubuntu's chromium package is a snap shim.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 &&
   ! command -v google-chrome >/dev/null 2>&1; then
  APT_PACKAGES+=(chromium)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# npm may come from outside Debian (nodejs from nodesource); accept any working npm.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}")
fi
if [ -n "$(echo "${missing[@]}" | tr -d ' ')" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ${missing[*]} >/dev/null
fi

# Python tools (pytest, xdist, debugpy, coverage) pinned, in a project venv.
if [ ! -x .venv/bin/python ] || ! cmp -s requirements-dev.txt .venv/.requirements-installed; then
  echo "setup: creating .venv with requirements-dev.txt"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  cp requirements-dev.txt .venv/.requirements-installed
fi

# The grammar, locked, with no install scripts run.
if [ ! -f deps/tree-sitter-python/node_modules/tree-sitter-python/src/parser.c ]; then
  (cd deps/tree-sitter-python && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# The real VS Code workbench (code-server + Node 24 + playwright-core) for its editor test, cached
# outside the clone; without the npm registry the test skips.
scripts/install_vscode_workbench.sh >/dev/null ||
  echo "setup: the VS Code workbench could not be installed; test_editor_vscode_workbench.py will skip"

source scripts/compiler_cache.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built build/fastest"
