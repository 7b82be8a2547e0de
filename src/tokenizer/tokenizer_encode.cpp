// Tokenizer::encode: special-token partition, then per vocabulary kind the
// pre-tokenizer and the merge loop (llama.cpp's llama_tokenize_impl, re-implemented).
#include <climits>
#include <string>

#include "tokenizer/byte_level.h"
#include "tokenizer/llama3_split.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace edgelm {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁", SentencePiece's visible space

// `text` with every space written as "▁", after `prefix_space` more of them.
std::string escape_spaces(std::string_view text, bool prefix_space = false) {
  std::string out;
  out.reserve(text.size() + text.size() / 4 + kSpaceMark.size());
  if (prefix_space) out += kSpaceMark;
  for (const char c : text) {
    if (c == ' ') {
      out += kSpaceMark;
    } else {
      out += c;
    }
  }
  return out;
}

// SentencePiece scoring: a pair merges when the joined text is a token; the
// highest-scoring token merges first.
struct SentencePieceScorer {
  const Vocab& vocab;
  int32_t id_of(std::string_view text) const { return vocab.find(text); }
  std::optional<float> score(const MergeSymbol&, const MergeSymbol&, std::string_view joined) const {
    const int32_t id = vocab.find(joined);
    if (id < 0) return std::nullopt;
    return -vocab.scores[static_cast<size_t>(id)];
  }
};

std::string encode_code_points(std::span<const uint32_t> cps) {
  std::string out;
  out.reserve(cps.size());
  for (const uint32_t cp : cps) utf8::append(out, cp);
  return out;
}

}  // namespace

void Tokenizer::Impl::encode_bytes(std::string_view bytes, std::vector<int32_t>& out) const {
  for (const char c : bytes) {
    // A byte without a token is dropped, as llama.cpp's BPE does (its SentencePiece
    // would abort). The supported vocabularies never get here without one: Gemma 4 and
    // Llama 2 have all 256 <0xXX> tokens, and in byte-level BPE every character of
    // the alphabet and every merge result is a token.
    if (const int32_t id = byte_tokens[static_cast<uint8_t>(c)]; id != kNoToken) out.push_back(id);
  }
}

void Tokenizer::Impl::encode_bpe_word(std::string_view word, BpeMerges::Scratch& scratch,
                                       std::vector<int32_t>& out) const {
  merges->merge(word, scratch);
  for (const MergeSymbol& s : scratch.symbols) {
    if (s.len == 0) continue;
    if (vocab.valid(s.id)) {
      out.push_back(s.id);
    } else {
      encode_bytes(word.substr(s.start, s.len), out);
    }
  }
}

void Tokenizer::Impl::encode_raw(std::string_view text, bool after_special, std::vector<int32_t>& out) const {
  switch (kind) {
    case TokenizerKind::SentencePiece: {
      const std::string escaped = escape_spaces(text, add_space_prefix && after_special);
      MergeScratch<float> scratch;
      const SentencePieceScorer scorer{vocab};
      merge_word<float>(escaped, scorer, scratch);
      for (const MergeSymbol& s : scratch.symbols) {
        if (s.len == 0) continue;
        if (s.id >= 0) {
          out.push_back(s.id);
        } else {
          encode_bytes(std::string_view(escaped).substr(s.start, s.len), out);
        }
      }
      return;
    }
    case TokenizerKind::Gemma4: {
      // Spaces become "▁"; the text is split only into runs of newlines and runs of
      // everything else, and BPE runs over each run's UTF-8 characters. The round trip
      // through code points replaces invalid UTF-8 by U+FFFD as the reference does.
      const std::vector<uint32_t> cps = utf8::decode_lenient(escape_spaces(text));
      BpeMerges::Scratch scratch;
      for (size_t begin = 0; begin < cps.size();) {
        const bool newlines = cps[begin] == '\n';
        size_t end = begin;
        while (end < cps.size() && (cps[end] == '\n') == newlines) ++end;
        const std::string word = encode_code_points(std::span(cps).subspan(begin, end - begin));
        // A run of newlines that is itself a token stays whole.
        if (const int32_t id = newlines ? vocab.find(word) : kNoToken; id >= 0) {
          out.push_back(id);
        } else {
          encode_bpe_word(word, scratch, out);
        }
        begin = end;
      }
      return;
    }
    case TokenizerKind::Llama3Bpe: {
      const std::vector<uint32_t> cps = utf8::decode_lenient(text);
      BpeMerges::Scratch scratch;
      std::string word;
      size_t begin = 0;
      for (const size_t end : split_llama3(cps)) {
        word.clear();
        byte_level::encode(encode_code_points(std::span(cps).subspan(begin, end - begin)), word);
        // A piece that is a token is taken whole, without merging ("ignore_merges").
        if (const int32_t id = vocab.find(word); id >= 0) {
          out.push_back(id);
        } else {
          encode_bpe_word(word, scratch, out);
        }
        begin = end;
      }
      return;
    }
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  const Impl& t = *impl_;
  // The merge loop keeps byte offsets in 32 bits (and llama.cpp's API counts in int32).
  if (text.size() > static_cast<size_t>(INT32_MAX) / 4) fail("text too long to tokenize ({} bytes)", text.size());
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && t.add_bos) {
    if (t.bos == kNoToken) fail("this {} tokenizer adds BOS but the file names no valid BOS token", t.model_name);
    out.push_back(t.bos);
  }
  bool after_special = true;
  for (const TextFragment& frag : t.specials->partition(text, parse_special)) {
    if (frag.token >= 0) {
      out.push_back(frag.token);
      after_special = true;
    } else {
      t.encode_raw(text.substr(frag.begin, frag.end - frag.begin), after_special, out);
      after_special = false;
    }
  }
  if (add_special && t.add_eos) {
    if (t.eos == kNoToken) fail("this {} tokenizer adds EOS but the file names no valid EOS token", t.model_name);
    out.push_back(t.eos);
  }
  return out;
}

bool Tokenizer::add_bos_by_default() const { return impl_->add_bos; }

}  // namespace edgelm
