#!/usr/bin/env bash
# Long-context benchmark (opt-in, may run for hours): what a Gemma 4 E2B context costs
# as it grows, per KV type and policy (docs/kv-cache.md has the figures and the method).
#   1. prefill: time and peak RSS of a real D-token prompt, one process per D (peak
#      RSS is per process), for each KV type;
#   2. decode speed at depth D: the cache filled with D synthetic K/V rows
#      (edgelm bench --synthetic-depth: no hours-long prefill), then -n decoded tokens;
#   3. what the policy buys: decode at depth D with a small context and the attention
#      policy evicting (the cells stay bounded, so does the cost).
# Usage:
#   EDGELM_BIN=build/bin/edgelm bench/long_context.sh [MODEL.gguf]
# MODEL defaults to $EDGELM_LONGCTX_MODELS/e2b-q4_0.gguf, synthesized there when missing
# (~3 GB: keep it out of the repository). Settings (environment):
#   PREFILL_DEPTHS  real prompts          [default: 2048 8192]
#   DECODE_DEPTHS   synthetic depths      [default: 1024 8192 32768 131072]
#   KV_TYPES        K=V types             [default: f16 q8_0 q4_0]
#   POLICY_CTX      context of the evicting runs [default: 8192]
#   TG              tokens decoded per run [default: 8]
#   THREADS         threads               [default: all cores]
#   OUT             JSON lines of every run [default: long_context.jsonl in the current dir]
set -euo pipefail
bin="${EDGELM_BIN:-build/bin/edgelm}"
models="${EDGELM_LONGCTX_MODELS:-/work/tmp-models}"
model="${1:-$models/e2b-q4_0.gguf}"
prefill_depths="${PREFILL_DEPTHS:-2048 8192}"
decode_depths="${DECODE_DEPTHS:-1024 8192 32768 131072}"
kv_types="${KV_TYPES:-f16 q8_0 q4_0}"
policy_ctx="${POLICY_CTX:-8192}"
tg="${TG:-8}"
threads=()
[[ -n "${THREADS:-}" ]] && threads=(-t "$THREADS")
out="${OUT:-long_context.jsonl}"

if [[ ! -f "$model" ]]; then
  mkdir -p "$(dirname "$model")"
  echo "synthesizing $model (E2B, q4_0)" >&2
  "$bin" synth --preset e2b --quant q4_0 -o "$model"
fi
: > "$out"

# run LABEL ARGS...: one `edgelm bench --json` process, its JSON as one line of $out.
run() {
  local label="$1"; shift
  echo "[$(date +%T)] $label" >&2
  "$bin" bench -m "$model" -r 1 --no-warmup "${threads[@]}" --json "$@" 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); j["label"]=sys.argv[1]; print(json.dumps(j))' "$label" >> "$out"
}

for d in $prefill_depths; do
  for t in $kv_types; do
    run "prefill d=$d kv=$t" -p 0 -n "$tg" -d "$d" -c $((d + tg + 1)) --kv-type "$t"
  done
done
max_ctx=131072  # Gemma 4's context length: the deepest point leaves room for the decoded tokens
for d in $decode_depths; do
  (( d + tg + 1 > max_ctx )) && d=$((max_ctx - tg - 1))
  for t in $kv_types; do
    run "decode d=$d kv=$t" -p 0 -n "$tg" -d "$d" --synthetic-depth -c $((d + tg + 1)) --kv-type "$t"
  done
  if (( d > policy_ctx )); then
    run "decode d=$d kv=f16 policy=attention ctx=$policy_ctx" -p 0 -n "$tg" -d "$d" --synthetic-depth \
      -c "$policy_ctx" --kv-policy attention
  fi
done

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mib = lambda b: b / 2**20
print("| run | depth fill (s) | fill t/s | tg t/s | ms/token | KV MiB | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    fill = r["depth_ms"][0] / 1000 if r["depth_ms"] else 0
    tps = r["tg_tps"] or 0
    print(f'| {r["label"]} | {fill:.1f} | {r["depth"] / fill if fill else 0:.1f} | {tps:.2f} | '
          f'{1000 / tps if tps else 0:.0f} | {mib(r["kv_cache_bytes"]):.1f} | {mib(r["peak_rss_bytes"]):.0f} |')
PY
