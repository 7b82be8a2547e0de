// Continuous batching in `edgelm serve`, measured: for each --parallel N, N clients ask
// at once for a reply of a fixed length (end-of-turn tokens banned, greedy), and the
// aggregate decode rate is compared with one client alone. Decode is bound by reading
// the weights; a batched step reads them once for all N sequences, so the aggregate
// rate should grow with N while one sequence's rate drops only a little.
//
//   node bench/server_batch.mjs -m MODEL.gguf [-n TOKENS] [-t THREADS] [--parallel 1,2,4] [-r REPS]
//
// EDGELM_BIN picks the binary (default build/bin/edgelm). Prints a table (medians over
// the repetitions) and, with --json, one JSON object.
import {performance} from "node:perf_hooks";
import {bin, eogTokenIds, startServer} from "../tests/server/harness.mjs";

function parseArgs(argv) {
  const a = {model: null, tokens: 64, threads: 2, parallel: [1, 2, 4], reps: 3, json: false};
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case "-m": a.model = v(); break;
      case "-n": a.tokens = Number(v()); break;
      case "-t": a.threads = Number(v()); break;
      case "-r": a.reps = Number(v()); break;
      case "--parallel": a.parallel = v().split(",").map(Number); break;
      case "--json": a.json = true; break;
      case "-h": case "--help":
        console.log("usage: node bench/server_batch.mjs -m MODEL.gguf [-n TOKENS] [-t THREADS] [--parallel 1,2,4] [-r REPS] [--json]");
        process.exit(0);
      default: throw new Error(`unknown argument ${argv[i]} (see --help)`);
    }
  }
  if (!a.model) throw new Error("-m MODEL.gguf is required (see --help)");
  if (!(a.tokens > 0) || !(a.reps > 0) || a.parallel.some((n) => !(n > 0))) throw new Error("bad -n, -r or --parallel");
  return a;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

async function ask(server, i, tokens, logitBias) {
  const r = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({
      messages: [{role: "user", content: `Client ${i}: write a long story about the number ${i}.`}],
      max_tokens: tokens, temperature: 0, logit_bias: logitBias,
    }),
  });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(body)}`);
  return body.usage.completion_tokens;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const logitBias = Object.fromEntries(eogTokenIds(a.model).map((id) => [String(id), -100]));
  const rows = [];
  for (const n of a.parallel) {
    const server = await startServer(["--parallel", String(n), "--ctx", String(256 + a.tokens), "-t", String(a.threads)],
                                     {model: a.model});
    try {
      await ask(server, 0, 2, logitBias);  // warm-up: pages in the weights
      const rates = [], perSeq = [];
      for (let rep = 0; rep < a.reps; rep++) {
        const start = performance.now();
        const done = await Promise.all(Array.from({length: n}, (_, i) => ask(server, i, a.tokens, logitBias)));
        const s = (performance.now() - start) / 1000;
        const total = done.reduce((x, y) => x + y, 0);
        rates.push(total / s);
        perSeq.push(total / s / n);
      }
      rows.push({parallel: n, aggregate_tps: median(rates), per_sequence_tps: median(perSeq)});
    } finally {
      await server.stop();
    }
  }
  const base = rows.find((r) => r.parallel === 1)?.aggregate_tps ?? rows[0].aggregate_tps;
  for (const r of rows) r.speedup = r.aggregate_tps / base;
  if (a.json) {
    console.log(JSON.stringify({model: a.model, bin, threads: a.threads, tokens: a.tokens, reps: a.reps, rows}));
    return;
  }
  console.log(`edgelm serve, ${a.model}, ${a.threads} threads, ${a.tokens}-token replies (prompt included), medians of ${a.reps}`);
  console.log("| parallel | aggregate t/s | per sequence t/s | aggregate vs 1 |");
  console.log("|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.parallel} | ${r.aggregate_tps.toFixed(1)} | ${r.per_sequence_tps.toFixed(1)} | ${r.speedup.toFixed(2)}× |`);
  }
}

main().catch((e) => {
  console.error(`server_batch: ${e.message}`);
  process.exit(1);
});
