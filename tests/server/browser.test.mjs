// The chat page at `/` in a real browser: Debian's Chromium, headless, driven by
// playwright-core. A person's path through it — open the page, type a message, watch
// the answer stream in, stop a long answer — against `edgelm serve` with the tiny
// model; the page's markdown renderer and its thought display on known input; and
// that the page asks nothing of any other host (it works offline). A screenshot of
// the conversation is saved under the build directory.
import {after, before, describe, test} from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import {eogTokenIds, health, loadPlaywright, startServer, tinyModel, waitFor, workDir} from "./harness.mjs";

const chromiumPath = process.env.EDGELM_CHROMIUM || "/usr/bin/chromium";
const {chromium} = loadPlaywright();

describe("the chat page in Chromium", () => {
  let server, browser, page;
  const foreignRequests = [];
  before(async () => {
    server = await startServer(["--parallel", "2", "--ctx", "2048"]);
    browser = await chromium.launch({executablePath: chromiumPath, headless: true, args: ["--no-sandbox"]});
    page = await browser.newPage({viewport: {width: 1100, height: 800}});
    page.on("request", (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith("data:")) foreignRequests.push(request.url());
    });
    page.on("pageerror", (error) => { throw error; });
    await page.goto(server.url + "/");
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("shows the model and sends a message; the answer streams in", async () => {
    await page.waitForFunction(() => !document.getElementById("model").textContent.includes("connecting"));
    assert.equal(await page.textContent("#model"), "server-tiny-q4_0");
    // Settings as a person sets them: a system prompt, greedy, a short answer.
    await page.click("#toggle-settings");
    await page.fill("#system", "You are terse.");
    await page.fill("#temperature", "0");
    await page.fill("#max_tokens", "24");
    await page.click("#toggle-settings");
    await page.fill("#input", "Hello there! What is 2 + 2?");
    await page.keyboard.press("Enter");
    await page.waitForSelector("body[data-state=streaming]");
    await page.waitForSelector("body[data-state=idle]", {timeout: 60000});
    const user = await page.textContent(".msg.user");
    assert.equal(user, "Hello there! What is 2 + 2?");
    const meta = await page.textContent(".msg.assistant .meta");
    assert.match(meta, /\d+ tokens/, meta);
    const answer = await page.textContent(".msg.assistant .answer");
    assert.ok(answer.length > 0, "an answer was rendered");
    assert.equal(await page.locator(".msg.assistant .error").count(), 0);
    // The page's answer is what the API gives for the same request.
    const api = await (await fetch(server.baseURL + "/chat/completions", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({
        messages: [{role: "system", content: "You are terse."}, {role: "user", content: "Hello there! What is 2 + 2?"}],
        temperature: 0, top_p: 0.95, max_tokens: 24,
      }),
    })).json();
    const plain = await page.evaluate((md) => {
      const div = document.createElement("div");
      div.innerHTML = Markdown.render(md);
      return div.textContent;
    }, api.choices[0].message.content);
    assert.equal(answer, plain);

    // A second turn: the conversation's earlier turn is reused from the slot's cache.
    await page.fill("#input", "And 3 + 3?");
    await page.click("#send");
    await page.waitForFunction(() => document.querySelectorAll(".msg.assistant.done").length === 2, null, {timeout: 60000});
    const meta2 = await page.locator(".msg.assistant .meta").nth(1).textContent();
    const cached = Number(meta2.match(/\((\d+) cached\)/)[1]);
    assert.ok(cached > 0, `the second turn reuses cached tokens: ${meta2}`);

    fs.mkdirSync(workDir, {recursive: true});
    const shot = path.join(workDir, "chat-page.png");
    await page.screenshot({path: shot, fullPage: true});
    console.log(`screenshot: ${shot}`);
    assert.deepEqual(foreignRequests, [], "the page loads nothing from other hosts");
  });

  test("the stop button ends a long answer and the server cancels it", async () => {
    // The tiny model could end its answer by itself at any moment: the page's request
    // goes to the server with the end-of-turn tokens banned, so only Stop ends it.
    const logitBias = Object.fromEntries(eogTokenIds(tinyModel()).map((id) => [String(id), -100]));
    await page.route("**/v1/chat/completions", (route) => {
      const body = JSON.parse(route.request().postData());
      route.continue({postData: JSON.stringify({...body, logit_bias: logitBias})});
    });
    const before = await health(server);
    await page.click("#new-chat");
    await page.click("#toggle-settings");
    await page.fill("#max_tokens", "1900");
    await page.fill("#temperature", "0.8");
    await page.click("#toggle-settings");
    await page.fill("#input", "Write a very long story.");
    await page.click("#send");
    await page.waitForFunction(() => document.querySelector(".msg.assistant .answer")?.textContent.length > 5, null,
                               {timeout: 60000});
    await page.click("#stop");
    await page.waitForSelector("body[data-state=idle]");
    await page.unroute("**/v1/chat/completions");
    assert.match(await page.textContent(".msg.assistant .meta"), /stopped/);
    assert.equal(await page.isDisabled("#send"), false);
    const h = await waitFor(async () => {
      const now = await health(server);
      return now.requests_cancelled > before.requests_cancelled && now.slots_processing === 0 ? now : null;
    }, 60, "the server to cancel the answer");
    assert.equal(h.slots_idle, 2);
  });

  test("markdown renders as HTML, and model text never becomes markup", async () => {
    const html = await page.evaluate(() => Markdown.render([
      "# Title", "", "Some **bold**, *italic*, `code <b>`, ~~gone~~ and [a link](https://example.org/?a=1&b=2).", "",
      "- one", "- two with `x`", "", "1. first", "2. second", "",
      "```python", "def f(x):", "    return x < 2 and '<script>'", "```", "",
      "| a | b |", "|---|--:|", "| 1 | 2 |", "",
      "> quoted", "", "<img src=x onerror=alert(1)> [bad](javascript:alert(1))", "", "---", "Setext", "===",
    ].join("\n")));
    const dom = await page.evaluate((markup) => {
      const div = document.createElement("div");
      div.innerHTML = markup;
      const q = (s) => div.querySelectorAll(s).length;
      return {
        h1: [...div.querySelectorAll("h1")].map((h) => h.textContent), strong: q("strong"), em: q("em"), del: q("del"), inlineCode: div.querySelector("p code")?.textContent,
        link: div.querySelector("a")?.getAttribute("href"), links: q("a"), ul: q("ul > li"), ol: q("ol > li"),
        code: div.querySelector("pre code")?.textContent, lang: div.querySelector("pre .lang")?.textContent,
        cells: [...div.querySelectorAll("td")].map((c) => c.textContent), rightAligned: div.querySelectorAll("td")[1]?.style.textAlign,
        quote: div.querySelector("blockquote")?.textContent.trim(), img: q("img"), script: q("script"), hr: q("hr"),
      };
    }, html);
    assert.deepEqual(dom, {
      h1: ["Title", "Setext"], strong: 1, em: 1, del: 1, inlineCode: "code <b>", link: "https://example.org/?a=1&b=2", links: 1,
      ul: 2, ol: 2, code: "def f(x):\n    return x < 2 and '<script>'", lang: "python", cells: ["1", "2"],
      rightAligned: "right", quote: "quoted", img: 0, script: 0, hr: 1,
    });
    // A fence still open (the answer is streaming) is already a code block.
    const open = await page.evaluate(() => Markdown.render("Here:\n```js\nlet a = 1;"));
    assert.match(open, /<pre>.*<code>let a = 1;<\/code><\/pre>$/s);
  });

  test("thoughts are shown apart from the answer, folded once the answer begins", async () => {
    // A reply with a thought channel, as the server streams it for a thinking Gemma 4
    // (the tiny model's random weights never think): delivered by the page's own
    // fetch, served here.
    const events = [
      {choices: [{index: 0, delta: {role: "assistant", content: ""}, finish_reason: null}]},
      {choices: [{index: 0, delta: {reasoning_content: "The user wants a sum. "}, finish_reason: null}]},
      {choices: [{index: 0, delta: {reasoning_content: "2 + 2 = 4."}, finish_reason: null}]},
      {choices: [{index: 0, delta: {content: "It is **4**."}, finish_reason: null}]},
      {choices: [{index: 0, delta: {}, finish_reason: "stop"}]},
      {choices: [], usage: {prompt_tokens: 20, completion_tokens: 12, total_tokens: 32, prompt_tokens_details: {cached_tokens: 0}}},
    ];
    const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n";
    await page.route("**/v1/chat/completions", (route) => route.fulfill({status: 200, contentType: "text/event-stream", body}));
    await page.click("#new-chat");
    await page.fill("#input", "What is 2 + 2?");
    await page.click("#send");
    await page.waitForSelector(".msg.assistant.done");
    await page.unroute("**/v1/chat/completions");
    const view = await page.evaluate(() => {
      const m = document.querySelector(".msg.assistant");
      const details = m.querySelector("details.thought");
      return {
        hidden: details.hidden, open: details.open, thought: details.querySelector(".thought-text").textContent,
        summary: details.querySelector("summary").textContent, answer: m.querySelector(".answer").innerHTML,
      };
    });
    assert.equal(view.hidden, false);
    assert.equal(view.open, false, "folded once the answer began");
    assert.equal(view.thought, "The user wants a sum. 2 + 2 = 4.");
    assert.match(view.summary, /^Thought for/);
    assert.equal(view.answer, "<p>It is <strong>4</strong>.</p>");
    await page.click("details.thought summary");  // unfold it, as a reader would
    const shot = path.join(workDir, "chat-page-thoughts.png");
    await page.screenshot({path: shot});
    console.log(`screenshot: ${shot}`);
  });
});

describe("the chat page with an API key", () => {
  let server, browser;
  before(async () => {
    server = await startServer(["--api-key", "sk-page-test"]);
    browser = await chromium.launch({executablePath: chromiumPath, headless: true, args: ["--no-sandbox"]});
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("asks for the key, then works with it (and remembers it)", async () => {
    const page = await browser.newPage();
    await page.goto(server.url + "/");
    await page.waitForFunction(() => document.getElementById("model").textContent.includes("API key"));
    await page.fill("#input", "Hi");
    await page.click("#send");
    await page.waitForSelector(".msg.assistant.done");
    assert.match(await page.textContent(".msg.assistant .error"), /API key/);
    await page.click("#toggle-settings");
    await page.fill("#api_key", "sk-page-test");
    await page.dispatchEvent("#api_key", "change");
    await page.waitForFunction(() => document.getElementById("model").textContent === "server-tiny-q4_0");
    await page.fill("#max_tokens", "4");
    await page.fill("#input", "Hi again");
    await page.click("#send");
    await page.waitForFunction(() => document.querySelectorAll(".msg.assistant.done").length === 2);
    assert.equal(await page.locator(".msg.assistant").nth(1).locator(".error").count(), 0);
    assert.match(await page.locator(".msg.assistant .meta").nth(1).textContent(), /\d+ tokens/);
    await page.reload();
    assert.equal(await page.inputValue("#api_key"), "sk-page-test", "kept in localStorage");
    await page.close();
  });
});
