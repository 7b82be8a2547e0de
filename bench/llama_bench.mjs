// llama.cpp's side of the peer benchmark: `edgelm bench` measured on llama.cpp (the
// pinned node-llama-cpp of tests/oracle), printing one JSON object with the same fields.
//   node bench/llama_bench.mjs -m MODEL [-p 512] [-n 128] [-r 1] [-t THREADS] [-c 4096] [-u 512] [--no-warmup]
//                              [--n-vocab V] [--seed 42]
//   node bench/llama_bench.mjs --print-prompt -p P --n-vocab V [--seed 42]   (the prompt's ids, for tests)
// Same workload as edgelm bench (src/runtime/throughput_bench.h):
//  - pp: the same P token ids (same seeded generator), from an emptied sequence, up to
//    the first generated token (the last prompt token's logits and its greedy choice);
//  - tg: after a one-token prompt (not timed), N single-token steps, each feeding back
//    the greedy choice (llama.cpp's sampler at temperature 0), end-of-generation
//    tokens included.
// Flash attention off, f16 KV cache, batch = ubatch = -u, mmap on (llama.cpp's defaults).
// peak_rss_bytes is this process's VmHWM: llama.cpp plus the Node.js runtime
// (baseline_rss_bytes, measured before the model is loaded).
import fs from "node:fs";
import {loadLlama} from "../tests/oracle/oracle.mjs";

function parseArgs(argv) {
  const o = {model: "", p: 512, n: 128, r: 1, t: 0, c: 4096, u: 512, warmup: true, seed: 42, vocab: 0, printPrompt: false};
  const flags = {"-m": "model", "-p": "p", "-n": "n", "-r": "r", "-t": "t", "-c": "c", "-u": "u", "--seed": "seed", "--n-vocab": "vocab"};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === "--no-warmup") o.warmup = false;
    else if (a === "--print-prompt") o.printPrompt = true;
    else if (a in flags && i + 1 < argv.length) {
      const key = flags[a];
      o[key] = key === "model" ? argv[++i] : Number(argv[++i]);
      if (key !== "model" && !(Number.isInteger(o[key]) && o[key] >= 0)) fail(`${a}: '${argv[i]}' is not a non-negative integer`);
    } else fail(`unknown or incomplete option '${a}'`);
  }
  if (o.printPrompt) {
    if (!o.vocab) fail("--print-prompt needs --n-vocab");
    return o;
  }
  if (!o.model) fail("-m MODEL is required");
  if (o.p === 0 && o.n === 0) fail("nothing to measure: -p and -n are both 0");
  if (o.r === 0) fail("-r must be at least 1");
  if (Math.max(o.p, o.n > 0 ? o.n + 1 : 0) > o.c) fail(`-c ${o.c} is too small for -p ${o.p} and -n ${o.n}`);
  return o;
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

function statusBytes(field) {
  const m = fs.readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return m ? Number(m[1]) * 1024 : 0;
}

// edgelm's bench_prompt_tokens: SplitMix64 over a seeded stream (src/synth/rng.h).
const MASK = (1n << 64n) - 1n;
function mix64(x) {
  x = (x + 0x9e3779b97f4a7c15n) & MASK;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return x ^ (x >> 31n);
}
function promptTokens(n, nVocab, seed) {
  const stream = mix64(BigInt(seed));
  return Array.from({length: n}, (_, i) => Number(mix64((stream + BigInt(i)) & MASK) % BigInt(nVocab)));
}

function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return {median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1]};
}

const o = parseArgs(process.argv.slice(2));
if (o.printPrompt) {
  console.log(promptTokens(o.p, o.vocab, o.seed).join(" "));
  process.exit(0);
}
const threads = o.t > 0 ? o.t : (await import("node:os")).availableParallelism();
const baseline = statusBytes("VmRSS");
const llama = await loadLlama({maxThreads: 0});
const t0 = performance.now();
const model = await llama.loadModel({modelPath: o.model, defaultContextFlashAttention: false});
const context = await model.createContext({contextSize: o.c, batchSize: o.u, threads, flashAttention: false});
const loadMs = performance.now() - t0;
const sequence = context.getSequence();
const nVocab = o.vocab || model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
if (!nVocab) fail("cannot tell the vocabulary size; pass --n-vocab");
const prompt = promptTokens(o.p, nVocab, o.seed);
const options = {temperature: 0, yieldEogToken: true};

// Milliseconds from the start to the first generated token (ttft).
async function timePrompt() {
  await sequence.clearHistory();
  const start = performance.now();
  const it = sequence.evaluateWithMetadata(prompt, {}, options);
  await it.next();
  const ms = performance.now() - start;
  await it.return();
  return ms;
}

// Milliseconds for n single-token steps after a one-token prompt.
async function timeGenerate(n) {
  await sequence.clearHistory();
  const it = sequence.evaluateWithMetadata([prompt.length ? prompt[0] : 0], {}, options);
  await it.next();
  const start = performance.now();
  for (let i = 0; i < n; ++i) await it.next();
  const ms = performance.now() - start;
  await it.return();
  return ms;
}

if (o.warmup) {
  if (o.p > 0) await timePrompt();
  if (o.n > 0) await timeGenerate(1);
}
const ppMs = [], tgMs = [];
for (let rep = 0; rep < o.r; ++rep) {
  if (o.p > 0) ppMs.push(await timePrompt());
  if (o.n > 0) tgMs.push(await timeGenerate(o.n));
  const parts = [];
  if (o.p > 0) parts.push(`pp${o.p} ${(1000 * o.p / ppMs.at(-1)).toFixed(2)} t/s`);
  if (o.n > 0) parts.push(`tg${o.n} ${(1000 * o.n / tgMs.at(-1)).toFixed(2)} t/s`);
  console.error(`llama.cpp rep ${rep + 1}/${o.r}: ${parts.join(" ")}`);
}
const peak = statusBytes("VmHWM");
// What llama.cpp was actually given (its context rounds up to a multiple of 256).
const actual = {threads: context.currentThreads, ctx: context.contextSize, ubatch: context.batchSize};

const rate = (ms, tokens) => ms.map((m) => 1000 * tokens / m);
const put = (out, key, values) => {
  const s = values.length ? summarize(values) : null;
  out[key] = s?.median ?? null;
  out[`${key}_min`] = s?.min ?? null;
  out[`${key}_max`] = s?.max ?? null;
};
const out = {model: o.model, engine: "llama.cpp", llama_cpp_release: llama.llamaCppRelease?.release ?? null,
  system_info: llama.systemInfo, file_bytes: fs.statSync(o.model).size, threads: actual.threads, n_prompt: o.p,
  n_gen: o.n, reps: o.r, ctx: actual.ctx, ubatch: actual.ubatch, warmup: o.warmup, tg_feed: "greedy"};
put(out, "pp_tps", rate(ppMs, o.p));
put(out, "tg_tps", rate(tgMs, o.n));
put(out, "ttft_ms", ppMs);
Object.assign(out, {pp_ms: ppMs, tg_ms: tgMs, peak_rss_bytes: peak, baseline_rss_bytes: baseline, load_ms: loadMs});
console.log(JSON.stringify(out, null, 2));
await context.dispose();
await model.dispose();
