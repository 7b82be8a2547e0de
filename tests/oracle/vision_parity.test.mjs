// Oracle test (opt-in, ctest label vision_oracle): edgelm's image path against llama.cpp's
// own multimodal CLI, llama-mtmd-cli, built from the oracle package's source bundle
// (build-mtmd.sh; cached in ~/.cache/edgelm-oracle/mtmd-build, slow the first time).
// On a synthetic tiny gemma4 text model (real Gemma 4 vocabulary, f32) with the matching
// synthetic tiny gemma4v mmproj, for synthetic test images of several sizes, aspect
// ratios and formats (one and two images per prompt):
//   - the number of tokens of each image equals llama.cpp's, and
//   - the greedy continuation equals llama.cpp's, token for token (compared as text:
//     llama-mtmd-cli prints token pieces, control tokens rendered).
// Run by ctest as
//   EDGELM_BIN=.../edgelm EDGELM_MAKE_IMAGE=.../make_test_image EDGELM_MODELS_DIR=...
//   node --test vision_parity.test.mjs
// llama-mtmd-cli renders the chat template with thinking enabled (llama.cpp's default),
// so edgelm runs with --think. Both use micro-batches of 2048 and no flash attention.
// Switches: EDGELM_VISION_QUANT=f16 (the mmproj's matrices; default f32),
//           EDGELM_VISION_TOKENS=N (generated tokens, default 24).
import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync, spawnSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.EDGELM_BIN;
const makeImage = process.env.EDGELM_MAKE_IMAGE;
const dir = process.env.EDGELM_MODELS_DIR;
assert.ok(bin && makeImage && dir, "set EDGELM_BIN, EDGELM_MAKE_IMAGE and EDGELM_MODELS_DIR");
const quant = process.env.EDGELM_VISION_QUANT || "f32";
const nTokens = Number(process.env.EDGELM_VISION_TOKENS || 24);
const threads = "2";
// Every image of the tiny encoder has at most 1120 tokens; the tiny text model reads an
// image whole in its sliding layers (llama.cpp: non-causal image batches need the whole
// image in one micro-batch), so both engines use micro-batches of 2048.
const ubatch = "2048";
const ctx = "4096";
const prompt = "What is in this picture? Describe it.";

fs.mkdirSync(dir, {recursive: true});

function mtmdBinary() {
  const out = execFileSync("bash", [path.join(here, "build-mtmd.sh")], {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]});
  return out.trim().split("\n").pop();
}

// Synthetic text model + mmproj, written again when older than the edgelm binary.
function ensureModels() {
  const text = path.join(dir, `vision-text-tiny-f32.gguf`);
  const mmproj = path.join(dir, `vision-mmproj-tiny-${quant}.gguf`);
  const stale = (f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs < fs.statSync(bin).mtimeMs;
  if (stale(text)) execFileSync(bin, ["synth", "--preset", "tiny", "--quant", "f32", "-o", text, "--seed", "21"]);
  if (stale(mmproj)) execFileSync(bin, ["synth", "--preset", "tiny", "--quant", quant, "--mmproj-out", mmproj, "--seed", "22"]);
  return {text, mmproj};
}

function ensureImage(format, w, h, seed) {
  const file = path.join(dir, `vision-${w}x${h}-${seed}.${format}`);
  if (!fs.existsSync(file)) execFileSync(makeImage, [file, format, String(w), String(h), String(seed)]);
  return file;
}

function runLlama(mtmd, models, images) {
  const args = ["-m", models.text, "--mmproj", models.mmproj, "-p", prompt, "--jinja", "--temp", "0", "-n",
    String(nTokens), "-c", ctx, "-b", ubatch, "-ub", ubatch, "-fa", "off", "-t", threads, "--seed", "1", "-v"];
  for (const img of images) args.push("--image", img);
  const r = spawnSync(mtmd, args, {encoding: "utf8", maxBuffer: 64 << 20});
  assert.equal(r.status, 0, `llama-mtmd-cli failed:\n${r.stderr.slice(-3000)}`);
  // Image token counts: one "decoding image batch ..., n_tokens_batch = N" line per image.
  const counts = [...r.stderr.matchAll(/decoding image batch \d+\/\d+, n_tokens_batch = (\d+)/g)].map((m) => Number(m[1]));
  return {text: r.stdout, counts, log: r.stderr};
}

function runEdgelm(models, images) {
  const args = ["run", "-m", models.text, "--mmproj", models.mmproj, "-p", prompt, "--temp", "0", "-n", String(nTokens),
    "-c", ctx, "-u", ubatch, "-t", threads, "--ids", "--think"];
  for (const img of images) args.push("--image", img);
  const r = spawnSync(bin, args, {encoding: "utf8"});
  assert.equal(r.status, 0, `edgelm run failed:\n${r.stderr}`);
  const ids = r.stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  const counts = [...r.stderr.matchAll(/^image .*?(\d+) tokens/gm)].map((m) => Number(m[1]));
  // The text llama-mtmd-cli prints: each token's piece, control tokens rendered.
  const pieces = ids.map((id) => execFileSync(bin, ["detokenize", "-m", models.text, "--ids", String(id),
    "--render-special"], {encoding: "utf8"}).replace(/\n$/, ""));
  return {ids, pieces, counts, log: r.stderr};
}

const cases = [
  {name: "png 640x480 (4:3)", images: [["png", 640, 480, 1]]},
  {name: "jpeg 480x640 (portrait)", images: [["jpeg", 480, 640, 2]]},
  {name: "png 1200x300 (4:1, wide)", images: [["png", 1200, 300, 3]]},
  {name: "png 64x64 (upscaled to the minimum)", images: [["png", 64, 64, 4]]},
  {name: "bmp 333x517 (odd sides)", images: [["bmp", 333, 517, 5]]},
  {name: "jpeg 1280x720 (16:9, downscaled)", images: [["jpeg", 1280, 720, 6]]},
  {name: "two images in one prompt", images: [["png", 640, 480, 1], ["jpeg", 300, 200, 7]]},
];

const mtmd = mtmdBinary();
const models = ensureModels();

for (const c of cases) {
  test(`vision parity: ${c.name}`, () => {
    const images = c.images.map(([f, w, h, s]) => ensureImage(f, w, h, s));
    const llama = runLlama(mtmd, models, images);
    const ours = runEdgelm(models, images);
    assert.equal(llama.counts.length, images.length, `llama.cpp image batches not found in its log:\n${llama.log.slice(-2000)}`);
    assert.deepEqual(ours.counts, llama.counts, "image token counts");
    // llama-mtmd-cli stops before printing an end-of-generation token; edgelm lists it.
    let text = ours.pieces.join("");
    if (!llama.text.includes(text) && ours.ids.length < nTokens) text = ours.pieces.slice(0, -1).join("");
    assert.ok(text.length > 0, "edgelm generated nothing");
    assert.ok(llama.text.includes(text),
      `greedy continuations differ\n llama.cpp: ${JSON.stringify(llama.text.slice(-600))}\n edgelm:    ${JSON.stringify(text)}\n edgelm ids: ${ours.ids.join(" ")}`);
    console.log(`${c.name}: ${ours.counts.join("+")} image tokens, ${ours.ids.length} tokens equal`);
  });
}
