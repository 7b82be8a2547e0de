// Seeded test strings for the tokenizer parity test (tokenize_parity.test.mjs): short
// pieces of many kinds — scripts, emoji sequences, combining marks, whitespace and
// newline runs, code, numbers, contractions, special tokens and look-alikes — glued
// together at random. The same seed gives the same strings on every machine.
import {mulberry32} from "./prompts.mjs";

const words = {
  latin: ["Hello", "world", "the", "quick", "brown", "fox", "naïve", "café", "Größe", "façade", "Ångström", "œuvre",
    "déjà", "ÉCOLE", "smörgåsbord", "Dvořák", "łódź", "İstanbul", "straße", "MiXeD", "a", "I", "x"],
  greek: ["Καλημέρα", "κόσμε", "ΑΒΓ", "λόγος", "ψ"],
  cyrillic: ["Привет", "мир", "ёлка", "Ещё", "щ", "Україна"],
  cjk: ["你好", "世界", "中文测试", "漢字", "日本語", "こんにちは", "カタカナ", "ｶﾀｶﾅ", "한국어", "안녕하세요", "㐀", "𠀀𠀁", "鿿"],
  arabic: ["مرحبا", "بالعالم", "العربية", "ﻻ", "سلام"],
  hebrew: ["שלום", "עולם", "עִבְרִית"],
  devanagari: ["नमस्ते", "हिन्दी", "क्षत्रिय", "ॐ", "स्वागत"],
  thai: ["สวัสดี", "ภาษาไทย", "ครับ", "กรุงเทพมหานคร"],
  other: ["ሰላም", "Բարեւ", "გამარჯობა", "ᚠᚢᚦ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟙𝟚𝟛", "ㄅㄆㄇ", "ꦲꦤ", "𐍈"],
  emoji: ["😀", "🚀", "👍🏽", "👋🏿", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸", "🇯🇵", "1️⃣", "❤️", "🧑🏻‍💻", "👩‍❤️‍💋‍👨", "🫠",
    "✨", "☺", "♥", "©", "™", "🦀🦀"],
  combining: ["e\u0301", "a\u0300\u0316", "n\u0303", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334",
    "\u0301", "o\u0308\u0304", "\u0915\u094d\u0937", "\u05e9\u05c1\u05b8"],
  code: ["int main() {", "return 0;", "}", "x += 1;", "if (a < b && c > d)", "fn foo(&self) -> u32",
    "def f(x):\n    return x**2", "for (int i = 0; i < n; ++i)", "console.log(`${a}`);", "<div class=\"x\">",
    "</div>", "SELECT * FROM t WHERE id=42;", "#include <stdio.h>", "a->b", "::", "=>", "!==", "/* c */",
    "// comment", "\"quoted\"", "'single'", "`tick`", "[1, 2, 3]", "{\"k\": null}", "$HOME", "@user", "#tag",
    "50%", "C++", "O(n^2)", "x_1", "__init__", "..."],
  numbers: ["0", "7", "42", "123", "1234", "12345", "3.14159", "1,234,567", "1e-10", "0x1F", "-5", "+1",
    "2024-01-15", "12:30", "٣٤٥", "१२३", "１２３", "Ⅻ", "½", "²", "000", "9999999999"],
  contractions: ["I'm", "you're", "it's", "we've", "they'll", "he'd", "don't", "'S", "'T", "'RE", "'Ve", "'lL",
    "'D", "'M", "o'clock", "rock'n'roll", "'", "''", "' '", "n't"],
  punct: [".", ",", "!", "?", ";", ":", "-", "—", "–", "…", "(", ")", "[", "]", "{", "}", "«", "»", "“", "”",
    "‘", "’", "¿", "¡", "。", "、", "！", "？", "·", "•", "§", "¶", "†", "№", "€", "$", "£", "¥", "¢",
    "‰", "→", "∑", "√", "∞", "≠", "±", "×", "÷", "ℝ", "⌘", "▁", "▁▁", "\\", "/", "|", "~", "^", "&", "*"],
  whitespace: [" ", "  ", "   ", "    ", "        ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r",
    " \n", "\n ", " \t\n", "\u00a0", "\u3000", "\u2028", "\u2009", "\u200b", "\ufeff", " \n\n  \t", "\n\t\n"],
  special: ["<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "<|turn>", "<turn|>", "<|think|>", "<|channel>",
    "<channel|>", "<|tool>", "<tool|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<tool_response|>",
    "<|\"|>", "<|image|>", "<|audio>", "<|image>", "<image|>", "<|video|>", "</s>", "<s>", "<|begin_of_text|>",
    "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_0|>",
    "<|reserved_special_token_250|>", "<|finetune_right_pad_id|>", "<0x0A>", "<0xFF>"],
  lookalike: ["<bos", "bos>", "<BOS>", "< bos>", "<|turn", "turn|>", "<|turn|>", "<start_of_turn>", "<end_of_turn>",
    "<<bos>>", "<bos><bos>", "<|turn><turn|>", "<|turn>>", "<<|turn>", "<|eot_id", "<|eot_id|", "|<|eot_id|>|",
    "<|begin_of_text|><|begin_of_text|>", "<s><s>", "</s/>", "<|channel|>", "<|message|>", "<|im_start|>",
    "<|im_end|>", "<|endoftext|>", "<unused0>", "[INST]", "<<SYS>>", "<", ">", "<|", "|>", "</", "<0x", "<0xZZ>"],
};
const kinds = Object.keys(words);

// Code points drawn from these ranges produce characters no word list has (rare
// letters, unassigned and private-use code points, Unicode 15.1 additions).
const ranges = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x52f], [0x590, 0x6ff], [0x900, 0x97f],
  [0xe00, 0xe7f], [0x1100, 0x11ff], [0x1e00, 0x1fff], [0x2000, 0x2bff], [0x2e80, 0x2fff], [0x3000, 0x30ff],
  [0x31ef, 0x31ef], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xac00, 0xd7a3], [0xe000, 0xe0ff],
  [0xf900, 0xfaff], [0xfe00, 0xfe0f], [0xff00, 0xffef], [0xfff0, 0xfffd], [0x10000, 0x1007f], [0x1d400, 0x1d7ff],
  [0x1f300, 0x1faff], [0x20000, 0x2a6df], [0x2ebf0, 0x2ee5d], [0x30000, 0x3134a], [0xe0000, 0xe007f],
  [0xf0000, 0xf00ff], [0x0, 0x1f]];

function randomCodePoint(rand) {
  const [lo, hi] = ranges[Math.floor(rand() * ranges.length)];
  const cp = lo + Math.floor(rand() * (hi - lo + 1));
  return String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);  // no lone surrogates
}

function piece(rand) {
  const r = rand();
  if (r < 0.06) {
    let s = "";
    for (let n = 1 + Math.floor(rand() * 4); n > 0; --n) s += randomCodePoint(rand);
    return s;
  }
  if (r < 0.08) return String.fromCodePoint(0x20 + Math.floor(rand() * 0x5f)).repeat(1 + Math.floor(rand() * 40));
  const list = words[kinds[Math.floor(rand() * kinds.length)]];
  return list[Math.floor(rand() * list.length)];
}

// `count` strings, deterministic in `seed`. About one in 40 is long (up to ~2000
// characters), one in 200 is empty.
export function makeStrings(seed, count) {
  const rand = mulberry32(seed);
  const out = [];
  for (let i = 0; i < count; ++i) {
    const r = rand();
    const n = r < 0.005 ? 0 : r < 0.03 ? 60 + Math.floor(rand() * 300) : 1 + Math.floor(rand() * 10);
    let s = "";
    for (let k = 0; k < n; ++k) {
      s += piece(rand);
      if (rand() < 0.35) s += rand() < 0.8 ? " " : "\n";
    }
    out.push(s);
  }
  return out;
}
