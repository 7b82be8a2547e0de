// Deterministic prompt sets for the token-for-token parity test (run_parity.test.mjs,
// parity.mjs). A prompt is either an array of token ids (BOS first) or {text}, which
// parity.mjs tokenizes with llama.cpp (special tokens parsed, the model's BOS prepended).
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

// The vocabularies of the presets: BOS, ids never drawn at random (end of
// generation), control ids mixed in on purpose, and the ordinary range [min, max].
export const kVocabs = {
  gemma4: {bos: kBos, eog: kEogIds, special: kSpecialIds, min: kOrdinaryMin, max: kOrdinaryMax},
  // Llama 3 (llama-bpe, 128256 ids): every special token is at 128000 and above, the
  // EOG ones (<|end_of_text|> 128001, <|eom_id|> 128008, <|eot_id|> 128009) included.
  // Mixed in: <|start_header_id|> <|end_header_id|> <|eot_id|> <|python_tag|>, a
  // reserved special token, "\n" and "\n\n", as chat prompts carry them.
  "llama-bpe": {bos: 128000, eog: [128001, 128008, 128009], special: [128006, 128007, 128009, 128010, 128011, 198, 271],
                min: 0, max: 127999},
  // Llama 2 SentencePiece (llama-spm, 32000 ids): <unk> <s> </s>, then the 256 byte
  // tokens <0x00>..<0xFF> (3..258). Mixed in: byte tokens (<0x0A> "\n" among them)
  // and "▁" (29871).
  "llama-spm": {bos: 1, eog: [2], special: [13, 3, 258, 29871], min: 259, max: 31999},
};

// A prompt of `length` ids in total (BOS included), deterministic in `seed`.
// specialRate: the chance that a position (after BOS) holds an id from the vocabulary's
// special ids.
export function randomPrompt(seed, length, {specialRate = 0, vocabMax = kOrdinaryMax, vocab = kVocabs.gemma4} = {}) {
  if (!(length >= 1)) throw new Error(`prompt length ${length} < 1`);
  const max = vocab === kVocabs.gemma4 ? vocabMax : vocab.max;
  const rand = mulberry32(seed);
  const ids = [vocab.bos];
  while (ids.length < length) {
    if (specialRate > 0 && rand() < specialRate) {
      ids.push(vocab.special[Math.floor(rand() * vocab.special.length)]);
    } else {
      const id = vocab.min + Math.floor(rand() * (max - vocab.min + 1));
      if (!vocab.eog.includes(id)) ids.push(id);
    }
  }
  return ids;
}

// A chat-formatted text prompt (Gemma 4 turn markers); tokenized by llama.cpp.
export const kChatText =
  "<|turn>user\nWrite a short poem about the sea, the wind and a lighthouse keeper " +
  "who counts the ships at night.<turn|>\n<|turn>model\n";

// A Llama 3 chat turn (the Llama 3.2 template's markers) and plain text.
export const kLlamaChatText =
  "<|start_header_id|>user<|end_header_id|>\n\nWrite a short poem about the sea, the wind and a lighthouse " +
  "keeper who counts the ships at night.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
export const kPlainText = "The lighthouse keeper counted the ships at night, and when the wind rose over the sea he";

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
  if (preset === "llama-tiny" || preset === "openelm-tiny") {
    // The peers (no sliding window): 8 prompts around the micro-batch of 512, random
    // ids with and without control tokens, and one text prompt tokenized by llama.cpp
    // (a Llama 3 chat turn; plain text for the OpenELM base model).
    const vocab = preset === "llama-tiny" ? kVocabs["llama-bpe"] : kVocabs["llama-spm"];
    return [
      randomPrompt(31, 1, {vocab}),                          // BOS alone
      randomPrompt(32, 3, {vocab}),
      randomPrompt(33, 17, {specialRate: 0.15, vocab}),
      randomPrompt(34, 64, {vocab}),
      randomPrompt(35, 100, {specialRate: 0.05, vocab}),
      randomPrompt(36, 257, {vocab}),
      randomPrompt(37, 513, {specialRate: 0.03, vocab}),     // ubatch + 1
      {text: preset === "llama-tiny" ? kLlamaChatText : kPlainText},
    ];
  }
  throw new Error(`no prompt set for preset "${preset}"`);
}
