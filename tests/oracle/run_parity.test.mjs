// Oracle test: `edgelm run` and llama.cpp give the same next-token choices and nearly the
// same probabilities on the same synthetic GGUF, in the same contexts. Run by ctest as
//   EDGELM_BIN=.../edgelm EDGELM_MODELS_DIR=... node --test run_parity.test.mjs
// Switches:
//   EDGELM_PARITY_TYPES=f32,q8_0   restrict the weight types
//   EDGELM_PARITY_PRESET=e2b       the big-model check (opt-in): preset e2b, q4_0 only
//                                  (unless TYPES says otherwise), 3 prompts, 16 tokens.
//                                  A symlink gemma4-e2b-q4_0.gguf in EDGELM_MODELS_DIR is
//                                  used as it is (no re-synthesis)
//   EDGELM_PARITY_PRESET=llama-tiny | openelm-tiny
//                                  the peers (Llama 3.2, OpenELM; spec peers.md): their
//                                  tiny presets, f32 f16 q8_0 q4_0 q4_k, 8 prompts, 32
//                                  tokens (ctest runs each as its own test)
//   EDGELM_PARITY_KV=f32           llama.cpp keeps its KV cache in f32 (default: f16, as
//                                  llama.cpp and edgelm do)
//   EDGELM_PARITY_REPORT=FILE      also write the per-type statistics as JSON
//   EDGELM_PARITY_STRICT=1         no near-tie allowance (tie = 0)
//   EDGELM_PARITY_THREADS=N        llama.cpp threads (default 1, see oracleOptions)
//   EDGELM_PARITY_NO_CACHE=1       ignore (and rewrite) the cached oracle results
//
// Design (teacher forcing). Both engines must see identical contexts at every step, or
// their probabilities cannot be compared: llama.cpp rounds the activations to the
// weight's dot type (q8_0 / q8_K / f16 / bf16) and accumulates its matmuls in another
// order than edgelm, so the two differ in the last ulp, and one ulp can flip an int8
// activation rounding and move a next-token probability by 1e-4..3e-3 on the flat
// distributions of these random-weight models; free-running continuations then part at
// near ties. (For scale, llama.cpp against itself: f32 vs f16 KV cache moves the
// probabilities by 1.5e-4, flash attention on vs off by 5e-4 and flips a token.) So:
// 1. llama.cpp (parity.mjs) generates its greedy continuation of nTokens for every prompt
//    of prompts.mjs, with its top-20 probabilities per step. These results are cached
//    next to the model file (keyed by the file's size and mtime, the prompts and the
//    oracle settings), so reruns on an unchanged model skip llama.cpp.
// 2. `edgelm run --force-ids <llama.cpp's tokens> --probs-out` feeds the same tokens and
//    reports, per step, its distribution and its own greedy choice.
// 3. Per step: (a) edgelm's choice equals llama.cpp's token, unless it is a near tie:
//    p_llama(its token) - p_llama(edgelm's choice) <= kTol[type].tie (a choice outside
//    llama.cpp's top-20 is never a tie); near ties are counted, and at most
//    kTol[type].ties of the steps may be ties (a broken engine disagrees often).
//    (b) for each of llama.cpp's kTopCompared most probable tokens,
//    |log p_edgelm - log p_llama| <= kTol[type].log (a relative error of the probability)
//    and |p_edgelm - p_llama| <= kTol[type].abs; a token missing from edgelm's top-20
//    fails. Over all steps of a type, the mean |log p_edgelm - log p_llama| <=
//    kTol[type].mean.
// A first test checks that the comparison can fail at all: llama.cpp on a model of
// another seed against edgelm on the test's model must not pass.
// The largest differences are printed per type even when the test passes, so the
// tolerances can be set from data.
import {after, test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync, spawnSync} from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {loadLlama} from "./oracle.mjs";
import {oracleVersion, runOracle} from "./parity.mjs";
import {promptSet} from "./prompts.mjs";

// Tolerances per weight type, set from measurements with ~1.5-2x headroom (tiny preset,
// 11 prompts x 64 forced steps = 704 steps and 3520 compared probabilities per type,
// llama.cpp KV cache f16, node-llama-cpp 3.22.1); the measured values are in the comments.
//   log:  max |log p_edgelm - log p_llama| over llama.cpp's top-5 tokens at every step
//   mean: mean of the same |log p_edgelm - log p_llama| over all steps of a type (a
//         systematic error moves the mean long before it moves the extremes)
//   abs:  max |p_edgelm - p_llama| over the same tokens (the top probabilities are only
//         ~0.002..0.1 on these models)
//   tie:  largest p_llama(llama.cpp's token) - p_llama(edgelm's choice) accepted as a near
//         tie where the two choices differ
//   ties: largest fraction of the steps that may be near ties
// The differences grow with the coarseness of the activation rounding llama.cpp applies
// before each matmul (f32: none; f16: 11-bit mantissa; bf16: 8-bit; q8_0 / q4_0: int8
// blocks of 32 (q8_0); q4_k: int8 blocks of 256 (q8_K), with q6_k tensors mixed in): the
// f32-level differences (~1e-3 in log p) flip some of those roundings, and every flip
// moves the result by a whole rounding step. The |dlog p| distribution is broad (median
// f32 8.3e-4, f16 1.6e-3, bf16 8.9e-3, q8_0 2.4e-2, q4_0 2.7e-2, q4_k 4.3e-2), not a tail
// of rare flips, and near ties of the choice are correspondingly more frequent: above 2%
// of the steps for the int8-activation types.
// With the f32/f16 sums in llama.cpp's orders (attention included) the means went down
// for every type (q8_0 3.06e-2 -> 2.84e-2, q4_0 3.42e-2 -> 2.76e-2) and so did the number
// of differing choices, but single int8-rounding flips moved elsewhere: q8_0's largest
// tie gap became 7.35e-4 (prompt 7 step 1) and q4_k's largest |dp| 8.02e-3, so their
// tie/abs tolerances now match their siblings' (q4_0's tie, 1.5x the measured |dp|).
// f32 is held to the issue's 1e-4 in probability and to zero differing choices: every
// greedy choice equals llama.cpp's, which makes the 64-token free-running continuations
// identical too. That needs our f32/f16 sums in llama.cpp's orders (kernels/float_dot.h),
// which follow the SIMD width of the running CPU as llama.cpp's do.
// For scale, llama.cpp against itself on tiny q4_0, KV cache f16 vs f32, over the 212
// steps before the continuations part (1060 probabilities): mean |dlog p| 5.6e-2, max
// 2.7e-1, 10 choices differ (4.7%) -- larger than edgelm vs llama.cpp on q4_0 below.
const kTol = {
  //     measured max:  |dlog p|  mean     |dp|     tie gap  mismatches (all near ties)
  f32:  {log: 1e-2, mean: 1.5e-3, abs: 1e-4,   tie: 1e-6,   ties: 0},     // 4.65e-3 7.80e-4 9.46e-5 -        0/704
  f16:  {log: 2e-2, mean: 3e-3,   abs: 5e-4,   tie: 1e-5,   ties: 0.02},  // 1.04e-2 1.54e-3 2.34e-4 8.90e-6  1/704
  bf16: {log: 0.15, mean: 1.6e-2, abs: 2.5e-3, tie: 2.5e-4, ties: 0.03},  // 9.25e-2 1.10e-2 1.50e-3 1.29e-4 10/704
  q8_0: {log: 0.3,  mean: 4.5e-2, abs: 8e-3,   tie: 1.2e-3, ties: 0.06},  // 2.15e-1 2.84e-2 5.74e-3 7.35e-4 19/704
  q4_0: {log: 0.35, mean: 5e-2,   abs: 6e-3,   tie: 1.2e-3, ties: 0.07},  // 2.29e-1 2.76e-2 4.04e-3 6.72e-4 23/704
  q4_k: {log: 0.5,  mean: 8e-2,   abs: 1.2e-2, tie: 3e-3,   ties: 0.10},  // 3.42e-1 5.27e-2 8.02e-3 1.08e-3 40/704
};
// The e2b preset (opt-in): 35 layers of random weights amplify every difference, so
// this check can only catch gross errors (the tiny preset is the precision check). Its
// scale, measured on e2b q4_0: llama.cpp against itself, KV cache f16 vs f32, over the
// 10 steps before the continuations part: mean |dlog p| 2.9e-1, max 9.8e-1, 3 of 10
// choices differ. edgelm vs llama.cpp (3 prompts x 16 forced steps): the measured maxima
// in the comment.
const kTolE2b = {
  //     measured max:  |dlog p|  mean     |dp|     tie gap  mismatches (all near ties)
  q4_0: {log: 1.0,  mean: 0.25,   abs: 3.5e-3, tie: 3e-3,   ties: 0.40},  // 5.10e-1 1.39e-1 1.71e-3 1.62e-3 13/48
};
// The peers' tiny presets (4 layers, no sliding window; 8 prompts x 32 forced steps =
// 256 steps and 1280 compared probabilities per type), same meaning as kTol, set from
// the measurements in the comments with ~2x headroom. The tie gap is never set below
// the Gemma 4 table's value for its kind of type: near ties are rare events that 256
// steps under-sample. OpenELM's tiny continuations settle into repeating one token at
// p ~0.4-0.5, where the same relative (log) error is a larger |dp| than on Llama's
// flatter distributions (p <= 0.24): hence its larger abs tolerances.
const kTolLlama = {
  //     measured max:  |dlog p|  mean     |dp|     tie gap  mismatches (all near ties)
  f32:  {log: 1.5e-3, mean: 2e-4,   abs: 1e-4,   tie: 1e-6,   ties: 0},     // 6.21e-4 9.29e-5 3.12e-5 -       0/256
  f16:  {log: 1e-2,   mean: 1.2e-3, abs: 1.5e-4, tie: 1e-5,   ties: 0.02},  // 4.43e-3 5.56e-4 6.28e-5 -       0/256
  q8_0: {log: 0.2,    mean: 2e-2,   abs: 2.5e-3, tie: 1.2e-3, ties: 0.04},  // 9.26e-2 9.17e-3 1.28e-3 4.03e-4 3/256
  q4_0: {log: 0.25,   mean: 2.5e-2, abs: 4.5e-3, tie: 1.2e-3, ties: 0.05},  // 1.22e-1 1.32e-2 2.31e-3 4.88e-4 6/256
  q4_k: {log: 0.3,    mean: 4.5e-2, abs: 8e-3,   tie: 3e-3,   ties: 0.06},  // 1.51e-1 2.31e-2 4.01e-3 3.14e-4 8/256
};
const kTolOpenElm = {
  //     measured max:  |dlog p|  mean     |dp|     tie gap  mismatches (all near ties)
  f32:  {log: 1.5e-3, mean: 2e-4,   abs: 1e-4,   tie: 1e-6,   ties: 0},     // 5.39e-4 5.04e-5 3.93e-5 -       0/256
  f16:  {log: 1.2e-2, mean: 1.2e-3, abs: 8e-4,   tie: 1e-5,   ties: 0.02},  // 6.02e-3 6.00e-4 4.43e-4 -       0/256
  q8_0: {log: 0.2,    mean: 3e-2,   abs: 3.5e-2, tie: 1.2e-3, ties: 0.04},  // 1.04e-1 1.48e-2 1.93e-2 5.03e-4 4/256
  q4_0: {log: 0.25,   mean: 2.5e-2, abs: 1.5e-2, tie: 1.2e-3, ties: 0.05},  // 1.14e-1 1.05e-2 7.68e-3 5.22e-4 3/256
  q4_k: {log: 0.35,   mean: 4.5e-2, abs: 8e-3,   tie: 5e-3,   ties: 0.06},  // 1.82e-1 2.09e-2 3.55e-3 2.58e-3 4/256
};
// Per preset: the tolerance table, the default types, the continuation length and the
// model file's name stem.
const kPresets = {
  tiny: {tol: kTol, types: Object.keys(kTol), nTokens: 64, stem: "gemma4-tiny"},
  e2b: {tol: {...kTol, ...kTolE2b}, types: ["q4_0"], nTokens: 16, stem: "gemma4-e2b"},
  "llama-tiny": {tol: kTolLlama, types: Object.keys(kTolLlama), nTokens: 32, stem: "llama-tiny"},
  "openelm-tiny": {tol: kTolOpenElm, types: Object.keys(kTolOpenElm), nTokens: 32, stem: "openelm-tiny"},
};
const kTopCompared = 5;
const strict = process.env.EDGELM_PARITY_STRICT === "1";

const bin = process.env.EDGELM_BIN;
const modelsDir = process.env.EDGELM_MODELS_DIR;
assert.ok(bin && modelsDir, "set EDGELM_BIN and EDGELM_MODELS_DIR");
fs.mkdirSync(modelsDir, {recursive: true});

const preset = process.env.EDGELM_PARITY_PRESET || "tiny";
assert.ok(preset in kPresets, `EDGELM_PARITY_PRESET=${preset}: not one of ${Object.keys(kPresets).join(", ")}`);
const types = process.env.EDGELM_PARITY_TYPES
  ? process.env.EDGELM_PARITY_TYPES.split(",").map((s) => s.trim()).filter(Boolean)
  : kPresets[preset].types;
const nTokens = kPresets[preset].nTokens;
const prompts = promptSet(preset);
const tolTable = kPresets[preset].tol;
// The mutation check runs on a tiny preset: the peers' own, Gemma 4's for e2b (cheap).
const mutationPreset = preset === "e2b" ? "tiny" : preset;
// threads: llama.cpp's results are bit-identical for 1 and 2 threads, but its threads
// spin at barriers: on a busy 2-core machine 2 threads ran 4-5x slower than 1 (measured
// 53 s vs 12 s for 3 prompts x 64 tokens at load 3). EDGELM_PARITY_THREADS overrides.
const oracleOptions = {
  contextSize: 1024, batchSize: 512, threads: Number(process.env.EDGELM_PARITY_THREADS || 1), topK: 20,
  kvCacheType: process.env.EDGELM_PARITY_KV ? process.env.EDGELM_PARITY_KV.toUpperCase() : null,
};
for (const type of types) assert.ok(type in tolTable, `no tolerance for type ${type}`);

// Is `edgelm run` there, with the options this test needs?
function probeRun() {
  const r = spawnSync(bin, ["run", "--help"], {encoding: "utf8"});
  const help = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.error || r.status !== 0) {
    return {error: `\`${bin} run --help\` failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}): ` +
                   `edgelm has no working \`run\` command yet. Output: ${help.trim().slice(0, 300)}`};
  }
  const missing = ["--prompt-ids", "--probs-out", "--force-ids", "--ids", "--ubatch", "--ctx"].filter((o) => !help.includes(o));
  if (missing.length) return {error: `\`edgelm run\` lacks option(s) ${missing.join(", ")} that this test needs`};
  return {};
}
const runInfo = probeRun();

function sameFiles(a, b) {
  if (fs.statSync(a).size !== fs.statSync(b).size) return false;
  const fa = fs.openSync(a, "r");
  const fb = fs.openSync(b, "r");
  try {
    const ba = Buffer.alloc(16 << 20);
    const bb = Buffer.alloc(16 << 20);
    for (;;) {
      const na = fs.readSync(fa, ba, 0, ba.length, null);
      const nb = fs.readSync(fb, bb, 0, bb.length, null);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

// The synthetic model of this preset, type and seed. Reused when newer than the binary;
// otherwise synthesized again, and when the new file is byte-identical to the old one
// the old one is kept (its mtime, and so the oracle cache, stays valid). A symlink is
// used as it is (e.g. to a big model synthesized elsewhere).
function ensureModel(type, {modelPreset = preset, seed = null} = {}) {
  const file = path.join(modelsDir, `${kPresets[modelPreset].stem}-${type}${seed === null ? "" : `-seed${seed}`}.gguf`);
  if (fs.existsSync(file) && (fs.lstatSync(file).isSymbolicLink() || fs.statSync(file).mtimeMs > fs.statSync(bin).mtimeMs)) {
    return file;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    execFileSync(bin, ["synth", "--preset", modelPreset, "--quant", type, ...(seed === null ? [] : ["--seed", String(seed)]),
                       "-o", tmp], {stdio: ["ignore", "ignore", "inherit"]});
    if (!(fs.existsSync(file) && sameFiles(tmp, file))) fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, {force: true});
  }
  return file;
}

// llama.cpp's results for these prompts on this model, from the cache next to the model
// file when the file (size, mtime), the prompts, n and the oracle settings are the same.
async function oracleResults(file, promptList, n, llama) {
  const st = fs.statSync(file);
  const key = crypto.createHash("sha256").update(JSON.stringify({
    v: 1, size: st.size, mtimeMs: st.mtimeMs, prompts: promptList, n, oracle: oracleVersion(),
    contextSize: oracleOptions.contextSize, batchSize: oracleOptions.batchSize, topK: oracleOptions.topK,
    kv: oracleOptions.kvCacheType,
  })).digest("hex").slice(0, 16);
  const base = `${path.basename(file)}.oracle-`;
  const cache = path.join(modelsDir, `${base}${key}.json`);
  if (process.env.EDGELM_PARITY_NO_CACHE !== "1" && fs.existsSync(cache)) {
    try {
      return {results: JSON.parse(fs.readFileSync(cache, "utf8")), cached: true};
    } catch {
      // unreadable: compute again
    }
  }
  const results = await runOracle(file, promptList, n, oracleOptions, llama);
  for (const f of fs.readdirSync(modelsDir)) {  // drop stale caches of this model file
    if (f.startsWith(base) && f.endsWith(".json")) fs.rmSync(path.join(modelsDir, f), {force: true});
  }
  const tmp = `${cache}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(results));
  fs.renameSync(tmp, cache);
  return {results, cached: false};
}

// Runs `edgelm run` on one prompt, feeding `forced` after it: the --probs-out steps.
function runEdgelm(modelFile, ids, forced, probsFile) {
  const args = ["run", "-m", modelFile, "--prompt-ids", ids.join(" "), "--force-ids", forced.join(" "), "--ids",
                "--ctx", String(oracleOptions.contextSize), "--ubatch", String(oracleOptions.batchSize),
                "--probs-out", probsFile];
  fs.rmSync(probsFile, {force: true});
  const r = spawnSync(bin, args, {encoding: "utf8", maxBuffer: 64 << 20, timeout: 600_000});
  const cmd = `edgelm run -m ${modelFile} --prompt-ids "<${ids.length} ids>" --force-ids "<${forced.length} ids>" ` +
              args.slice(7).join(" ");
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${(r.stderr ?? "").slice(-2000)}`);
  }
  assert.ok(fs.existsSync(probsFile), `${cmd} wrote no --probs-out file`);
  return fs.readFileSync(probsFile, "utf8").split("\n").filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`${probsFile} line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
    }
  });
}

const fmt = (p) => (p === undefined ? "n/a" : p.toFixed(6));
const exp = (x) => (Number.isFinite(x) ? x.toExponential(2) : String(x));

// Compares one prompt's forced steps. tol: {log, abs, tie}. Returns
// {errors, ties: [{step, gap, note}], mismatches, maxTieGap, maxLog, maxLogAt, maxAbs, maxAbsAt, steps, sumLog, nLog}.
function comparePrompt(index, oracle, steps, tol) {
  const errors = [];
  const r = {errors, ties: [], mismatches: 0, maxTieGap: 0, maxLog: 0, maxLogAt: null, maxAbs: 0, maxAbsAt: null, steps: 0,
             sumLog: 0, nLog: 0};
  const n = oracle.tokens.length;
  const where = `prompt ${index} (${oracle.prompt.length} ids)`;
  if (steps.length !== n) {
    errors.push(`${where}: --probs-out has ${steps.length} steps, expected ${n} (one per forced token)`);
  }
  let logViolations = 0;
  let absViolations = 0;
  let firstLog = null;
  let firstAbs = null;
  for (let s = 0; s < Math.min(n, steps.length); s++) {
    const es = steps[s];
    const token = oracle.tokens[s];
    if (!es || !Array.isArray(es.top) || es.token !== token || !Number.isInteger(es.choice)) {
      errors.push(`${where} step ${s}: --probs-out line ${JSON.stringify(es)?.slice(0, 160)} does not hold ` +
                  `the forced token ${token} and an integer choice`);
      break;
    }
    r.steps++;
    const op = new Map(oracle.steps[s].top);
    const ep = new Map(es.top);
    // (a) the choice.
    if (es.choice !== token) {
      r.mismatches++;
      const gap = op.has(es.choice) ? op.get(token) - op.get(es.choice) : Infinity;
      r.maxTieGap = Math.max(r.maxTieGap, gap);
      const ot = oracle.steps[s].top;
      const what = `${where} step ${s}: edgelm chose ${es.choice}, llama.cpp ${token}; llama.cpp p(${token})=` +
                   `${fmt(op.get(token))}, p(${es.choice})=${fmt(op.get(es.choice))}` +
                   `${op.has(es.choice) ? "" : " (not in its top 20)"} (gap ${exp(gap)}), its runner-up ` +
                   `${ot[1][0]} p=${fmt(ot[1][1])}; edgelm p(${token})=${fmt(ep.get(token))}, ` +
                   `p(${es.choice})=${fmt(ep.get(es.choice))}`;
      if (gap <= tol.tie) r.ties.push({step: s, gap, note: `near tie (gap ${exp(gap)} <= ${tol.tie}): ${what}`});
      else errors.push(what);
    }
    // (b) the probabilities of llama.cpp's most probable tokens.
    for (const [id, po] of oracle.steps[s].top.slice(0, kTopCompared)) {
      const pe = ep.get(id);
      const dAbs = pe === undefined ? Infinity : Math.abs(pe - po);
      const dLog = pe === undefined ? Infinity : Math.abs(Math.log(pe) - Math.log(po));
      const at = {prompt: index, step: s, token: id, oracle: po, edgelm: pe};
      r.sumLog += dLog;
      r.nLog++;
      if (r.maxLogAt === null || dLog > r.maxLog) [r.maxLog, r.maxLogAt] = [dLog, at];
      if (r.maxAbsAt === null || dAbs > r.maxAbs) [r.maxAbs, r.maxAbsAt] = [dAbs, at];
      const desc = `step ${s} token ${id}: llama.cpp p=${fmt(po)}, edgelm p=${fmt(pe)}` +
                   (pe === undefined ? " (not in edgelm's top 20)" : ` (|dlog| ${exp(dLog)}, |dp| ${exp(dAbs)})`);
      if (!(dLog <= tol.log)) {
        logViolations++;
        firstLog ??= desc;
      }
      if (!(dAbs <= tol.abs)) {
        absViolations++;
        firstAbs ??= desc;
      }
    }
  }
  if (logViolations) {
    errors.push(`${where}: ${logViolations} probabilities differ by more than ${tol.log} in log; first at ${firstLog}; ` +
                `largest ${exp(r.maxLog)} at step ${r.maxLogAt.step}`);
  }
  if (absViolations) {
    errors.push(`${where}: ${absViolations} probabilities differ by more than ${tol.abs}; first at ${firstAbs}; ` +
                `largest ${exp(r.maxAbs)} at step ${r.maxAbsAt.step}`);
  }
  return r;
}

const report = {};
const llama = runInfo.error ? null : await loadLlama();
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "edgelm-parity-"));
after(() => fs.rmSync(tmpDir, {recursive: true, force: true}));

// The comparison can fail: llama.cpp on a model with another seed (same preset and type)
// against edgelm on the test's model, one prompt, 8 tokens, must not pass. Uses Gemma 4's
// tiny preset under EDGELM_PARITY_PRESET=e2b (cheap).
test("mutation: the comparison fails against a model of another seed", {timeout: 10 * 60_000}, async () => {
  assert.ok(!runInfo.error, runInfo.error);
  const type = preset === "e2b" ? "q4_0" : types[0];
  const mutationTol = kPresets[mutationPreset].tol[type];
  const fileA = ensureModel(type, {modelPreset: mutationPreset});
  const fileB = ensureModel(type, {modelPreset: mutationPreset, seed: 43});
  const prompt = promptSet(mutationPreset)[3];
  const {results: [oracle]} = await oracleResults(fileB, [prompt], 8, llama);
  const steps = runEdgelm(fileA, oracle.prompt, oracle.tokens, path.join(tmpDir, "mutation.jsonl"));
  const c = comparePrompt(0, oracle, steps, strict ? {...mutationTol, tie: 0} : mutationTol);
  console.log(`parity mutation (${mutationPreset} ${type}, seed 42 vs 43): ${c.errors.length} errors, ${c.mismatches}/${c.steps} ` +
              `choices differ, max |dlog p| ${exp(c.maxLog)}, max |dp| ${exp(c.maxAbs)}`);
  assert.equal(c.steps, 8, "edgelm did not report all 8 forced steps");
  assert.ok(c.errors.length > 0, "the parity comparison passed on a model of another seed: it cannot detect a wrong model");
});

for (const type of types) {
  test(`edgelm run matches llama.cpp: ${preset} ${type}`, {timeout: 25 * 60_000}, async (t) => {
    assert.ok(!runInfo.error, runInfo.error);
    const tol = strict ? {...tolTable[type], tie: 0} : tolTable[type];
    const file = ensureModel(type);

    const t0 = performance.now();
    const {results: oracle, cached} = await oracleResults(file, prompts, nTokens, llama);
    const oracleSeconds = (performance.now() - t0) / 1000;

    const stats = {type, tol, steps: 0, sumLog: 0, nLog: 0, meanLog: NaN, mismatches: 0, ties: [], maxTieGap: 0, maxLog: 0, maxLogAt: null,
                   maxAbs: 0, maxAbsAt: null, failedPrompts: 0, oracleSeconds, oracleCached: cached, edgelmSeconds: 0};
    for (const [i, o] of oracle.entries()) {
      await t.test(`prompt ${i} (${o.prompt.length} ids)`, () => {
        const t1 = performance.now();
        const steps = runEdgelm(file, o.prompt, o.tokens, path.join(tmpDir, `${type}-${i}.jsonl`));
        stats.edgelmSeconds += (performance.now() - t1) / 1000;
        const c = comparePrompt(i, o, steps, tol);
        for (const tie of c.ties) console.log(`parity ${preset} ${type}: ${tie.note}`);
        stats.ties.push(...c.ties.map((x) => x.note));
        stats.steps += c.steps;
        stats.sumLog += c.sumLog;
        stats.nLog += c.nLog;
        stats.mismatches += c.mismatches;
        stats.maxTieGap = Math.max(stats.maxTieGap, c.maxTieGap);
        if (c.maxLogAt && (stats.maxLogAt === null || c.maxLog > stats.maxLog)) [stats.maxLog, stats.maxLogAt] = [c.maxLog, c.maxLogAt];
        if (c.maxAbsAt && (stats.maxAbsAt === null || c.maxAbs > stats.maxAbs)) [stats.maxAbs, stats.maxAbsAt] = [c.maxAbs, c.maxAbsAt];
        if (c.errors.length) stats.failedPrompts++;
        assert.ok(c.errors.length === 0, c.errors.join("\n"));
      });
    }
    const maxTies = Math.floor(tol.ties * stats.steps);
    stats.meanLog = stats.sumLog / stats.nLog;
    const atStr = (a) => (a ? ` at prompt ${a.prompt} step ${a.step} token ${a.token} (llama.cpp ${fmt(a.oracle)}, edgelm ${fmt(a.edgelm)})` : "");
    console.log(`parity ${preset} ${type}: max |dlog p| ${exp(stats.maxLog)} (tol ${tol.log})${atStr(stats.maxLogAt)}; ` +
                `mean |dlog p| ${exp(stats.meanLog)} (tol ${tol.mean}); ` +
                `max |dp| ${exp(stats.maxAbs)} (tol ${tol.abs})${atStr(stats.maxAbsAt)}; ` +
                `${stats.mismatches} choice mismatches (${stats.ties.length} near ties, max ${maxTies}), ` +
                `largest gap at a mismatch ${exp(stats.maxTieGap)} (tie ${tol.tie}); ${stats.steps} steps, ` +
                `${stats.failedPrompts}/${oracle.length} prompts failed; oracle ${oracleSeconds.toFixed(1)} s` +
                `${cached ? " (cached)" : ""}, edgelm ${stats.edgelmSeconds.toFixed(1)} s`);
    report[type] = stats;
    if (process.env.EDGELM_PARITY_REPORT) {
      fs.writeFileSync(process.env.EDGELM_PARITY_REPORT, JSON.stringify({preset, kv: oracleOptions.kvCacheType ?? "F16", report}, null, 2));
    }
    await t.test("near ties are rare", () => {
      assert.ok(stats.ties.length <= maxTies, `${stats.ties.length} near ties in ${stats.steps} steps, more than ` +
                `${tol.ties * 100}% (${maxTies}): edgelm and llama.cpp disagree too often`);
    });
    await t.test("mean |dlog p| is small", () => {
      assert.ok(stats.meanLog <= tol.mean, `mean |log p_edgelm - log p_llama| over ${stats.nLog} probabilities is ` +
                `${exp(stats.meanLog)}, more than ${tol.mean}: a systematic difference`);
    });
  });
}
