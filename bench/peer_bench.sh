#!/usr/bin/env bash
# The peer benchmark in one command: edgelm against llama.cpp on the same synthetic
# Gemma 4 files (see bench/README.md). Installs the pinned llama.cpp (node-llama-cpp,
# tests/oracle/install-oracle.sh) if needed, builds edgelm (Release) unless EDGELM_BIN
# names a binary, then runs bench/peer_bench.mjs with the arguments given here.
#   bench/peer_bench.sh                       # e2b q4_0, pp128, pp512, tg128, 3 reps, all cores
#   bench/peer_bench.sh --models e2b:q4_0,e2b:q4_k,e2b:iq4_nl,e4b:q4_0 -r 5
#   bench/peer_bench.sh --help
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
for arg in "$@"; do
  case "$arg" in -h|--help) exec node "$root/bench/peer_bench.mjs" --help ;; esac
done
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "error: the peer benchmark needs Node.js >= 20 (node-llama-cpp 3.22.1)" >&2
  exit 1
fi
bash "$root/tests/oracle/install-oracle.sh"
if [ -z "${EDGELM_BIN:-}" ]; then
  "$root/scripts/build.sh" release >&2
  export EDGELM_BIN="$root/build/bin/edgelm"
fi
exec node "$root/bench/peer_bench.mjs" "$@"
