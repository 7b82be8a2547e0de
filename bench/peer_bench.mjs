// The peer benchmark: edgelm against llama.cpp on the same GGUF files, with the same
// threads, context and workload, runs interleaved. Started by bench/peer_bench.sh
// (which installs llama.cpp and builds edgelm first); see bench/README.md.
//
// Per repetition: the memory read bandwidth (edgelm bench --bandwidth), then for each
// model and each prompt size P one process of each engine (edgelm bench / llama_bench.mjs
// with -r 1), alternating which engine goes first; the largest P's processes also
// decode N tokens. Reported: medians over the repetitions, the engines' ratios, peak RSS
// (the largest of an engine's processes) and decode as a share of the bandwidth roofline.
import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);

const usage = `usage: bench/peer_bench.sh [options]
  --models LIST      synthetic models as PRESET:QUANT, comma-separated (presets tiny, e2b, e4b;
                     quants e.g. q4_0, q4_k, iq4_nl) [default: e2b:q4_0]
  --model FILE       an existing GGUF file instead (repeatable; replaces the default --models)
  -p LIST            prompt sizes for pp, comma-separated, 0 for none [default: 128,512]
  -n N               tokens decoded for tg, 0 for none [default: 128]
  -r REPS            interleaved repetitions [default: 3]
  -t THREADS         threads for both engines [default: all cores, ${os.availableParallelism()}]
  -c CTX             context size for both engines [default: 4096]
  -u UBATCH          micro-batch (llama.cpp batch and ubatch) [default: 512]
  --no-warmup        skip each process's untimed warm-up run
  --bandwidth-mib N  buffer of the bandwidth test [default: 1024]
  --models-dir DIR   where synthetic models are written and reused
                     [default: $EDGELM_BENCH_MODELS or ~/.cache/edgelm-bench/models]
  --out DIR          where latest.json and latest.md go [default: bench/results]
  --edgelm BIN       the edgelm binary [default: $EDGELM_BIN or build/bin/edgelm]`;

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = {
    models: null, files: [], pp: [128, 512], n: 128, reps: 3, threads: os.availableParallelism(), ctx: 4096,
    ubatch: 512, warmup: true, bandwidthMib: 1024,
    modelsDir: process.env.EDGELM_BENCH_MODELS || path.join(os.homedir(), ".cache", "edgelm-bench", "models"),
    out: path.join(benchDir, "results"),
    edgelm: process.env.EDGELM_BIN || path.join(root, "build", "bin", "edgelm"),
  };
  const count = (flag, text) => {
    const v = Number(text);
    if (!(Number.isInteger(v) && v >= 0)) fail(`${flag}: '${text}' is not a non-negative integer`);
    return v;
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      console.log(usage);
      process.exit(0);
    }
    if (a === "--no-warmup") {
      o.warmup = false;
      continue;
    }
    if (i + 1 >= argv.length) fail(`${a}: missing value (or unknown option)\n${usage}`);
    const v = argv[++i];
    switch (a) {
      case "--models": o.models = v.split(",").filter(Boolean); break;
      case "--model": o.files.push(v); break;
      case "-p": o.pp = v.split(",").filter(Boolean).map((x) => count(a, x)).filter((x) => x > 0); break;
      case "-n": o.n = count(a, v); break;
      case "-r": o.reps = count(a, v); break;
      case "-t": o.threads = count(a, v); break;
      case "-c": o.ctx = count(a, v); break;
      case "-u": o.ubatch = count(a, v); break;
      case "--bandwidth-mib": o.bandwidthMib = count(a, v); break;
      case "--models-dir": o.modelsDir = v; break;
      case "--out": o.out = v; break;
      case "--edgelm": o.edgelm = v; break;
      default: fail(`unknown option '${a}'\n${usage}`);
    }
  }
  o.pp = [...new Set(o.pp)].sort((x, y) => x - y);
  if (o.pp.length === 0 && o.n === 0) fail("nothing to measure: -p has no size and -n is 0");
  if (o.reps === 0) fail("-r must be at least 1");
  if (o.threads === 0) o.threads = os.availableParallelism();
  if (o.models === null) o.models = o.files.length ? [] : ["e2b:q4_0"];
  for (const m of o.models) {
    if (!/^(tiny|e2b|e4b):[a-z0-9_]+$/i.test(m)) fail(`--models: '${m}' is not PRESET:QUANT (e.g. e2b:q4_0)`);
  }
  if (!fs.existsSync(o.edgelm)) fail(`edgelm binary not found: ${o.edgelm} (build it with scripts/build.sh release)`);
  return o;
}

// Runs a command; returns its stdout, or stops with its stderr.
function run(cmd, args, what) {
  const r = spawnSync(cmd, args, {encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"]});
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stderr.trim()}`);
  return r.stdout;
}

function runJson(cmd, args, what) {
  const out = run(cmd, args, what);
  try {
    return JSON.parse(out);
  } catch {
    fail(`${what}: output is not JSON:\n${out.slice(0, 500)}`);
  }
}

// A synthetic model, written once and reused (a .partial file until complete).
function ensureModel(o, spec) {
  const [preset, quant] = spec.toLowerCase().split(":");
  const file = path.join(o.modelsDir, `${preset}-${quant}.gguf`);
  if (fs.existsSync(file)) return {file, preset, quant};
  fs.mkdirSync(o.modelsDir, {recursive: true});
  console.error(`writing ${file} (edgelm synth --preset ${preset} --quant ${quant})`);
  const partial = `${file}.partial`;
  run(o.edgelm, ["synth", "--preset", preset, "--quant", quant, "-t", String(o.threads), "-o", partial],
      `edgelm synth ${spec}`);
  fs.renameSync(partial, file);
  return {file, preset, quant};
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function summary(values) {
  return values.length ? {median: median(values), min: Math.min(...values), max: Math.max(...values), samples: values}
    : null;
}

function machine() {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpu = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const flags = cpuinfo.match(/^flags\s*:\s*(.*)$/m)?.[1].split(" ") ?? [];
  const simd = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_int8"].filter((f) => flags.includes(f));
  return {cpu, cores: os.availableParallelism(), memory_bytes: os.totalmem(), kernel: os.release(), simd};
}

function gitCommit() {
  const r = spawnSync("git", ["-C", root, "describe", "--always", "--dirty"], {encoding: "utf8"});
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

// The CPU features llama.cpp reports as used ("AVX2 = 1 | ..." → "AVX2 ...").
function llamaFeatures(systemInfo) {
  return [...(systemInfo ?? "").matchAll(/([A-Z0-9_]+) = 1/g)].map((m) => m[1]).join(" ");
}

const o = parseArgs(process.argv.slice(2));
// Other processes on the cores make every figure unreliable, llama.cpp's most: its
// threads spin while waiting for each other, and a descheduled spinner stalls them all.
const busy = os.loadavg()[0];  // before this script adds its own (model writing)
const loadWarning = busy > os.availableParallelism() - o.threads + 0.5
  ? `load average ${busy.toFixed(1)} on ${os.availableParallelism()} cores before the run: other processes compete ` +
    `for the ${o.threads} benchmark threads, so the figures (llama.cpp's above all) are not representative`
  : null;
if (loadWarning) console.error(`warning: ${loadWarning}`);

const models = [...o.models.map((m) => ensureModel(o, m)), ...o.files.map((file) => {
  if (!fs.existsSync(file)) fail(`model file not found: ${file}`);
  return {file, preset: null, quant: null};
})];

// One process per (prompt size): the last also decodes.
const invocations = o.pp.length ? o.pp.map((p, i) => ({p, n: i === o.pp.length - 1 ? o.n : 0})) : [{p: 0, n: o.n}];
const common = (inv) => ["-p", String(inv.p), "-n", String(inv.n), "-r", "1", "-t", String(o.threads),
  "-c", String(o.ctx), "-u", String(o.ubatch), ...(o.warmup ? [] : ["--no-warmup"])];
const engines = {
  edgelm: (m, inv) => runJson(o.edgelm, ["bench", "-m", m.file, "--json", ...common(inv)], `edgelm bench ${m.file}`),
  "llama.cpp": (m, inv) => runJson(process.execPath, [path.join(benchDir, "llama_bench.mjs"), "-m", m.file,
    ...common(inv), ...(m.n_vocab ? ["--n-vocab", String(m.n_vocab)] : [])], `llama.cpp bench ${m.file}`),
};

const bandwidth = [];
const results = models.map(() => ({edgelm: [], "llama.cpp": []}));
const started = new Date();
for (let rep = 0; rep < o.reps; ++rep) {
  const bw = runJson(o.edgelm, ["bench", "--bandwidth", "--json", "-t", String(o.threads), "--bandwidth-mib",
    String(o.bandwidthMib)], "edgelm bench --bandwidth");
  bandwidth.push(bw.bandwidth_bytes_per_s);
  console.error(`rep ${rep + 1}/${o.reps}: memory read bandwidth ${(bw.bandwidth_bytes_per_s / 1e9).toFixed(1)} GB/s`);
  const order = rep % 2 === 0 ? ["edgelm", "llama.cpp"] : ["llama.cpp", "edgelm"];
  models.forEach((m, mi) => {
    for (const inv of invocations) {
      for (const engine of order) {
        const r = engines[engine](m, inv);
        if (r.threads !== o.threads) fail(`${engine} ran with ${r.threads} threads instead of ${o.threads}`);
        if (engine === "edgelm") m.n_vocab ??= r.n_vocab;
        results[mi][engine].push(r);
        const parts = [];
        if (inv.p) parts.push(`pp${inv.p} ${r.pp_tps.toFixed(2)} t/s`);
        if (inv.n) parts.push(`tg${inv.n} ${r.tg_tps.toFixed(2)} t/s`);
        console.error(`rep ${rep + 1}/${o.reps}: ${path.basename(m.file)} ${engine}: ${parts.join(", ")}, ` +
                      `peak RSS ${(r.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB`);
      }
    }
  });
}

const bandwidthBps = median(bandwidth);
const report = {
  date: started.toISOString(),
  warning: loadWarning,
  machine: {...machine(), load_average_before: busy},
  edgelm: {commit: gitCommit(), binary: o.edgelm},
  settings: {threads: o.threads, ctx: o.ctx, ubatch: o.ubatch, reps: o.reps, pp: o.pp, n_gen: o.n, warmup: o.warmup,
    flash_attention: false, kv_cache: "f16", tg_feed: "greedy"},
  bandwidth: {bytes_per_s: bandwidthBps, samples: bandwidth, buffer_mib: o.bandwidthMib},
  models: models.map((m, mi) => {
    const first = results[mi].edgelm[0];
    const weights = first.weights_bytes_per_token;
    const roofline = bandwidthBps / weights;
    const engineSummary = (runs) => {
      const s = {pp: {}, ttft_ms: {}};
      for (const p of o.pp) {
        s.pp[p] = summary(runs.filter((r) => r.n_prompt === p).map((r) => r.pp_tps));
        s.ttft_ms[p] = summary(runs.filter((r) => r.n_prompt === p).map((r) => r.ttft_ms));
      }
      s.tg = o.n ? summary(runs.filter((r) => r.n_gen === o.n).map((r) => r.tg_tps)) : null;
      s.peak_rss_bytes = Math.max(...runs.map((r) => r.peak_rss_bytes));
      s.tg_roofline_pct = s.tg ? 100 * s.tg.median / roofline : null;
      return s;
    };
    const e = engineSummary(results[mi].edgelm);
    const l = engineSummary(results[mi]["llama.cpp"]);
    const ratio = (a, b) => (a != null && b ? a / b : null);
    const llamaRun = results[mi]["llama.cpp"][0];
    return {
      file: m.file, preset: m.preset, quant: m.quant, file_bytes: first.file_bytes, type_mix: first.type_mix,
      weights_bytes_per_token: weights, roofline_tg_tps: roofline,
      kernels: first.kernels, llama_cpp: {release: llamaRun.llama_cpp_release, features: llamaFeatures(llamaRun.system_info),
        baseline_rss_bytes: llamaRun.baseline_rss_bytes},
      engines: {edgelm: e, "llama.cpp": l},
      ratios: {
        pp: Object.fromEntries(o.pp.map((p) => [p, ratio(e.pp[p]?.median, l.pp[p]?.median)])),
        ttft_ms: Object.fromEntries(o.pp.map((p) => [p, ratio(e.ttft_ms[p]?.median, l.ttft_ms[p]?.median)])),
        tg: ratio(e.tg?.median, l.tg?.median),
        peak_rss: ratio(e.peak_rss_bytes, l.peak_rss_bytes),
      },
      runs: results[mi],
    };
  }),
};

// Markdown: one table per model.
const gib = (b) => `${(b / 2 ** 30).toFixed(2)} GiB`;
const mib = (b) => (b >= 2 ** 30 ? gib(b) : `${(b / 2 ** 20).toFixed(0)} MiB`);
const f = (v, digits = 2) => (v == null ? "–" : v.toFixed(digits));
const x = (v) => (v == null ? "–" : `${v.toFixed(2)}×`);
const mc = report.machine;
const lines = [
  `## Peer benchmark: edgelm vs llama.cpp (${report.date.slice(0, 10)})`,
  "",
  `- machine: ${mc.cpu}, ${mc.cores} cores, ${gib(mc.memory_bytes)} RAM, Linux ${mc.kernel}; ` +
  `SIMD: ${mc.simd.join(" ") || "none detected"}`,
  `- memory read bandwidth: ${f(bandwidthBps / 1e9, 1)} GB/s with ${o.threads} threads ` +
  `(median of ${o.reps} runs, each the best of 5 passes over ${o.bandwidthMib} MiB)`,
  `- edgelm ${report.edgelm.commit}; llama.cpp ${report.models[0].llama_cpp.release ?? "?"} ` +
  "(node-llama-cpp 3.22.1 prebuilt, CPU backend picked at run time)",
  `- ${o.threads} threads, context ${o.ctx}, ubatch ${o.ubatch}, flash attention off, f16 KV cache; ` +
  `${o.reps} interleaved repetitions, medians; tg decodes greedily after a one-token prompt` +
  `${o.warmup ? "; each process warms up first" : ""}`,
  ...(loadWarning ? [`- **warning**: ${loadWarning}`] : []),
  "",
];
for (const m of report.models) {
  const e = m.engines.edgelm, l = m.engines["llama.cpp"];
  lines.push(`### ${path.basename(m.file)}: ${mib(m.file_bytes)} (${m.type_mix})`, "");
  lines.push(`${mib(m.weights_bytes_per_token)} of weights read per decoded token → decode roofline ` +
             `${f(m.roofline_tg_tps)} t/s. edgelm kernels: ${m.kernels}. llama.cpp CPU features: ${m.llama_cpp.features}.`, "");
  const ppCols = o.pp.map((p) => `pp${p} t/s`);
  const ttftCol = o.pp.length ? [`ttft pp${o.pp.at(-1)} ms`] : [];
  const tgCols = o.n ? [`tg${o.n} t/s`, "tg % of roofline"] : [];
  const header = ["engine", ...ppCols, ...(o.n ? [tgCols[0]] : []), ...ttftCol, "peak RSS", ...(o.n ? [tgCols[1]] : [])];
  lines.push(`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i ? "---:" : "---")).join("|")}|`);
  const row = (name, s) => [name, ...o.pp.map((p) => f(s.pp[p]?.median)), ...(o.n ? [f(s.tg?.median)] : []),
    ...(o.pp.length ? [f(s.ttft_ms[o.pp.at(-1)]?.median, 1)] : []), mib(s.peak_rss_bytes),
    ...(o.n ? [`${f(s.tg_roofline_pct, 1)} %`] : [])];
  lines.push(`| ${row("edgelm", e).join(" | ")} |`, `| ${row("llama.cpp", l).join(" | ")} |`);
  const r = m.ratios;
  const ratioRow = ["**edgelm / llama.cpp**", ...o.pp.map((p) => x(r.pp[p])), ...(o.n ? [x(r.tg)] : []),
    ...(o.pp.length ? [x(r.ttft_ms[o.pp.at(-1)])] : []), x(r.peak_rss), ...(o.n ? [""] : [])];
  lines.push(`| ${ratioRow.join(" | ")} |`, "");
  lines.push(`Ranges (min–max over repetitions): ` + [
    ...o.pp.map((p) => `pp${p} edgelm ${f(e.pp[p]?.min)}–${f(e.pp[p]?.max)}, llama.cpp ${f(l.pp[p]?.min)}–${f(l.pp[p]?.max)}`),
    ...(o.n ? [`tg${o.n} edgelm ${f(e.tg?.min)}–${f(e.tg?.max)}, llama.cpp ${f(l.tg?.min)}–${f(l.tg?.max)}`] : []),
  ].join("; ") + `. llama.cpp's peak RSS includes Node.js (${mib(m.llama_cpp.baseline_rss_bytes)} before loading).`, "");
}
const markdown = lines.join("\n");
fs.mkdirSync(o.out, {recursive: true});
fs.writeFileSync(path.join(o.out, "latest.json"), JSON.stringify(report, null, 2) + "\n");
fs.writeFileSync(path.join(o.out, "latest.md"), markdown);
console.log(markdown);
console.error(`wrote ${path.join(o.out, "latest.json")} and latest.md`);
