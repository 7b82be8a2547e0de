#!/usr/bin/env bash
# Installs the pinned clients the server tests drive edgelm serve with: the official
# OpenAI SDK (`openai`) and playwright-core (which drives Debian's /usr/bin/chromium;
# it downloads no browser of its own). Into a cache directory outside the repository;
# idempotent: does nothing when the pinned versions are already there.
set -euo pipefail
openai_version="6.30.1"       # the newest line that runs on Node 20 (7.x needs Node 22)
playwright_version="1.65.1"
dir="${EDGELM_SERVER_CLIENTS_DIR:-$HOME/.cache/edgelm-server-clients}"
installed() {
  local pkg="$dir/node_modules/$1/package.json"
  [ -f "$pkg" ] && [ "$(node -p "require('$pkg').version")" = "$2" ]
}
if installed openai "$openai_version" && installed playwright-core "$playwright_version"; then
  exit 0
fi
echo "installing openai@$openai_version and playwright-core@$playwright_version into $dir"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"edgelm-server-clients","private":true}' > package.json
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error -E \
  "openai@$openai_version" "playwright-core@$playwright_version" >/dev/null
installed openai "$openai_version"
installed playwright-core "$playwright_version"
