// Oracle test: `edgelm run` and llama.cpp give the same greedy tokens and nearly the
// same probabilities on the same synthetic GGUF. Run by ctest as
//   EDGELM_BIN=.../edgelm EDGELM_MODELS_DIR=... node --test run_parity.test.mjs
// Switches:
//   EDGELM_PARITY_TYPES=f32,q8_0   restrict the weight types
//   EDGELM_PARITY_PRESET=e2b       the big-model check (opt-in): preset e2b, q4_0 only
//                                  (unless TYPES says otherwise), 3 prompts, 16 tokens
//   EDGELM_PARITY_KV=f32           llama.cpp keeps its KV cache in f32 (default: f16, as
//                                  llama.cpp and edgelm do)
//   EDGELM_PARITY_REPORT=FILE      also write the per-type statistics as JSON
//   EDGELM_PARITY_STRICT=1         no near-tie allowance (kTieGap)
//   EDGELM_PARITY_THREADS=N        llama.cpp threads (default 1, see oracleOptions)
// For every prompt of prompts.mjs, the oracle's greedy continuation (parity.mjs) and
// `edgelm run --temp 0 --probs-out` must give (a) identical token sequences (except at
// a near tie, kTieGap, where the comparison of that prompt stops) and (b) at every step,
// for each of the oracle's 5 most probable tokens, |p_edgelm - p_oracle| <=
// kTolerance[type]. The largest difference seen is printed per type even when the test
// passes, so the tolerances can be set from data.
import {after, test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync, spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {loadLlama} from "./oracle.mjs";
import {runOracle} from "./parity.mjs";
import {promptSet} from "./prompts.mjs";

// Largest allowed |p_edgelm - p_oracle| over the oracle's top-5 tokens at every step.
// The probabilities of these random-weight models are flat (the top token has ~0.002 to
// 0.008), so 1e-4 is ~1-5% of a top probability. For scale, inside llama.cpp itself:
// f32 vs f16 KV cache moves them by up to 1.5e-4, flash attention on vs off by 5e-4
// (and flips a token).
const kTolerance = {
  f32: 1e-4,
  // Provisional, to be measured (llama.cpp rounds the activations to the weight's dot
  // type: f16, bf16, q8_0 for q8_0/q4_0, q8_K for q4_k; edgelm may round differently).
  f16: 1e-3,
  bf16: 1e-3,
  q8_0: 1e-3,
  q4_0: 1e-3,
  q4_k: 1e-3,
};
const kTopCompared = 5;

// Near ties: where llama.cpp's top token beats the token edgelm chose by at most this
// much probability, the two engines may pick either; the prompt then passes, with a
// note, and its comparison ends at that step (the continuations differ from there on).
// f32: a tie with a gap of 1.4e-7 (4e-5 relative) was seen on these prompts. The others
// are provisional, to be measured. EDGELM_PARITY_STRICT=1 allows no tie at all.
const kTieGap = {f32: 1e-6, f16: 1e-5, bf16: 1e-5, q8_0: 1e-5, q4_0: 1e-5, q4_k: 1e-5};
const strict = process.env.EDGELM_PARITY_STRICT === "1";

const bin = process.env.EDGELM_BIN;
const modelsDir = process.env.EDGELM_MODELS_DIR;
assert.ok(bin && modelsDir, "set EDGELM_BIN and EDGELM_MODELS_DIR");
fs.mkdirSync(modelsDir, {recursive: true});

const preset = process.env.EDGELM_PARITY_PRESET || "tiny";
const types = process.env.EDGELM_PARITY_TYPES
  ? process.env.EDGELM_PARITY_TYPES.split(",").map((s) => s.trim()).filter(Boolean)
  : preset === "e2b" ? ["q4_0"] : Object.keys(kTolerance);
const nTokens = preset === "e2b" ? 16 : 64;
const prompts = promptSet(preset);
// threads: llama.cpp's results are bit-identical for 1 and 2 threads, but its threads
// spin at barriers: on a busy 2-core machine 2 threads ran 4-5x slower than 1 (measured
// 53 s vs 12 s for 3 prompts x 64 tokens at load 3). EDGELM_PARITY_THREADS overrides.
const oracleOptions = {
  contextSize: 1024, batchSize: 512, threads: Number(process.env.EDGELM_PARITY_THREADS || 1), topK: 20,
  kvCacheType: process.env.EDGELM_PARITY_KV ? process.env.EDGELM_PARITY_KV.toUpperCase() : null,
};
for (const type of types) assert.ok(type in kTolerance, `no tolerance for type ${type}`);

// Is `edgelm run` there, with the options this test needs?
function probeRun() {
  const r = spawnSync(bin, ["run", "--help"], {encoding: "utf8"});
  const help = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.error || r.status !== 0) {
    return {error: `\`${bin} run --help\` failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}): ` +
                   `edgelm has no working \`run\` command yet. Output: ${help.trim().slice(0, 300)}`};
  }
  const missing = ["--prompt-ids", "--probs-out", "--ids", "--temp", "--ubatch", "--ctx"].filter((o) => !help.includes(o));
  if (missing.length) return {error: `\`edgelm run\` lacks option(s) ${missing.join(", ")} that this test needs`};
  return {ignoreEos: help.includes("--ignore-eos")};
}
const runInfo = probeRun();

// The synthetic model of this preset and type: reused when newer than the binary.
function ensureModel(type) {
  const file = path.join(modelsDir, `gemma4-${preset}-${type}.gguf`);
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs > fs.statSync(bin).mtimeMs) return file;
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    execFileSync(bin, ["synth", "--preset", preset, "--quant", type, "-o", tmp], {stdio: ["ignore", "ignore", "inherit"]});
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, {force: true});
  }
  return file;
}

// Runs `edgelm run` on one prompt: {tokens, steps} (steps from --probs-out).
function runEdgelm(modelFile, ids, n, probsFile) {
  const args = ["run", "-m", modelFile, "--prompt-ids", ids.join(" "), "-n", String(n), "--temp", "0", "--ids",
                "--ctx", String(oracleOptions.contextSize), "--ubatch", String(oracleOptions.batchSize),
                "--probs-out", probsFile];
  if (runInfo.ignoreEos) args.push("--ignore-eos");
  fs.rmSync(probsFile, {force: true});
  const r = spawnSync(bin, args, {encoding: "utf8", maxBuffer: 64 << 20, timeout: 600_000});
  const cmd = `edgelm ${args.slice(0, 3).join(" ")} --prompt-ids "<${ids.length} ids>" ${args.slice(5).join(" ")}`;
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${(r.stderr ?? "").slice(-2000)}`);
  }
  const lines = r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  assert.ok(lines.length > 0, `${cmd} printed nothing`);
  const tokens = lines[lines.length - 1].split(/\s+/).map(Number);
  assert.ok(tokens.every(Number.isInteger), `${cmd}: last stdout line is not token ids: ${lines[lines.length - 1].slice(0, 200)}`);
  assert.ok(fs.existsSync(probsFile), `${cmd} wrote no --probs-out file`);
  const steps = fs.readFileSync(probsFile, "utf8").split("\n").filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`${probsFile} line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
    }
  });
  return {tokens, steps};
}

const fmt = (p) => (p === undefined ? "n/a" : p.toFixed(6));

// Compares one prompt. Returns {errors: [...], notes: [...], maxDiff, maxAt, stepsCompared}.
function comparePrompt(index, oracle, edgelm, tol, tieGap, isEog) {
  const errors = [];
  const notes = [];
  const n = oracle.tokens.length;
  const et = edgelm.tokens;
  let maxDiff = 0;
  let maxAt = null;
  let stepsCompared = 0;

  // (a) tokens. A shorter edgelm output is fine only if it stopped at an end-of-generation
  // token (an edgelm without --ignore-eos).
  let mismatch = -1;
  for (let s = 0; s < Math.min(n, et.length); s++) {
    if (et[s] !== oracle.tokens[s]) {
      mismatch = s;
      break;
    }
  }
  if (mismatch >= 0) {
    const ot = oracle.steps[mismatch].top;
    const op = new Map(ot);
    const es = edgelm.steps[mismatch];
    const ep = es ? new Map(es.top) : new Map();
    const gap = op.has(et[mismatch]) ? op.get(oracle.tokens[mismatch]) - op.get(et[mismatch]) : Infinity;
    const what = `prompt ${index} (${oracle.prompt.length} ids) step ${mismatch}: edgelm chose ${et[mismatch]}, ` +
                 `llama.cpp chose ${oracle.tokens[mismatch]}; llama.cpp top-2: ${ot[0][0]} p=${fmt(ot[0][1])}, ` +
                 `${ot[1][0]} p=${fmt(ot[1][1])} (gap ${(ot[0][1] - ot[1][1]).toExponential(2)}); ` +
                 `edgelm p(${oracle.tokens[mismatch]})=${fmt(ep.get(oracle.tokens[mismatch]))}, ` +
                 `p(${et[mismatch]})=${fmt(ep.get(et[mismatch]))}`;
    if (gap <= tieGap) notes.push(`near tie (gap ${gap.toExponential(2)} <= ${tieGap}), compared up to here: ${what}`);
    else errors.push(what);
  } else if (et.length > n) {
    errors.push(`prompt ${index}: edgelm printed ${et.length} tokens, asked for ${n}`);
  } else if (et.length < n) {
    const stoppedAtEog = (et.length > 0 && isEog(et[et.length - 1])) || isEog(oracle.tokens[et.length]);
    if (!stoppedAtEog) {
      errors.push(`prompt ${index}: edgelm stopped after ${et.length} of ${n} tokens; ` +
                  `llama.cpp went on with ${oracle.tokens.slice(et.length, et.length + 4).join(" ")}...`);
    }
  }

  // (b) probabilities, up to and including the first mismatch (the contexts are equal
  // until then).
  const last = mismatch >= 0 ? mismatch : Math.min(n, et.length) - 1;
  if (edgelm.steps.length < last + 1) {
    errors.push(`prompt ${index}: --probs-out has ${edgelm.steps.length} steps, expected ${Math.min(n, et.length)}`);
  }
  let violations = 0;
  let firstViolation = null;
  for (let s = 0; s <= last && s < edgelm.steps.length; s++) {
    const es = edgelm.steps[s];
    if (!es || !Array.isArray(es.top) || es.token !== et[s]) {
      errors.push(`prompt ${index} step ${s}: --probs-out line ${JSON.stringify(es)?.slice(0, 120)} ` +
                  `does not match the printed token ${et[s]}`);
      break;
    }
    const ep = new Map(es.top);
    stepsCompared++;
    for (const [id, po] of oracle.steps[s].top.slice(0, kTopCompared)) {
      const pe = ep.get(id);
      const d = pe === undefined ? Infinity : Math.abs(pe - po);
      if (maxAt === null || d > maxDiff) {
        maxDiff = d;
        maxAt = {prompt: index, step: s, token: id, oracle: po, edgelm: pe};
      }
      if (!(d <= tol)) {
        violations++;
        firstViolation ??= `step ${s} token ${id}: llama.cpp p=${fmt(po)}, edgelm p=${fmt(pe)}` +
                           (pe === undefined ? " (not in edgelm's top 20)" : ` (diff ${d.toExponential(2)})`);
      }
    }
  }
  if (violations) {
    errors.push(`prompt ${index} (${oracle.prompt.length} ids): ${violations} probabilities differ by more than ` +
                `${tol}; first at ${firstViolation}; largest ${maxDiff.toExponential(2)} at step ${maxAt.step}`);
  }
  return {errors, notes, maxDiff, maxAt, stepsCompared};
}

const report = {};
const llama = runInfo.error ? null : await loadLlama();
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "edgelm-parity-"));

for (const type of types) {
  test(`edgelm run matches llama.cpp: ${preset} ${type}`, {timeout: 25 * 60_000}, async (t) => {
    assert.ok(!runInfo.error, runInfo.error);
    const tol = kTolerance[type];
    const tieGap = strict ? 0 : kTieGap[type];
    const file = ensureModel(type);

    const t0 = performance.now();
    const oracle = await runOracle(file, prompts, nTokens, oracleOptions, llama);
    const oracleSeconds = (performance.now() - t0) / 1000;

    const stats = {type, tol, tieGap, maxDiff: 0, maxAt: null, steps: 0, oracleSeconds, edgelmSeconds: 0, failedPrompts: 0, ties: []};
    for (const [i, o] of oracle.entries()) {
      await t.test(`prompt ${i} (${o.prompt.length} ids)`, () => {
        const t1 = performance.now();
        const e = runEdgelm(file, o.prompt, nTokens, path.join(tmpDir, `${type}-${i}.jsonl`));
        stats.edgelmSeconds += (performance.now() - t1) / 1000;
        const eogIds = new Set(o.eogSteps.map((s) => o.tokens[s]));  // the EOG ids llama.cpp generated
        const c = comparePrompt(i, o, e, tol, tieGap, (id) => eogIds.has(id));
        for (const note of c.notes) console.log(`parity ${preset} ${type}: ${note}`);
        stats.ties.push(...c.notes);
        stats.steps += c.stepsCompared;
        if (c.maxAt && (c.maxDiff > stats.maxDiff || stats.maxAt === null)) {
          stats.maxDiff = c.maxDiff;
          stats.maxAt = c.maxAt;
        }
        if (c.errors.length) stats.failedPrompts++;
        assert.ok(c.errors.length === 0, c.errors.join("\n"));
      });
    }
    const at = stats.maxAt;
    console.log(`parity ${preset} ${type}: max |p_edgelm - p_llama.cpp| over top-${kTopCompared} = ` +
                `${stats.maxDiff.toExponential(3)} (tolerance ${tol})` +
                (at ? ` at prompt ${at.prompt} step ${at.step} token ${at.token} (llama.cpp ${fmt(at.oracle)}, ` +
                      `edgelm ${fmt(at.edgelm)})` : "") +
                `; ${stats.steps} steps compared, ${stats.failedPrompts}/${oracle.length} prompts failed, ${stats.ties.length} near ties; ` +
                `oracle ${oracleSeconds.toFixed(1)} s, edgelm ${stats.edgelmSeconds.toFixed(1)} s`);
    report[type] = stats;
    if (process.env.EDGELM_PARITY_REPORT) {
      fs.writeFileSync(process.env.EDGELM_PARITY_REPORT, JSON.stringify({preset, kv: oracleOptions.kvCacheType ?? "F16", report}, null, 2));
    }
  });
}

after(() => fs.rmSync(tmpDir, {recursive: true, force: true}));
