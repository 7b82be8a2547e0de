// Images through `edgelm serve --mmproj` (the tiny Gemma 4 with the tiny gemma4v
// encoder, random weights): OpenAI-style image_url parts (data: URLs) in
// /v1/chat/completions, the KV cache reused for a conversation that shows the same
// image again, clear 400s for bad images and for a server without an encoder, and the
// chat page's attach button in Chromium (screenshot under the build directory).
// EDGELM_VISION_MODEL / EDGELM_VISION_MMPROJ run it on another pair instead (e.g. the
// synthetic E2B text model with the E2B mmproj; EDGELM_VISION_WAIT_S: answer timeout).
import {after, before, describe, test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import {bin, loadPlaywright, startServer, tinyModel, workDir} from "./harness.mjs";

const makeImage = process.env.EDGELM_MAKE_IMAGE;
assert.ok(makeImage, "set EDGELM_MAKE_IMAGE (the make_test_image tool)");
const chromiumPath = process.env.EDGELM_CHROMIUM || "/usr/bin/chromium";

const waitMs = Number(process.env.EDGELM_VISION_WAIT_S || 120) * 1000;
const textModel = () => process.env.EDGELM_VISION_MODEL || tinyModel();

function mmproj() {
  if (process.env.EDGELM_VISION_MMPROJ) return process.env.EDGELM_VISION_MMPROJ;
  fs.mkdirSync(workDir, {recursive: true});
  const file = path.join(workDir, "server-mmproj-tiny.gguf");
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    execFileSync(bin, ["synth", "--preset", "tiny", "--mmproj-out", tmp], {stdio: "ignore"});
    fs.renameSync(tmp, file);
  }
  return file;
}

function image(format, w, h, seed) {
  const file = path.join(workDir, `server-image-${w}x${h}-${seed}.${format}`);
  if (!fs.existsSync(file)) execFileSync(makeImage, [file, format, String(w), String(h), String(seed)]);
  return file;
}

const dataUrl = (file, type) => `data:${type};base64,${fs.readFileSync(file).toString("base64")}`;

async function chat(server, messages, extra = {}) {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({messages, temperature: 0, max_tokens: 8, ...extra}),
    signal: AbortSignal.timeout(waitMs),
  });
  return {status: response.status, body: await response.json()};
}

describe("images in the server", () => {
  let server;
  before(async () => {
    server = await startServer(["--mmproj", mmproj(), "--ctx", "4096"], {model: textModel()});
  });
  after(async () => {
    await server?.stop();
  });

  test("image_url parts become image tokens; the same image again reuses the cache", async () => {
    const png = dataUrl(image("png", 320, 240, 1), "image/png");
    const turn = [{role: "user", content: [{type: "image_url", image_url: {url: png}}, {type: "text", text: "What is this?"}]}];
    const textOnly = await chat(server, [{role: "user", content: "What is this?"}]);
    const first = await chat(server, turn);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    // 320x240 -> 336x240 -> at least 70 tokens of image between <|image> and <image|>.
    assert.ok(first.body.usage.prompt_tokens >= textOnly.body.usage.prompt_tokens + 70,
              `${first.body.usage.prompt_tokens} vs ${textOnly.body.usage.prompt_tokens}`);
    // The conversation goes on: the first turn, image included, comes from the cache (all
    // but its last few tokens: the template writes a finished model turn differently
    // from the open one the first reply followed).
    const reply = first.body.choices[0].message.content;
    const second = await chat(server, [...turn, {role: "assistant", content: reply}, {role: "user", content: "And now?"}]);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.ok(second.body.usage.prompt_tokens_details.cached_tokens >= first.body.usage.prompt_tokens - 8,
              `${JSON.stringify(second.body.usage)} after ${JSON.stringify(first.body.usage)}`);
    // Another image at the same place is evaluated again.
    const other = dataUrl(image("jpeg", 320, 240, 2), "image/jpeg");
    const third = await chat(server, [{role: "user", content: [{type: "image_url", image_url: {url: other}},
                                                               {type: "text", text: "What is this?"}]}]);
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.ok(third.body.usage.prompt_tokens_details.cached_tokens < first.body.usage.prompt_tokens - 70,
              JSON.stringify(third.body.usage));
  });

  test("bad images are 400s naming the problem", async () => {
    const ask = (url) => chat(server, [{role: "user", content: [{type: "image_url", image_url: {url}}, {type: "text", text: "?"}]}]);
    const cases = [
      ["https://example.org/cat.png", /data: URL/],
      ["data:image/png,notbase64", /base64/],
      ["data:image/png;base64,@@@@", /not valid base64/],
      [`data:text/plain;base64,${Buffer.from("hello, world").toString("base64")}`, /unsupported image format/],
      [dataUrl(image("png", 64, 64, 3), "image/png").slice(0, 400), /corrupt or truncated|truncated/],
    ];
    for (const [url, message] of cases) {
      const r = await ask(url);
      assert.equal(r.status, 400, `${url.slice(0, 40)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, message);
    }
    const wrongType = await chat(server, [{role: "user", content: [{type: "input_audio", input_audio: {}}]}]);
    assert.equal(wrongType.status, 400);
  });

  test("the chat page attaches an image and shows the answer", async () => {
    const {chromium} = loadPlaywright();
    const browser = await chromium.launch({executablePath: chromiumPath, headless: true, args: ["--no-sandbox"]});
    try {
      const page = await browser.newPage({viewport: {width: 1100, height: 800}});
      page.on("pageerror", (error) => { throw error; });
      await page.goto(server.url + "/");
      await page.waitForFunction(() => !document.getElementById("model").textContent.includes("connecting"));
      await page.click("#toggle-settings");
      await page.fill("#temperature", "0");
      await page.fill("#max_tokens", "16");
      await page.click("#toggle-settings");
      await page.setInputFiles("#image-file", image("png", 480, 360, 4));
      await page.waitForSelector("#attachments img");
      await page.fill("#input", "What do you see in this picture?");
      await page.click("#send");
      await page.waitForSelector("body[data-state=idle] .msg.assistant.done", {timeout: waitMs});
      assert.equal(await page.locator(".msg.user img").count(), 1, "the sent image is shown in the conversation");
      assert.equal(await page.locator("#attachments img").count(), 0, "the attachment is cleared once sent");
      assert.equal(await page.locator(".msg.assistant .error").count(), 0,
                   await page.locator(".msg.assistant").first().textContent());
      const meta = await page.textContent(".msg.assistant .meta");
      const promptTokens = Number(meta.match(/prompt (\d+)/)[1]);
      assert.ok(promptTokens > 70, `the image's tokens are in the prompt: ${meta}`);
      fs.mkdirSync(workDir, {recursive: true});
      const shot = path.join(workDir, `chat-page-image-${path.basename(textModel(), ".gguf")}.png`);
      await page.screenshot({path: shot, fullPage: true});
      console.log(`screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  });
});

describe("a server without a vision encoder", () => {
  test("refuses image parts with a 400 that says how to enable them", async () => {
    const server = await startServer(["--ctx", "1024"]);
    try {
      const url = dataUrl(image("png", 64, 64, 5), "image/png");
      const r = await chat(server, [{role: "user", content: [{type: "image_url", image_url: {url}}, {type: "text", text: "?"}]}]);
      assert.equal(r.status, 400);
      assert.match(r.body.error.message, /--mmproj/);
    } finally {
      await server.stop();
    }
  });
});
