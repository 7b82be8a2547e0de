// Greedy continuations with per-step top-k probabilities from llama.cpp (the oracle),
// for the token-for-token parity test against `edgelm run` (run_parity.test.mjs).
//
// CLI:  node parity.mjs MODEL PROMPTS N [--method logits|probabilities] [--kv f16|f32]
//                                      [--reset clear|context] [--top K] [--threads N]
//   PROMPTS: a JSON file holding an array of prompts, or @tiny / @e2b for the built-in
//   sets of prompts.mjs. A prompt is an array of ids (BOS included), a string of ids
//   ("2 9259 1902"), {ids: [...]}, or {text: "..."} (tokenized by llama.cpp with
//   special tokens parsed; BOS prepended).
//   Prints JSON: [{prompt: [...ids], tokens: [...], eogSteps: [...], steps: [{token, top: [[id, p], ...]}]}]
//   with the K (default 20) most probable tokens per step, most probable first;
//   eogSteps: the steps whose token llama.cpp counts as end of generation.
//   Progress and timings go to stderr.
//
// How llama.cpp is driven, and why:
// - flashAttention: false, pinned. node-llama-cpp's default "auto" turns flash attention
//   on where supported (it is, on CPU), which is a different attention kernel (and, with
//   the f16 KV cache, different rounding); the parity reference is the plain
//   mul_mat + soft_max path.
// - batchSize 512: node-llama-cpp splits the prompt in the JS layer into decodes of at
//   most batchSize tokens (a 600-token prompt is decoded as 512 + 88) and gives llama.cpp
//   n_batch = n_ubatch = batchSize + 1 for SWA models (the +1 is its own SWA margin), so
//   each decode is one micro-batch. `edgelm run --ubatch 512` splits the same way.
// - KV cache: llama.cpp's default is f16 for K and V (and, without flash attention, the
//   Q·K and P·V products then round Q and the softmaxed scores to f16 too). --kv f32
//   (option kvCacheType: "F32") makes the oracle keep the cache in f32.
// - Sampling: temperature 0 gives a chain holding only llama.cpp's greedy sampler (no
//   top-k/top-p/penalties), so the candidates are the whole vocabulary and the token is
//   the argmax of the raw logits (Gemma's final logit soft-capping is in the graph).
// - Probabilities. method "probabilities" uses
//   sequence.evaluateWithMetadata(ids, {probabilities: true}, {temperature: 0}): its
//   `probabilities` Map holds the FULL distribution (all 262144 ids, not a top-k),
//   sorted by probability, descending; we keep the first K entries. Building that Map
//   costs ~0.1 s per step (half a million N-API numbers), so the default method
//   "logits" asks the same sampler (sequence.controlledEvaluate) for the top-K logits
//   only (logits.filter.includeTop) plus totalLogitWeight = sum(exp(l - max)), and
//   computes p = exp(l - max) / totalLogitWeight: the same numbers (both are
//   normalized by the same float32 sum, in the same sorted order; they agree to ~1e-7
//   relative) at ~1/3 of the cost. Note that llama.cpp sums those 262144 terms in
//   float32, so its probabilities are all scaled by one factor that is off by ~1e-4
//   relative (measured +1.1e-4..+2.2e-4 on tiny models: the sum of the map is
//   1.0001..1.0002); for the flat distributions of random-weight models that is ~1e-6
//   absolute. An exact softmax differs from the oracle by that much.
// - Generation continues past end-of-generation tokens (controlledEvaluate does not stop;
//   evaluateWithMetadata gets yieldEogToken: true), like `edgelm run --ignore-eos`.
// - Prompts do not leak into each other: reset "clear" (default) erases the sequence
//   (sequence.clearHistory(), which for this SWA model drops the sequence from the KV
//   cache: llama_memory_seq_rm(seq, -1, -1)) and checks nextTokenIndex is back at 0;
//   reset "context" creates a fresh context per prompt. Both give bit-identical results
//   to a fresh process (checked by running the same prompt first and last).
import path from "node:path";
import fs from "node:fs";
import os from "node:os";
import {fileURLToPath} from "node:url";
import {loadLlama} from "./oracle.mjs";
import {kBos, promptSet} from "./prompts.mjs";

export const kOracleDefaults = Object.freeze({
  contextSize: 1024,   // >= longest prompt + generated tokens (600 + 64)
  batchSize: 512,
  threads: 2,          // results are bit-identical for 1 and 2; on a busy 2-core machine 1 is 4-5x faster
  topK: 20,
  method: "logits",    // or "probabilities" (see above)
  reset: "clear",      // or "context"
  kvCacheType: null,   // null: llama.cpp's default (F16); or "F32"
});

export class Oracle {
  static async open(modelPath, options = {}, llama = null) {
    const opts = {...kOracleDefaults, ...options};
    const ownLlama = llama == null;
    if (ownLlama) llama = await loadLlama();
    const model = await llama.loadModel({modelPath});
    const oracle = new Oracle(llama, ownLlama, model, opts);
    await oracle.#newContext();
    return oracle;
  }

  constructor(llama, ownLlama, model, opts) {
    this.llama = llama;
    this.ownLlama = ownLlama;
    this.model = model;
    this.opts = opts;
    this.ctx = null;
    this.seq = null;
  }

  async #newContext() {
    if (this.ctx) await this.ctx.dispose();
    const kv = this.opts.kvCacheType;
    this.ctx = await this.model.createContext({
      contextSize: this.opts.contextSize,
      batchSize: this.opts.batchSize,
      threads: this.opts.threads,
      flashAttention: false,
      sequences: 1,
      ...(kv ? {experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv} : {}),
    });
    if (this.ctx.flashAttention !== false) throw new Error("flash attention is not off");
    this.seq = this.ctx.getSequence();
  }

  isEog(id) {
    return this.model.isEogToken(id);
  }

  // Normalizes a prompt (see the CLI comment) to an array of ids, BOS first.
  promptIds(prompt) {
    let ids;
    if (typeof prompt === "string") ids = prompt.trim().split(/[\s,]+/).map(Number);
    else if (Array.isArray(prompt)) ids = prompt.slice();
    else if (prompt && Array.isArray(prompt.ids)) ids = prompt.ids.slice();
    else if (prompt && typeof prompt.text === "string") ids = [this.model.tokens.bos ?? kBos, ...this.model.tokenize(prompt.text, true)];
    else throw new Error(`bad prompt: ${JSON.stringify(prompt)}`);
    const nVocab = this.model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? 262144;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= nVocab) throw new Error(`bad token id ${id} in prompt`);
    }
    if (ids.length === 0) throw new Error("empty prompt");
    return ids;
  }

  async #reset() {
    if (this.opts.reset === "context") {
      await this.#newContext();
    } else {
      await this.seq.clearHistory();
    }
    if (this.seq.nextTokenIndex !== 0 || this.seq.contextTokens.length !== 0) {
      throw new Error(`sequence not empty after reset (${this.seq.nextTokenIndex} tokens)`);
    }
  }

  // Greedy continuation of `prompt` for n tokens: {prompt, tokens, steps}.
  async generate(prompt, n) {
    const ids = this.promptIds(prompt);
    if (ids.length + n > this.ctx.contextSize - 1) {
      throw new Error(`prompt ${ids.length} + ${n} tokens do not fit the context of ${this.ctx.contextSize}`);
    }
    await this.#reset();
    const steps = this.opts.method === "probabilities"
      ? await this.#generateProbabilities(ids, n)
      : await this.#generateLogits(ids, n);
    const tokens = steps.map((s) => s.token);
    const eogSteps = tokens.flatMap((t, i) => (this.isEog(t) ? [i] : []));
    return {prompt: ids, tokens, eogSteps, steps};
  }

  async #generateLogits(ids, n) {
    const generateNext = {
      token: true,
      logits: {filter: {tokens: [], includeTop: this.opts.topK}},
      totalLogitWeight: true,
      options: {temperature: 0},
    };
    const steps = [];
    let input = [...ids.slice(0, -1), [ids[ids.length - 1], {generateNext}]];
    while (steps.length < n) {
      const out = await this.seq.controlledEvaluate(input);
      const next = out[input.length - 1]?.next;
      if (!next || next.token == null || !next.logits || !(next.totalLogitWeight > 0)) {
        throw new Error(`llama.cpp returned no token/logits at step ${steps.length}`);
      }
      const entries = [...next.logits.entries()];
      const maxLogit = entries[0][1];
      const top = entries.map(([id, l]) => [id, Math.exp(l - maxLogit) / next.totalLogitWeight]);
      if (top[0][0] !== next.token) {
        // Greedy picks the first maximal id; the sorted list may order exact ties otherwise.
        if (entries[0][1] !== (next.logits.get(next.token) ?? -Infinity)) {
          throw new Error(`greedy token ${next.token} is not the top logit ${entries[0][0]}`);
        }
      }
      steps.push({token: next.token, top});
      input = [[next.token, {generateNext}]];
    }
    return steps;
  }

  async #generateProbabilities(ids, n) {
    const steps = [];
    const it = this.seq.evaluateWithMetadata(ids, {probabilities: true}, {temperature: 0, yieldEogToken: true});
    for await (const step of it) {
      const top = [];
      for (const [id, p] of step.probabilities) {
        if (top.length >= this.opts.topK) break;
        top.push([id, p]);
      }
      steps.push({token: step.token, top});
      if (steps.length >= n) break;
    }
    if (steps.length < n) throw new Error(`llama.cpp stopped after ${steps.length} of ${n} tokens`);
    return steps;
  }

  async dispose() {
    if (this.ctx) await this.ctx.dispose();
    await this.model.dispose();
    if (this.ownLlama) await this.llama.dispose();
  }
}

// Runs every prompt on one loaded model; returns [{prompt, tokens, steps}].
export async function runOracle(modelPath, prompts, n, options = {}, llama = null, log = null) {
  const oracle = await Oracle.open(modelPath, options, llama);
  try {
    const results = [];
    for (const [i, prompt] of prompts.entries()) {
      const t0 = performance.now();
      results.push(await oracle.generate(prompt, n));
      log?.(`oracle prompt ${i} (${results[i].prompt.length} ids): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    }
    return results;
  } finally {
    await oracle.dispose();
  }
}

// The installed node-llama-cpp version (part of the oracle cache key of run_parity.test.mjs).
export function oracleVersion() {
  const dir = process.env.EDGELM_ORACLE_DIR || path.join(os.homedir(), ".cache", "edgelm-oracle");
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "node_modules", "node-llama-cpp", "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

export function loadPrompts(spec) {
  if (spec.startsWith("@")) return promptSet(spec.slice(1));
  const prompts = JSON.parse(fs.readFileSync(spec, "utf8"));
  if (!Array.isArray(prompts)) throw new Error(`${spec}: expected a JSON array of prompts`);
  return prompts;
}

async function main(argv) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--method") options.method = argv[++i];
    else if (a === "--kv") options.kvCacheType = argv[++i].toUpperCase();
    else if (a === "--reset") options.reset = argv[++i];
    else if (a === "--top") options.topK = Number(argv[++i]);
    else if (a === "--ctx") options.contextSize = Number(argv[++i]);
    else if (a === "--threads") options.threads = Number(argv[++i]);
    else positional.push(a);
  }
  const [modelPath, promptsSpec, nText] = positional;
  if (!modelPath || !promptsSpec || !nText || positional.length > 3 ||
      !["logits", "probabilities", undefined].includes(options.method) ||
      !["clear", "context", undefined].includes(options.reset)) {
    console.error("usage: node parity.mjs MODEL PROMPTS.json|@tiny|@e2b N " +
                  "[--method logits|probabilities] [--kv f16|f32] [--reset clear|context] [--top K] [--ctx N] [--threads N]");
    process.exit(2);
  }
  const t0 = performance.now();
  const results = await runOracle(modelPath, loadPrompts(promptsSpec), Number(nText), options, null,
                                  (line) => console.error(line));
  console.error(`oracle total: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  process.stdout.write("[\n" + results.map((r) => JSON.stringify(r)).join(",\n") + "\n]\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
