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
