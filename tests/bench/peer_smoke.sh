#!/usr/bin/env bash
# Smoke test of the peer benchmark (ctest -L bench; not in scripts/test.sh): the one
# command runs end to end on the tiny preset with small sizes and writes a report with
# every figure. Checks shapes and signs, never speeds.
#   EDGELM_BIN=build/bin/edgelm tests/bench/peer_smoke.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
: "${EDGELM_BIN:?set EDGELM_BIN to the edgelm binary}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export EDGELM_BENCH_MODELS="${EDGELM_BENCH_MODELS:-$out/models}"

# llama.cpp gets the same prompt ids as edgelm (values pinned in tests/unit/test_bench.cpp).
ids="$(node "$root/bench/llama_bench.mjs" --print-prompt -p 6 --n-vocab 32000 --seed 42)"
[ "$ids" = "17668 26698 1094 22288 20799 16110" ] || { echo "llama_bench.mjs prompt ids differ: $ids" >&2; exit 1; }

"$root/bench/peer_bench.sh" --models tiny:q4_0 -p 8,16 -n 4 -r 2 -t 2 -c 64 -u 16 --bandwidth-mib 16 \
  --out "$out/results" > "$out/stdout"
test -s "$out/results/latest.md"
grep -q "edgelm / llama.cpp" "$out/stdout"
node - "$out/results/latest.json" <<'JS'
const fs = require("node:fs");
const r = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const check = (ok, what) => { if (!ok) { console.error(`latest.json: ${what}`); process.exit(1); } };
check(r.bandwidth.bytes_per_s > 0 && r.bandwidth.samples.length === 2, "bandwidth");
check(r.models.length === 1, "one model");
const m = r.models[0];
check(m.preset === "tiny" && m.quant === "q4_0" && m.file_bytes > 0, "model file");
check(m.weights_bytes_per_token > 0 && m.roofline_tg_tps > 0, "roofline");
for (const engine of ["edgelm", "llama.cpp"]) {
  const e = m.engines[engine];
  for (const p of ["8", "16"]) {
    check(e.pp[p].median > 0 && e.pp[p].samples.length === 2, `${engine} pp${p}`);
    check(e.ttft_ms[p].median > 0, `${engine} ttft ${p}`);
  }
  check(e.tg.median > 0 && e.tg.samples.length === 2, `${engine} tg`);
  check(e.peak_rss_bytes > 0 && e.tg_roofline_pct > 0, `${engine} rss/roofline`);
  check(m.runs[engine].length === 4, `${engine}: 2 processes x 2 reps`);
}
check(m.ratios.tg > 0 && m.ratios.pp["8"] > 0 && m.ratios.peak_rss > 0, "ratios");
JS
echo "peer benchmark smoke test passed"
