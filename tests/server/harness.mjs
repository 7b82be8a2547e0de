// Shared pieces of the server tests: the pinned clients (installed by
// install-clients.sh into a cache directory, not the repository), a synthetic tiny
// Gemma 4 (real vocabulary and chat template, random weights), and `edgelm serve`
// started on a free loopback port and stopped again.
import {spawn, execFileSync} from "node:child_process";
import fs from "node:fs";
import {createRequire} from "node:module";
import os from "node:os";
import path from "node:path";

export const bin = process.env.EDGELM_BIN || path.resolve("build/bin/edgelm");
export const workDir = process.env.EDGELM_SERVER_TEST_DIR || path.join(os.tmpdir(), "edgelm-server-tests");
const clientsDir = process.env.EDGELM_SERVER_CLIENTS_DIR || path.join(os.homedir(), ".cache", "edgelm-server-clients");
const requireClient = createRequire(path.join(clientsDir, "package.json"));

export function loadOpenAI() {
  return requireClient("openai").OpenAI;
}

export function loadPlaywright() {
  return requireClient("playwright-core");
}

// The tiny model, written once (to a temporary name, then renamed: tests running at
// the same time never see half a file).
export function tinyModel() {
  fs.mkdirSync(workDir, {recursive: true});
  const model = path.join(workDir, "server-tiny-q4_0.gguf");
  if (!fs.existsSync(model)) {
    const tmp = `${model}.${process.pid}.tmp`;
    execFileSync(bin, ["synth", "--preset", "tiny", "--quant", "q4_0", "-o", tmp], {stdio: "ignore"});
    fs.renameSync(tmp, model);
  }
  return model;
}

// Token ids of `text` by `edgelm tokenize` (no BOS; control-token text parsed).
export function tokenIds(model, text) {
  const out = execFileSync(bin, ["tokenize", "-m", model, "-p", text, "--no-bos"], {encoding: "utf8"}).trim();
  return out === "" ? [] : out.split(/\s+/).map(Number);
}

// The model's end-of-generation tokens (a test that must keep generating bans them
// with logit_bias).
export function eogTokenIds(model) {
  const ids = ["<eos>", "<turn|>", "<|tool_response>"].map((t) => tokenIds(model, t)).filter((x) => x.length === 1).map((x) => x[0]);
  if (ids.length === 0) throw new Error("no end-of-generation tokens found");
  return ids;
}

// Starts `edgelm serve` on a free port; resolves to {url, baseURL, pid, stderr(), stop()}.
export async function startServer(args = [], {model = tinyModel()} = {}) {
  const threads = args.includes("-t") ? [] : ["-t", "2"];
  const child = spawn(bin, ["serve", "-m", model, "--port", "0", ...threads, ...args], {stdio: ["ignore", "ignore", "pipe"]});
  let stderr = "";
  child.stderr.setEncoding("utf8");
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`edgelm serve did not start:\n${stderr}`)), 60000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const m = stderr.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`edgelm serve exited (${code}):\n${stderr}`));
    });
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({code, signal})));
  return {
    url,
    baseURL: `${url}/v1`,
    pid: child.pid,
    stderr: () => stderr,
    // SIGTERM, and the exit status (0 when the server stopped cleanly).
    async stop() {
      if (child.exitCode !== null) return {code: child.exitCode, signal: null};
      child.kill("SIGTERM");
      return exited;
    },
    exited,
  };
}

// Resident and peak resident memory of a process, in bytes (Linux /proc).
export function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))[1]) * 1024;
  return {rss: kb("VmRSS"), peak: kb("VmHWM")};
}

// Polls `check` (async, truthy = done) every 50 ms for at most `seconds`.
export async function waitFor(check, seconds, what) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function health(server) {
  const response = await fetch(`${server.url}/health`);
  return response.json();
}
