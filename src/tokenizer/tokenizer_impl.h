#pragma once
// Internal state of a Tokenizer (shared by the load, encode and decode files).
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/bpe_merges.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace edgelm {

enum class TokenizerKind {
  Gemma4,         // tokenizer.ggml.model "gemma4"
  Llama3Bpe,      // "gpt2" with pre-tokenizer llama-bpe
  SentencePiece,  // "llama"
};

struct Tokenizer::Impl {
  TokenizerKind kind = TokenizerKind::SentencePiece;
  std::string model_name;
  Vocab vocab;
  std::unique_ptr<BpeMerges> merges;             // BPE kinds only
  std::unique_ptr<SpecialTokenMatcher> specials;

  int32_t bos = kNoToken;
  int32_t eos = kNoToken;
  int32_t eot = kNoToken;
  int32_t eom = kNoToken;
  std::vector<int32_t> eog;  // sorted

  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SentencePiece: " " before text that follows BOS/start/special
  bool clean_spaces = false;      // decode() drops spaces before ? ! . , (BPE vocabularies)

  std::array<int32_t, 256> byte_tokens{};  // fallback token of each byte, kNoToken if none
  std::vector<std::string> pieces;         // piece of every token with render_special

  void check_id(int32_t id) const;
  // Tokens of one run of text with no special tokens in it. `after_special`: the run
  // starts the text or follows a special token (SentencePiece then adds its space).
  void encode_raw(std::string_view text, bool after_special, std::vector<int32_t>& out) const;
  void encode_bpe_word(std::string_view word, BpeMerges::Scratch& scratch, std::vector<int32_t>& out) const;
  void encode_bytes(std::string_view bytes, std::vector<int32_t>& out) const;
};

}  // namespace edgelm
