// Oracle test: every synthetic model the test suite uses loads in llama.cpp (the
// reference runtime) and generates. Run by ctest as
//   EDGELM_BIN=.../edgelm EDGELM_MODELS_DIR=... node --test synth_loads.test.mjs
import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {loadLlama} from "./oracle.mjs";

const bin = process.env.EDGELM_BIN;
const modelsDir = process.env.EDGELM_MODELS_DIR;
assert.ok(bin && modelsDir, "set EDGELM_BIN and EDGELM_MODELS_DIR");
fs.mkdirSync(modelsDir, {recursive: true});

const kVocab = 262144;  // the Gemma 4 vocabulary the presets embed by default
const types = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "iq4_nl"];
const presets = (process.env.EDGELM_ORACLE_PRESETS || "tiny").split(",");
const llama = await loadLlama();

for (const preset of presets) {
  for (const type of types) {
    test(`synth ${preset} ${type} loads and generates in llama.cpp`, async () => {
      const file = path.join(modelsDir, `gemma4-${preset}-${type}.gguf`);
      execFileSync(bin, ["synth", "--preset", preset, "--quant", type, "-o", file], {stdio: "inherit"});
      const model = await llama.loadModel({modelPath: file});
      try {
        assert.equal(model.tokens.bos, 2, "BOS id from the copied vocabulary");
        const ctx = await model.createContext({contextSize: 256, threads: 2});
        const seq = ctx.getSequence();
        const tokens = [];
        for await (const step of seq.evaluateWithMetadata([2, 9259, 1902], {temperature: 0, probabilities: true})) {
          const p = step.probabilities.get(step.token);
          assert.ok(Number.isFinite(p) && p > 0 && p <= 1, `probability ${p} of the chosen token`);
          tokens.push(step.token);
          if (tokens.length >= 8) break;
        }
        assert.equal(tokens.length, 8);
        for (const t of tokens) assert.ok(Number.isInteger(t) && t >= 0 && t < kVocab, `token ${t}`);
        await ctx.dispose();
      } finally {
        await model.dispose();
      }
    });
  }
}
