// Oracle test: `edgelm template` renders every conversation of tests/chat/conversations
// with every chat template byte-identically to @huggingface/jinja (the renderer the
// templates are written for). Where the reference fails (a template's
// raise_exception, a filter it does not support, bad input), edgelm must fail too.
// Run by ctest as
//   EDGELM_BIN=.../edgelm node --test template_parity.test.mjs
import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {readGgufMetadata} from "./oracle.mjs";
import {chatVariables, normalizeMessages, renderReference} from "./chat_reference.mjs";

const bin = process.env.EDGELM_BIN;
assert.ok(bin, "set EDGELM_BIN");
const here = path.dirname(fileURLToPath(import.meta.url));
const convoDir = path.join(here, "..", "chat", "conversations");
const shared = process.env.EDGELM_SHARED_DIR || path.join(here, "..", "..", "..", "shared");
const vocabDir = path.join(shared, "testdata", "vocab");
const templateDir = path.join(shared, "testdata", "templates");

const gemmaVocab = path.join(vocabDir, "ggml-vocab-gemma-4.gguf");
const llamaVocab = path.join(vocabDir, "ggml-vocab-llama-bpe.gguf");

async function specialTokens(file) {
  const meta = await readGgufMetadata(file);
  const ggml = meta.tokenizer.ggml;
  return {bos: ggml.tokens[ggml.bos_token_id], eos: ggml.tokens[ggml.eos_token_id], template: meta.tokenizer.chat_template};
}
const gemma = await specialTokens(gemmaVocab);
const llama = await specialTokens(llamaVocab);
assert.ok(gemma.template, "the Gemma 4 vocab embeds a chat template");

const readTemplate = (name) => fs.readFileSync(path.join(templateDir, name), "utf8");
// fromModel: edgelm reads the template from the GGUF itself (no "template" in the job).
const templates = [
  {name: "gemma-4-E2B", model: gemmaVocab, tokens: gemma, source: readTemplate("google-gemma-4-E2B-it.jinja")},
  {name: "gemma-4-31B", model: gemmaVocab, tokens: gemma, source: readTemplate("google-gemma-4-31B-it.jinja")},
  {name: "gemma-4-vocab-gguf", model: gemmaVocab, tokens: gemma, source: gemma.template, fromModel: true},
  {name: "llama-3.2-3B", model: llamaVocab, tokens: llama, source: readTemplate("meta-llama-Llama-3.2-3B-Instruct.jinja")},
];

const conversations = fs.readdirSync(convoDir).filter((f) => f.endsWith(".json")).sort()
    .map((f) => ({name: path.basename(f, ".json"), ...JSON.parse(fs.readFileSync(path.join(convoDir, f), "utf8"))}));
const settings = [];
for (const addGenerationPrompt of [true, false]) {
  for (const enableThinking of [false, true]) settings.push({addGenerationPrompt, enableThinking});
}

// One job per conversation x template x setting; edgelm renders each model's jobs in one run.
const jobs = [];
for (const t of templates) {
  for (const c of conversations) {
    for (const s of settings) jobs.push({template: t, convo: c, setting: s});
  }
}

// Node writes a lone surrogate (e.g. from indexing into an emoji) to UTF-8 as U+FFFD.
const asUtf8 = (text) => text.toWellFormed();

function reference(job) {
  const {template, convo, setting} = job;
  let messages = convo.messages;
  if (convo.normalize !== false) {
    try {
      messages = normalizeMessages(messages);
    } catch (e) {
      return {error: `normalize: ${e.message}`};
    }
  }
  return renderReference(template.source, chatVariables(messages, convo.tools,
      {...setting, bos: template.tokens.bos, eos: template.tokens.eos}));
}

function runEdgelm(model, modelJobs) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "edgelm-template-"));
  try {
    const file = path.join(tmp, "jobs.jsonl");
    const lines = modelJobs.map(({template, convo, setting}) => JSON.stringify({
      ...(template.fromModel ? {} : {template: template.source}),
      messages: convo.messages,
      ...(convo.tools !== undefined ? {tools: convo.tools} : {}),
      add_generation_prompt: setting.addGenerationPrompt,
      enable_thinking: setting.enableThinking,
      normalize: convo.normalize !== false,
    }));
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const out = execFileSync(bin, ["template", "-m", model, "--batch", file], {maxBuffer: 1 << 28}).toString("utf8");
    const results = out.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
    assert.equal(results.length, modelJobs.length, "one result line per job");
    return results;
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true});
  }
}

test(`chat templates: ${conversations.length} conversations x ${templates.length} templates x ${settings.length} settings`, () => {
  assert.ok(conversations.length >= 50, `corpus has ${conversations.length} conversations`);
  const counts = {identical: 0, bothFailed: 0};
  const failures = [];
  for (const model of [gemmaVocab, llamaVocab]) {
    const modelJobs = jobs.filter((j) => j.template.model === model);
    const results = runEdgelm(model, modelJobs);
    modelJobs.forEach((job, i) => {
      const want = reference(job);
      const got = results[i];
      const label = `${job.convo.name} / ${job.template.name} / gen=${job.setting.addGenerationPrompt} think=${job.setting.enableThinking}`;
      if ("error" in want) {
        if (typeof got === "object" && got !== null && "error" in got) counts.bothFailed++;
        else failures.push(`${label}: reference failed (${want.error}) but edgelm rendered ${JSON.stringify(got).slice(0, 200)}`);
      } else if (got === asUtf8(want.ok)) {
        counts.identical++;
      } else {
        failures.push(`${label}:\n  reference ${JSON.stringify(want.ok).slice(0, 400)}\n  edgelm    ${JSON.stringify(got).slice(0, 400)}`);
      }
    });
  }
  console.log(`template parity: ${counts.identical} identical, ${counts.bothFailed} failing in both, ` +
              `${failures.length} mismatched, of ${jobs.length}`);
  assert.equal(failures.length, 0, failures.slice(0, 10).join("\n"));
  // The corpus must mostly render (a template that always failed would prove little).
  assert.ok(counts.identical > counts.bothFailed * 4, `too few successful renders: ${JSON.stringify(counts)}`);
});

// The expected outputs of the unit tests' language-feature cases are the reference's.
test("tests/chat/jinja_cases.json agrees with the reference", () => {
  const {cases} = JSON.parse(fs.readFileSync(path.join(here, "..", "chat", "jinja_cases.json"), "utf8"));
  const failures = [];
  for (const c of cases) {
    const r = renderReference(c.template, c.variables ?? {});
    if ("error" in c) {
      if (!("error" in r)) failures.push(`${c.name}: reference rendered ${JSON.stringify(r.ok)}, case expects an error`);
    } else if ("error" in r) {
      failures.push(`${c.name}: reference failed: ${r.error}`);
    } else if (asUtf8(r.ok) !== c.expected) {
      failures.push(`${c.name}: reference ${JSON.stringify(r.ok)} != recorded ${JSON.stringify(c.expected)}`);
    }
  }
  console.log(`jinja cases: ${cases.length} checked against the reference, ${failures.length} differ`);
  assert.equal(failures.length, 0, failures.join("\n"));
});
