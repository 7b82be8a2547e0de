// Deterministic prompt sets for the token-for-token parity test (run_parity.test.mjs,
// parity.mjs). A prompt is either an array of token ids (BOS first) or {text}, which
// parity.mjs tokenizes with llama.cpp (special tokens parsed, BOS prepended).
//
// Random prompts come from a seeded PRNG (mulberry32), so every run, every machine and
// every engine sees the same ids. Ids are drawn mostly from the ordinary range of the
// Gemma 4 vocabulary, with a few control tokens mixed in at a fixed rate.

export const kBos = 2;

// Gemma 4 ids that llama.cpp treats as end-of-generation (model.isEogToken): <eos>,
// <|tool_response>, <turn|>. None is drawn at random. <turn|> is still put into some
// prompts on purpose (kSpecialIds): it closes every turn of a real chat prompt, and
// llama.cpp decodes an EOG id inside a prompt like any other id (nothing in
// llama_decode or node-llama-cpp looks at input ids), so an engine must not stop or
// special-case it there. <eos> itself (1) is never put into a prompt.
export const kEogIds = [1, 50, 106];

// Control / user-defined ids mixed into the prompts: <|turn> <turn|> <|think|>
// <|channel> <channel|> <|tool> <tool|> <|tool_call> <|"|> "\n" "\n\n" and a byte
// token (<0x0A>, attribute BYTE).
export const kSpecialIds = [105, 106, 98, 100, 101, 46, 47, 48, 52, 107, 108, 248];

// Ordinary range for random ids: above the control/unused block, below the vocab size.
export const kOrdinaryMin = 200;
export const kOrdinaryMax = 262143;  // inclusive; the tiny/e2b presets embed the 262144-token vocab

// mulberry32: small, fast, good enough for test data; returns floats in [0, 1).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A prompt of `length` ids in total (BOS included), deterministic in `seed`.
// specialRate: the chance that a position (after BOS) holds an id from kSpecialIds.
export function randomPrompt(seed, length, {specialRate = 0, vocabMax = kOrdinaryMax} = {}) {
  if (!(length >= 1)) throw new Error(`prompt length ${length} < 1`);
  const rand = mulberry32(seed);
  const ids = [kBos];
  while (ids.length < length) {
    if (specialRate > 0 && rand() < specialRate) {
      ids.push(kSpecialIds[Math.floor(rand() * kSpecialIds.length)]);
    } else {
      const id = kOrdinaryMin + Math.floor(rand() * (vocabMax - kOrdinaryMin + 1));
      if (!kEogIds.includes(id)) ids.push(id);
    }
  }
  return ids;
}

// A chat-formatted text prompt (Gemma 4 turn markers); tokenized by llama.cpp.
export const kChatText =
  "<|turn>user\nWrite a short poem about the sea, the wind and a lighthouse keeper " +
  "who counts the ships at night.<turn|>\n<|turn>model\n";

// Prompt sets by preset. Lengths include BOS. The tiny preset has a sliding window of
// 32 tokens, so lengths straddle it (31, 32, 33) and go well past it; 513 and 600 cross
// a micro-batch of 512 (llama.cpp then decodes the prompt as 512 + rest, see parity.mjs).
export function promptSet(preset = "tiny") {
  if (preset === "tiny") {
    return [
      randomPrompt(1, 1),                          // BOS alone
      randomPrompt(2, 3),
      randomPrompt(3, 17, {specialRate: 0.15}),
      randomPrompt(4, 31),
      randomPrompt(5, 32, {specialRate: 0.1}),     // exactly the window
      randomPrompt(6, 33),                         // window + 1
      randomPrompt(7, 100, {specialRate: 0.05}),
      randomPrompt(8, 257),
      randomPrompt(9, 513, {specialRate: 0.03}),   // ubatch + 1
      randomPrompt(10, 600, {specialRate: 0.03}),
      {text: kChatText},
    ];
  }
  if (preset === "e2b") {
    // Big model on 2 cores: few, short prompts (see run_parity.test.mjs).
    return [
      {text: kChatText},
      randomPrompt(21, 12, {specialRate: 0.1}),
      randomPrompt(22, 40),
    ];
  }
  throw new Error(`no prompt set for preset "${preset}"`);
}
