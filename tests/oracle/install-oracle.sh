#!/usr/bin/env bash
# Installs the pinned reference runtime (llama.cpp through the npm package
# node-llama-cpp, see ../shared/spec/oracle.md) into a cache directory outside the
# repository. Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
# @huggingface/jinja (the chat-template reference) is a dependency of node-llama-cpp;
# it is pinned too, at the version that dependency resolves to.
version="3.22.1"
jinja_version="0.5.11"
dir="${EDGELM_ORACLE_DIR:-$HOME/.cache/edgelm-oracle}"
pkg="$dir/node_modules/node-llama-cpp/package.json"
jinja_pkg="$dir/node_modules/@huggingface/jinja/package.json"
installed() { [ -f "$1" ] && [ "$(node -p "require('$1').version")" = "$2" ]; }
if installed "$pkg" "$version" && installed "$jinja_pkg" "$jinja_version"; then
  exit 0
fi
echo "installing node-llama-cpp@$version and @huggingface/jinja@$jinja_version into $dir"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"edgelm-oracle","private":true}' > package.json
npm install --no-audit --no-fund --loglevel=error -E "node-llama-cpp@$version" "@huggingface/jinja@$jinja_version" >/dev/null
installed "$pkg" "$version"
installed "$jinja_pkg" "$jinja_version"
