// Shared loader for the oracle scripts: imports node-llama-cpp from the cache
// directory that install-oracle.sh fills (it is not a dependency of the repo).
import os from "node:os";
import path from "node:path";
import {pathToFileURL} from "node:url";

const dir = process.env.EDGELM_ORACLE_DIR || path.join(os.homedir(), ".cache", "edgelm-oracle");

// `options` are added to getLlama's (the benchmark passes maxThreads).
export async function loadLlama(options = {}) {
  const entry = path.join(dir, "node_modules", "node-llama-cpp", "dist", "index.js");
  const {getLlama} = await import(pathToFileURL(entry).href);
  return getLlama({gpu: false, build: "never", logLevel: "error", ...options});
}

// @huggingface/jinja (a dependency of node-llama-cpp): the reference chat-template renderer.
export async function loadJinja() {
  const entry = path.join(dir, "node_modules", "@huggingface", "jinja", "dist", "index.js");
  return import(pathToFileURL(entry).href);
}

// GGUF metadata read by node-llama-cpp's own reader (independent of edgelm's).
export async function readGgufMetadata(file) {
  const entry = path.join(dir, "node_modules", "node-llama-cpp", "dist", "index.js");
  const {readGgufFileInfo} = await import(pathToFileURL(entry).href);
  return (await readGgufFileInfo(file, {readTensorInfo: false})).metadata;
}
