#!/usr/bin/env bash
# Installs the Debian 12 packages edgelm builds and tests with. Idempotent; skips apt
# entirely when everything is already there.
set -euo pipefail
packages=(build-essential cmake ninja-build ccache clang libclang-rt-14-dev
          libcli11-dev nlohmann-json3-dev libfmt-dev libgtest-dev libgmock-dev
          nodejs npm git)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
