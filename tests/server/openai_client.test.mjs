// `edgelm serve` through the official OpenAI SDK (npm `openai`, pinned in
// install-clients.sh), as applications use it: chat and completions, streamed and
// not, the model list, OpenAI-style errors the SDK turns into its typed exceptions,
// the API key, a client that goes away mid-stream, and parallel streams that each
// generate exactly what they generate alone.
import {after, before, describe, test} from "node:test";
import assert from "node:assert/strict";

import {eogTokenIds, health, loadOpenAI, startServer, tinyModel, tokenIds, waitFor} from "./harness.mjs";

const OpenAI = loadOpenAI();
const hello = [{role: "user", content: "Hello! Who are you?"}];

// The id of a text that is one token in the model's vocabulary.
function tokenId(text) {
  const ids = tokenIds(tinyModel(), text);
  assert.equal(ids.length, 1, `${JSON.stringify(text)} is one token`);
  return ids[0];
}

async function collectChat(stream) {
  const out = {content: "", reasoning: "", chunks: [], finish: null, usage: null, roles: []};
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.role) out.roles.push(choice.delta.role);
    out.content += choice.delta.content ?? "";
    out.reasoning += choice.delta.reasoning_content ?? "";
    if (choice.finish_reason) out.finish = choice.finish_reason;
  }
  return out;
}

describe("edgelm serve with the openai client", () => {
  let server, client;
  before(async () => {
    server = await startServer(["--parallel", "4", "--ctx", "1024"]);
    client = new OpenAI({baseURL: server.baseURL, apiKey: "unused", maxRetries: 0, timeout: 120000});
  });
  after(async () => {
    const {code} = await server.stop();
    assert.equal(code, 0, `the server stops cleanly on SIGTERM:\n${server.stderr()}`);
  });

  test("lists the model", async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    assert.equal(models.length, 1);
    assert.equal(models[0].id, "server-tiny-q4_0");
    assert.equal(models[0].object, "model");
  });

  test("chat completion, not streamed", async () => {
    const r = await client.chat.completions.create({model: "any", messages: hello, max_tokens: 12, temperature: 0});
    assert.equal(r.object, "chat.completion");
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, "assistant");
    assert.equal(typeof r.choices[0].message.content, "string");
    assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
    assert.ok(r.usage.prompt_tokens > 5);
    assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 12);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
    if (r.choices[0].finish_reason === "length") assert.equal(r.usage.completion_tokens, 12);
  });

  test("chat completion, streamed, equals the same request not streamed", async () => {
    const request = {model: "any", messages: hello, max_tokens: 16, temperature: 0.7, seed: 42};
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({...request, stream: true, stream_options: {include_usage: true}});
    const s = await collectChat(stream);
    assert.deepEqual(s.roles, ["assistant"]);
    assert.equal(s.content, whole.choices[0].message.content);
    assert.equal(s.finish, whole.choices[0].finish_reason);
    assert.ok(s.usage, "include_usage gives a usage chunk");
    assert.equal(s.usage.completion_tokens, whole.usage.completion_tokens);
    assert.equal(s.usage.prompt_tokens, whole.usage.prompt_tokens);
    const last = s.chunks.at(-1);
    assert.deepEqual(last.choices, [], "the usage chunk has no choices");
    for (const chunk of s.chunks.slice(0, -1)) assert.equal(chunk.usage, null, "usage is null in the other chunks");
  });

  test("stop strings and max_tokens", async () => {
    const base = {model: "any", messages: hello, max_tokens: 24, temperature: 0};
    const full = (await client.chat.completions.create(base)).choices[0].message.content;
    assert.ok(full.length >= 6, `a reply to cut: ${JSON.stringify(full)}`);
    const stop = full.slice(3, 5);
    const cut = await client.chat.completions.create({...base, stop: [stop, "never-there"]});
    assert.equal(cut.choices[0].message.content, full.slice(0, full.indexOf(stop)));
    assert.equal(cut.choices[0].finish_reason, "stop");
    const short = await client.chat.completions.create({...base, max_tokens: 3});
    assert.equal(short.usage.completion_tokens, 3);
    assert.equal(short.choices[0].finish_reason, "length");
  });

  test("seeds repeat a sampled reply; logit_bias steers it", async () => {
    const base = {model: "any", messages: hello, max_tokens: 16, temperature: 1.0, seed: 7};
    const a = await client.chat.completions.create(base);
    const b = await client.chat.completions.create(base);
    assert.equal(a.choices[0].message.content, b.choices[0].message.content, "same seed, same reply");
    // +100 on one token outweighs anything a model's logits say: greedy picks it every time.
    const id = tokenId(" banana");
    const steered = await client.completions.create({
      model: "any", prompt: "Once upon a time", max_tokens: 5, temperature: 0, logit_bias: {[id]: 100},
    });
    assert.equal(steered.choices[0].text, " banana".repeat(5));
  });

  test("completions, streamed and not", async () => {
    const request = {model: "any", prompt: "Once upon a time", max_tokens: 10, temperature: 0};
    const whole = await client.completions.create(request);
    assert.equal(whole.object, "text_completion");
    assert.equal(typeof whole.choices[0].text, "string");
    assert.ok(whole.usage.prompt_tokens >= 4);
    let text = "", finish = null;
    for await (const chunk of await client.completions.create({...request, stream: true})) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, whole.choices[0].text);
    assert.equal(finish, whole.choices[0].finish_reason);
  });

  test("bad requests are 4xx with OpenAI's error object, and extras are ignored", async () => {
    await assert.rejects(client.chat.completions.create({model: "any", messages: [], max_tokens: 1}),
                         (e) => e instanceof OpenAI.BadRequestError && e.param === "messages");
    await assert.rejects(client.chat.completions.create({model: "any", messages: hello, temperature: "hot"}),
                         (e) => e.status === 400 && e.param === "temperature" && e.type === "invalid_request_error");
    await assert.rejects(client.chat.completions.create({model: "any", messages: hello, n: 3}),
                         (e) => e.status === 400 && e.param === "n");
    await assert.rejects(client.completions.create({model: "any", prompt: "x".repeat(2000) + " y".repeat(2000)}),
                         (e) => e.status === 400 && e.code === "context_length_exceeded");
    const ok = await client.chat.completions.create({
      model: "any", messages: hello, max_tokens: 2, user: "u-1", metadata: {a: "b"}, store: false,
      stream_options: null, some_future_field: {nested: [1, 2, 3]},
    });
    assert.equal(ok.object, "chat.completion");
    // What the SDK cannot send: malformed JSON, a wrong content type, a huge body.
    const post = (body, headers = {"Content-Type": "application/json"}) =>
      fetch(`${server.baseURL}/chat/completions`, {method: "POST", headers, body});
    for (const body of ["{", "[]", "null", '{"messages": "hi"}', '{"messages": [{"role": "user", "content": 1}]}']) {
      const r = await post(body);
      assert.equal(r.status, 400, body);
      const e = await r.json();
      assert.equal(e.error.type, "invalid_request_error", body);
      assert.equal(typeof e.error.message, "string");
    }
    const huge = await post(JSON.stringify({messages: [{role: "user", content: "x".repeat(9 << 20)}]}));
    assert.equal(huge.status, 413);
    assert.equal((await huge.json()).error.type, "invalid_request_error");
    const missing = await fetch(`${server.baseURL}/embeddings`, {method: "POST", body: "{}"});
    assert.equal(missing.status, 404);
    assert.ok((await missing.json()).error.message.includes("/v1/embeddings"));
    assert.equal((await health(server)).status, "ok", "the server is still there");
  });

  test("no input crashes it: every field with every JSON type, every prefix of a body", async () => {
    const post = (body) => fetch(`${server.baseURL}/chat/completions`, {method: "POST", body});
    const fields = ["messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p",
                    "seed", "stop", "presence_penalty", "frequency_penalty", "logit_bias", "n", "tools",
                    "chat_template_kwargs", "logprobs", "response_format", "top_k", "min_p", "repeat_penalty"];
    const values = [null, true, 0, -1, 1.5, 1e308, "x", "", [], [1], {}, {"1": 2}, [{}], [{"role": "user"}],
                    [{"type": "text", "text": "y"}]];
    const cases = [];
    for (const field of fields) {
      for (const value of values) {
        // (No limit means "until the context is full": long on random weights, and not what is tested here.)
        if (field.startsWith("max_") && (value === -1 || value === null)) continue;
        cases.push({field, value});
      }
    }
    const statuses = new Map();
    let next = 0;
    const worker = async () => {  // four at a time: the slots are used together too
      while (next < cases.length) {
        const {field, value} = cases[next++];
        const r = await post(JSON.stringify({messages: hello, max_tokens: 1, [field]: value}));
        const text = await r.text();  // the whole reply, streamed or not
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        assert.ok(r.status === 200 || r.status === 400, `${field}: ${JSON.stringify(value)} -> ${r.status} ${text}`);
        if (r.status === 400) assert.equal(JSON.parse(text).error.type, "invalid_request_error");
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    assert.ok(statuses.get(200) > 0 && statuses.get(400) > 0, JSON.stringify([...statuses]));
    const whole = JSON.stringify({messages: [{role: "user", content: "Hi ✓ there"}], max_tokens: 1, stop: ["a", "b"]});
    for (let n = 0; n < whole.length; n++) {
      const r = await post(whole.slice(0, n));
      assert.equal(r.status, 400, `prefix of ${n} bytes`);
      await r.text();
    }
    assert.equal((await health(server)).status, "ok");
  });

  test("a client that goes away mid-stream stops the generation", async () => {
    // Banned end-of-turn tokens and no token limit: without the cancel this request
    // would run until its 1024-token context is full.
    const logit_bias = Object.fromEntries(eogTokenIds(tinyModel()).map((id) => [String(id), -100]));
    const before = await health(server);
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
        {model: "any", messages: hello, stream: true, logit_bias, temperature: 0}, {signal: controller.signal});
    let chunks = 0;
    // (The SDK ends the iteration quietly when its request is aborted.)
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content && ++chunks === 3) controller.abort();
    }
    assert.equal(chunks, 3);
    const after = await waitFor(async () => {
      const h = await health(server);
      return h.slots_processing === 0 && h.requests_cancelled > before.requests_cancelled ? h : null;
    }, 60, "the cancelled request to end");
    assert.equal(after.slots_idle, 4);
    // And the server keeps working.
    const r = await client.chat.completions.create({model: "any", messages: hello, max_tokens: 3});
    assert.equal(r.usage.completion_tokens <= 3, true);
  });

  test("parallel streams all complete, each with what it gives alone", async () => {
    const requests = [];
    for (let i = 0; i < 8; i++) {
      requests.push({
        model: "any",
        messages: [{role: "user", content: `Request number ${i}: tell me about the number ${i * 7}.`}],
        max_tokens: 8 + 2 * i,
        temperature: i % 2 ? 0.9 : 0,
        seed: 1000 + i,
      });
    }
    const together = await Promise.all(requests.map(async (r) => collectChat(await client.chat.completions.create({...r, stream: true}))));
    for (let i = 0; i < requests.length; i++) {
      const alone = await client.chat.completions.create(requests[i]);
      assert.equal(together[i].content, alone.choices[0].message.content, `request ${i}`);
      assert.equal(together[i].finish, alone.choices[0].finish_reason, `request ${i}`);
    }
  });
});

describe("edgelm serve with an API key", () => {
  let server;
  before(async () => { server = await startServer(["--api-key", "sk-edgelm-test"]); });
  after(async () => { await server.stop(); });

  test("requests without the key are refused, with it they pass", async () => {
    const anonymous = new OpenAI({baseURL: server.baseURL, apiKey: "wrong", maxRetries: 0});
    await assert.rejects(anonymous.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
    await assert.rejects(anonymous.chat.completions.create({model: "any", messages: hello}),
                         (e) => e.status === 401 && e.code === "invalid_api_key");
    const keyed = new OpenAI({baseURL: server.baseURL, apiKey: "sk-edgelm-test", maxRetries: 0});
    const r = await keyed.chat.completions.create({model: "any", messages: hello, max_tokens: 2});
    assert.equal(r.object, "chat.completion");
    assert.equal((await health(server)).status, "ok", "/health needs no key");
    const page = await fetch(server.url + "/");
    assert.equal(page.status, 200, "the chat page itself needs no key (it asks for one)");
  });

  test("binds to loopback by default", async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
