// Greedy generation with llama.cpp: node generate.mjs MODEL "ID ID ..." N [CTX]
// Prints one JSON object: {"tokens": [...], "top_probs": [...]} where
// top_probs[i] is the probability llama.cpp gave the token it chose at step i.
import {loadLlama} from "./oracle.mjs";

const [modelPath, idsText, nText, ctxText] = process.argv.slice(2);
if (!modelPath || !idsText || !nText) {
  console.error("usage: node generate.mjs MODEL \"ID ID ...\" N [CTX]");
  process.exit(2);
}
const ids = idsText.trim().split(/[\s,]+/).map(Number);
const n = Number(nText);

const llama = await loadLlama();
const model = await llama.loadModel({modelPath});
const ctx = await model.createContext({contextSize: Number(ctxText || 512), threads: 2, flashAttention: false});
const seq = ctx.getSequence();
const tokens = [];
const topProbs = [];
for await (const step of seq.evaluateWithMetadata(ids, {temperature: 0, probabilities: true})) {
  tokens.push(step.token);
  topProbs.push(step.probabilities.get(step.token));
  if (tokens.length >= n) break;
}
console.log(JSON.stringify({tokens, top_probs: topProbs}));
await ctx.dispose();
await model.dispose();
