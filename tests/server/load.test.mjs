// A bounded load test on loopback: 200 requests, 8 at a time, against `edgelm serve
// --parallel 4` — chat and completions, streamed and not, short replies — through the
// official openai client. Passes when every request succeeds and the server's
// resident memory after the run has not grown past a bound over what it was after a
// warm-up. Prints requests/s, p50/p99 latency and peak RSS (figures on a shared
// machine are rough; they are reported, never asserted).
import {after, before, test} from "node:test";
import assert from "node:assert/strict";

import {loadOpenAI, memoryOf, startServer} from "./harness.mjs";

const OpenAI = loadOpenAI();
const TOTAL = Number(process.env.EDGELM_LOAD_REQUESTS || 200);
const CONCURRENCY = 8;
const WARMUP = 80;
const RSS_GROWTH_BOUND = 48 << 20;  // bytes the run may add over the warm-up (allocator slack)

let server, client;
before(async () => {
  server = await startServer(["--parallel", "4", "--ctx", "512"]);
  client = new OpenAI({baseURL: server.baseURL, apiKey: "unused", maxRetries: 0, timeout: 120000});
});
after(async () => { await server.stop(); });

// Request i of the mix: a quarter each of chat/completions x streamed/not, varied
// prompts and lengths, greedy and sampled.
async function request(i) {
  const maxTokens = 4 + (i % 13);
  const sampling = i % 3 === 0 ? {temperature: 0} : {temperature: 0.8, seed: i};
  const stream = i % 2 === 1;
  if (i % 4 < 2) {
    const r = await client.chat.completions.create({
      model: "any", max_tokens: maxTokens, stream, ...sampling, ...(stream ? {stream_options: {include_usage: true}} : {}),
      messages: [{role: "user", content: `Question ${i}: say something about ${i % 17} apples.`}],
    });
    if (!stream) return r.usage.completion_tokens;
    let usage = null;
    for await (const chunk of r) usage = chunk.usage ?? usage;
    return usage.completion_tokens;
  }
  const r = await client.completions.create({model: "any", prompt: `Item ${i}:`, max_tokens: maxTokens, stream, ...sampling});
  if (!stream) return r.usage.completion_tokens;
  let n = 0;
  for await (const chunk of r) n += chunk.choices[0]?.text ? 1 : 0;
  return n;
}

// Runs requests [from, to) with CONCURRENCY in flight; returns latencies (ms) and errors.
async function run(from, to) {
  const latencies = [], errors = [];
  let next = from;
  async function worker() {
    while (next < to) {
      const i = next++;
      const start = performance.now();
      try {
        await request(i);
        latencies.push(performance.now() - start);
      } catch (e) {
        errors.push(`request ${i}: ${e.message}`);
      }
    }
  }
  await Promise.all(Array.from({length: CONCURRENCY}, worker));
  return {latencies, errors};
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

test(`${TOTAL} requests, ${CONCURRENCY} concurrent: no errors, flat memory`, async () => {
  const warm = await run(0, WARMUP);
  assert.deepEqual(warm.errors, []);
  const afterWarmup = memoryOf(server.pid);
  const start = performance.now();
  const {latencies, errors} = await run(WARMUP, WARMUP + TOTAL);
  const seconds = (performance.now() - start) / 1000;
  const afterRun = memoryOf(server.pid);
  latencies.sort((a, b) => a - b);
  const mib = (b) => (b / 1048576).toFixed(1);
  console.log(`load: ${TOTAL} requests, ${CONCURRENCY} concurrent, --parallel 4: ${(TOTAL / seconds).toFixed(1)} requests/s, ` +
              `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, ` +
              `RSS ${mib(afterWarmup.rss)} MiB after warm-up -> ${mib(afterRun.rss)} MiB after, peak ${mib(afterRun.peak)} MiB`);
  assert.deepEqual(errors, []);
  assert.equal(latencies.length, TOTAL);
  assert.ok(afterRun.rss <= afterWarmup.rss + RSS_GROWTH_BOUND,
            `RSS grew from ${mib(afterWarmup.rss)} to ${mib(afterRun.rss)} MiB (bound +${mib(RSS_GROWTH_BOUND)} MiB)`);
});
