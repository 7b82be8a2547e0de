#pragma once
// Text <-> token ids for the vocabularies edgelm runs, read from GGUF metadata and
// matching llama.cpp's llama_tokenize / llama_token_to_piece / llama_detokenize:
//   gemma4        BPE over UTF-8 with "▁" for spaces, newline-only pre-split, <0xXX>
//                 byte fallback (Gemma 4)
//   gpt2          byte-level BPE with the llama-bpe pre-tokenizer (Llama 3)
//   llama         SentencePiece: score-driven merges, byte fallback, space prefix
//                 (Llama 2, OpenELM)
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edgelm {

class GgufFile;

inline constexpr int32_t kNoToken = -1;

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* from `file`; throws edgelm::Error naming the key when the
  // file has no tokenizer, an unsupported one, or malformed tokenizer metadata.
  static Tokenizer from_gguf(const GgufFile& file);

  // Token ids of `text`. With `add_special`, BOS is prepended when the file asks for
  // it (add_bos_by_default()) and EOS appended when it asks for that — a BOS the text
  // itself starts with is not removed (llama.cpp warns and keeps both). With
  // `parse_special`, control tokens written in the text (e.g. "<|turn>") become those
  // tokens; user-defined tokens are matched either way. Invalid UTF-8 is tolerated
  // exactly as llama.cpp does.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special = true) const;
  bool add_bos_by_default() const;

  // Text of one token as it appears in output (llama_token_to_piece): "▁" -> " ",
  // byte tokens -> that byte, byte-level BPE unmapped. Control and unknown tokens give
  // "" unless `render_special`. Pieces can be partial UTF-8 (byte tokens); see
  // StreamDecoder. Throws edgelm::Error for an id outside the vocabulary.
  std::string piece(int32_t id, bool render_special) const;
  // Text of a sequence (llama_detokenize with remove_special = false): the pieces
  // concatenated, minus the first token's leading space when the vocabulary adds a
  // space prefix (SentencePiece), and for BPE vocabularies with llama.cpp's
  // clean-up of spaces before ? ! . , and some apostrophes. May be ill-formed UTF-8
  // when byte tokens are cut short. Throws edgelm::Error for an id out of range.
  std::string decode(std::span<const int32_t> ids, bool render_special) const;

  int32_t bos() const;  // kNoToken when the vocabulary has none
  int32_t eos() const;
  int32_t eot() const;
  bool is_eog(int32_t id) const;  // generation ends at this token (false out of range)
  std::vector<int32_t> eog_tokens() const;
  bool is_control(int32_t id) const;  // false for ids out of range
  // User-defined tokens are matched in text even without special parsing, unless they
  // are also control tokens (Gemma 4's <|tool_response>, made control as an EOG token).
  bool is_user_defined(int32_t id) const;
  // Ids of the control, user-defined and unknown tokens: those matched in text.
  std::vector<int32_t> special_tokens() const;
  std::optional<int32_t> find_token(std::string_view text) const;
  size_t n_vocab() const;
  std::string_view token_text(int32_t id) const;  // raw vocabulary text; throws if out of range
  std::string_view model() const;                 // "gemma4", "gpt2" or "llama"

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace edgelm
