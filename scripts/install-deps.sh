#!/usr/bin/env bash
# Installs the Debian 12 packages edgelm builds and tests with. Idempotent; skips apt
# entirely when everything is already there.
#   --test   also what only the tests need (Chromium, for the chat page's browser test)
set -euo pipefail
packages=(build-essential cmake ninja-build ccache clang libclang-rt-14-dev
          libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev libicu-dev libbenchmark-dev
          libstb-dev libwebp-dev libcpp-httplib-dev pkg-config tmux git)
[ "${1:-}" = "--test" ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the test oracle (node-llama-cpp needs Node >= 20). Keep whatever Node the
# machine has (e.g. a nodesource build that bundles npm); fall back to Debian's packages.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
