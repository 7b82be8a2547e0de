// Oracle test: `edgelm tokenize` / `edgelm detokenize` give exactly llama.cpp's
// token ids and text on the three real vocabularies (testdata/vocab). Run by ctest as
//   EDGELM_BIN=.../edgelm node --test tokenize_parity.test.mjs
// Switches: EDGELM_TOKENIZE_STRINGS=N (strings per vocabulary, default 10000),
//           EDGELM_TOKENIZE_VOCABS=gemma-4,llama-spm (a subset), EDGELM_VOCAB_DIR.
//
// Per vocabulary, llama.cpp (node-llama-cpp, vocabOnly) and edgelm see the same seeded
// strings (tokenize_strings.mjs):
// 1. ids with special-token parsing on and off. model.tokenize(text, special) calls
//    llama_tokenize with add_special = false (no BOS ever), so edgelm runs with --no-bos.
// 2. BOS: edgelm's default (BOS as the GGUF says) must equal llama.cpp's ids with BOS
//    prepended exactly when model.tokens.shouldPrependBosToken (llama_vocab_get_add_bos).
// 3. text: llama.cpp's model.detokenize(ids, special) (llama_detokenize, remove_special
//    false) against `edgelm detokenize`, special rendering on and off, for the ids of
//    every string and for every single token of the vocabulary.
// 4. special tokens: which are control / user-defined / end-of-generation, and bos/eos.
// Every check requires 100% identical results; a failure prints the first few strings
// (JSON-escaped) with both outputs.
import {test} from "node:test";
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {loadLlama} from "./oracle.mjs";
import {makeStrings} from "./tokenize_strings.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.EDGELM_BIN || path.join(here, "..", "..", "build", "bin", "edgelm");
const vocabDir = process.env.EDGELM_VOCAB_DIR || path.join(here, "..", "..", "..", "shared", "testdata", "vocab");
const count = Number(process.env.EDGELM_TOKENIZE_STRINGS || 10000);
const vocabs = (process.env.EDGELM_TOKENIZE_VOCABS || "gemma-4,llama-bpe,llama-spm").split(",");
const kSeed = 20240611;
const kShown = 5;

function edgelm(args) {
  const r = spawnSync(bin, args, {encoding: "utf8", maxBuffer: 1 << 30});
  if (r.status !== 0) throw new Error(`edgelm ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const parseIdLines = (out) => out.split("\n").slice(0, -1).map((l) => (l === "" ? [] : l.split(" ").map(Number)));
const parseJsonLines = (out) => out.split("\n").slice(0, -1).map((l) => JSON.parse(l));

// Compares two lists item by item; fails with the first kShown differences.
function compareAll(label, inputs, expected, got) {
  assert.equal(got.length, expected.length, `${label}: edgelm gave ${got.length} results for ${expected.length} inputs`);
  const bad = [];
  for (let i = 0; i < expected.length; ++i) {
    if (JSON.stringify(expected[i]) !== JSON.stringify(got[i])) bad.push(i);
  }
  const summary = `${label}: ${expected.length - bad.length}/${expected.length} identical`;
  console.log(summary);
  if (bad.length > 0) {
    const shown = bad.slice(0, kShown).map((i) =>
      `  input     ${JSON.stringify(inputs[i])}\n  llama.cpp ${JSON.stringify(expected[i])}\n  edgelm    ${JSON.stringify(got[i])}`);
    assert.fail(`${summary}; first differences:\n${shown.join("\n")}`);
  }
}

const llama = await loadLlama();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edgelm-tokenize-parity-"));
process.on("exit", () => fs.rmSync(tmp, {recursive: true, force: true}));

for (const name of vocabs) {
  test(`tokenizer parity with llama.cpp: ${name}`, async () => {
    const modelPath = path.join(vocabDir, `ggml-vocab-${name}.gguf`);
    const model = await llama.loadModel({modelPath, vocabOnly: true});
    try {
      const strings = makeStrings(kSeed, count);
      const linesFile = path.join(tmp, `${name}.jsonl`);
      fs.writeFileSync(linesFile, strings.map((s) => JSON.stringify(s)).join("\n") + "\n");

      const oracleIds = {};
      const edgelmIds = {};
      for (const special of [true, false]) {
        const expected = strings.map((s) => Array.from(model.tokenize(s, special)));
        oracleIds[special] = expected;
        edgelmIds[special] = parseIdLines(edgelm(["tokenize", "-m", modelPath, "--lines-json", linesFile, "--no-bos",
          ...(special ? [] : ["--no-special"])]));
        compareAll(`${name} tokenize, special ${special ? "on " : "off"}`, strings, expected, edgelmIds[special]);
      }
      // The strings exercise special-token parsing, and the comparison notices when it
      // differs: the two modes must disagree on many strings.
      const differing = (a, b) => a.filter((ids, i) => JSON.stringify(ids) !== JSON.stringify(b[i])).length;
      const modesDiffer = differing(oracleIds[true], oracleIds[false]);
      console.log(`${name}: special parsing changes the ids of ${modesDiffer} strings`);
      assert.ok(modesDiffer > count / 40, "too few strings contain special tokens");
      assert.equal(differing(edgelmIds[true], edgelmIds[false]), modesDiffer);

      const bos = model.tokens.bos;
      const prepend = model.tokens.shouldPrependBosToken;
      const withBos = oracleIds[true].map((ids) => (prepend ? [bos, ...ids] : ids));
      compareAll(`${name} tokenize with BOS (llama.cpp add_bos ${prepend})`, strings, withBos,
        parseIdLines(edgelm(["tokenize", "-m", modelPath, "--lines-json", linesFile])));

      // Text of id sequences: the strings' ids (parsed specials included), then every
      // single token.
      const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
      const singles = Array.from({length: nVocab}, (_, id) => [id]);
      for (const [label, seqs] of [["strings", oracleIds[true]], ["single tokens", singles]]) {
        const idsFile = path.join(tmp, `${name}.ids`);
        fs.writeFileSync(idsFile, seqs.map((ids) => ids.join(" ")).join("\n") + "\n");
        for (const render of [true, false]) {
          const expected = seqs.map((ids) => model.detokenize(ids, render));
          const got = parseJsonLines(edgelm(["detokenize", "-m", modelPath, "--lines", idsFile,
            ...(render ? ["--render-special"] : [])]));
          compareAll(`${name} detokenize ${label}, specials ${render ? "rendered" : "hidden  "}`,
            seqs.map((ids) => ids.join(" ")), expected, got);
        }
      }

      // Special tokens: what edgelm lists against llama.cpp's attributes for every id.
      const listed = parseJsonLines(edgelm(["tokenize", "-m", modelPath, "--specials"]));
      const flags = listed.pop();
      const describe = (id, control, userDefined, eog) => ({id, control, userDefined, eog});
      const expected = [];
      for (let id = 0; id < nVocab; ++id) {
        const a = model.getTokenAttributes(id);
        const eog = model.isEogToken(id);
        if (a.control || a.userDefined || a.unknown || eog) expected.push(describe(id, a.control, a.userDefined, eog));
      }
      const got = listed.map((t) => describe(t.id, t.control, t.user_defined, t.eog));
      compareAll(`${name} special tokens`, expected.map((t) => t.id), expected, got);
      assert.deepEqual([flags.bos, flags.eos, flags.eot, flags.add_bos],
        [bos ?? -1, model.tokens.eos ?? -1, model.tokens.eot ?? -1, prepend]);
    } finally {
      await model.dispose();
    }
  });
}
