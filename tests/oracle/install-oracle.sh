#!/usr/bin/env bash
# Installs the pinned reference runtime (llama.cpp through the npm package
# node-llama-cpp, see ../shared/spec/oracle.md) into a cache directory outside the
# repository. Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
version="3.22.1"
dir="${EDGELM_ORACLE_DIR:-$HOME/.cache/edgelm-oracle}"
pkg="$dir/node_modules/node-llama-cpp/package.json"
if [ -f "$pkg" ] && [ "$(node -p "require('$pkg').version")" = "$version" ]; then
  exit 0
fi
echo "installing node-llama-cpp@$version into $dir"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"edgelm-oracle","private":true}' > package.json
npm install --no-audit --no-fund --loglevel=error -E "node-llama-cpp@$version" >/dev/null
node -p "require('$pkg').version" | grep -qx "$version"
