// Tokenizer::from_gguf: vocabulary, merges, special tokens and flags from GGUF
// metadata, with the defaults and text-based special-token detection of llama.cpp's
// llama_vocab::load (the reference: the same file must tokenize identically).
#include <algorithm>
#include <cstdlib>
#include <span>
#include <string_view>

#include "gguf/gguf_reader.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace edgelm {

namespace {

using TextList = std::span<const std::string_view>;

// Texts that identify special tokens in vocabularies whose metadata does not name them.
constexpr std::string_view kEotTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                                "<end_of_utterance>"};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreTexts[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
                                   "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"};
constexpr std::string_view kFimSufTexts[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
                                   "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"};
constexpr std::string_view kFimMidTexts[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
                                   "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
// Tokens that end generation, whatever the metadata says.
constexpr std::string_view kEogTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                                "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
                                "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["};
// gpt-oss tokens that must always render (made user-defined).
constexpr std::string_view kAlwaysRenderedTexts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kPreKey = "tokenizer.ggml.pre";

std::string hex_byte_text(uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
}

// Value of a "<0xXX>" byte token as the reference parses it (hex digits at 3..4).
uint8_t byte_token_value(const std::string& text) {
  if (text.size() < 4) return 0;
  const std::string digits = text.substr(3, 2);
  return static_cast<uint8_t>(std::strtol(digits.c_str(), nullptr, 16));
}

class Loader {
 public:
  Loader(const GgufFile& file, Tokenizer::Impl& t) : f_(file), t_(t) {}

  void load() {
    choose_kind();
    read_tokens();
    if (t_.kind != TokenizerKind::SentencePiece) {
      t_.merges = std::make_unique<BpeMerges>(t_.vocab, f_.get_string_array("tokenizer.ggml.merges"));
    }
    read_special_ids();
    read_flags();
    detect_special_tokens();
    t_.specials = std::make_unique<SpecialTokenMatcher>(t_.vocab);
    build_byte_tokens();
    build_pieces();
  }

 private:
  void choose_kind() {
    if (!f_.has(kModelKey)) fail("{}: no tokenizer in this file (metadata key '{}' is missing)", f_.name(), kModelKey);
    const std::string_view model = f_.get_string(kModelKey);
    t_.model_name = std::string(model);
    if (model == "gemma4") {
      t_.kind = TokenizerKind::Gemma4;  // the pre-tokenizer is implied (llama.cpp ignores tokenizer.ggml.pre)
    } else if (model == "gpt2") {
      const std::string_view pre = f_.get_string_or(kPreKey, "");
      if (pre != "llama-bpe" && pre != "llama3" && pre != "llama-v3") {
        fail("{}: unsupported pre-tokenizer '{}' ({}) for {} '{}'; edgelm supports 'llama-bpe'", f_.name(),
             printable(pre), kPreKey, kModelKey, printable(model));
      }
      t_.kind = TokenizerKind::Llama3Bpe;
    } else if (model == "llama") {
      t_.kind = TokenizerKind::SentencePiece;
    } else {
      fail("{}: unsupported tokenizer '{}' ({}); edgelm supports 'gemma4', 'gpt2' (pre-tokenizer llama-bpe) and "
           "'llama' (SentencePiece)",
           f_.name(), printable(model), kModelKey);
    }
  }

  void read_tokens() {
    const auto& texts = f_.get_string_array("tokenizer.ggml.tokens");
    const size_t n = texts.size();
    if (n == 0) fail("{}: tokenizer.ggml.tokens is empty", f_.name());
    if (n > static_cast<size_t>(INT32_MAX)) fail("{}: tokenizer.ggml.tokens has too many tokens ({})", f_.name(), n);
    Vocab& v = t_.vocab;
    v.texts.resize(n);
    for (size_t i = 0; i < n; ++i) {
      // An empty text could never be matched; the reference renames it the same way.
      v.texts[i] = texts[i].empty() ? "[EMPTY_" + std::to_string(i) + "]" : std::string(texts[i]);
    }
    v.scores.assign(n, 0.0f);
    if (const Value* s = f_.find("tokenizer.ggml.scores")) {
      std::vector<float> scores;
      if (s->is_array() && s->elem_type == ValueType::I32) {
        for (const int64_t x : f_.get_int_array("tokenizer.ggml.scores")) scores.push_back(static_cast<float>(x));
      } else {
        scores = f_.get_f32_array("tokenizer.ggml.scores");
      }
      if (scores.size() < n) fail("{}: tokenizer.ggml.scores has {} entries for {} tokens", f_.name(), scores.size(), n);
      std::copy_n(scores.begin(), n, v.scores.begin());
    }
    v.attrs.assign(n, kAttrNormal);
    if (f_.has("tokenizer.ggml.token_type")) {
      const std::vector<int64_t> types = f_.get_int_array("tokenizer.ggml.token_type");
      if (types.size() < n) fail("{}: tokenizer.ggml.token_type has {} entries for {} tokens", f_.name(), types.size(), n);
      for (size_t i = 0; i < n; ++i) v.attrs[i] = attr_from_token_type(types[i]);
    }
    v.build_index();
  }

  // A special token id from metadata; a value outside the vocabulary keeps the default
  // (and a default outside the vocabulary means "none"), as in the reference.
  void read_id(std::string_view key, int32_t& id) {
    if (!t_.vocab.valid(id)) id = kNoToken;
    if (!f_.has(key)) return;
    const uint32_t value = f_.get_u32(key);
    if (t_.vocab.valid(value)) id = static_cast<int32_t>(value);
  }

  void read_special_ids() {
    switch (t_.kind) {
      case TokenizerKind::SentencePiece: t_.bos = 1; t_.eos = 2; break;
      case TokenizerKind::Llama3Bpe: t_.bos = 11; t_.eos = 11; break;
      case TokenizerKind::Gemma4: break;
    }
    read_id("tokenizer.ggml.bos_token_id", t_.bos);
    read_id("tokenizer.ggml.eos_token_id", t_.eos);
    read_id("tokenizer.ggml.eot_token_id", t_.eot);
    read_id("tokenizer.ggml.eom_token_id", t_.eom);
    read_id("tokenizer.ggml.fim_pre_token_id", fim_pre_);
    read_id("tokenizer.ggml.fim_suf_token_id", fim_suf_);
    read_id("tokenizer.ggml.fim_mid_token_id", fim_mid_);
    read_id("tokenizer.ggml.fim_pad_token_id", fim_pad_);
    read_id("tokenizer.ggml.fim_rep_token_id", fim_rep_);
    read_id("tokenizer.ggml.fim_sep_token_id", fim_sep_);
    read_id("tokenizer.ggml.prefix_token_id", fim_pre_);  // older names, read last as the reference does
    read_id("tokenizer.ggml.suffix_token_id", fim_suf_);
    read_id("tokenizer.ggml.middle_token_id", fim_mid_);
  }

  void read_flags() {
    switch (t_.kind) {
      case TokenizerKind::SentencePiece:
        t_.add_space_prefix = true;
        t_.add_bos = true;
        t_.clean_spaces = false;
        break;
      case TokenizerKind::Llama3Bpe:
        t_.add_bos = true;
        t_.clean_spaces = true;
        break;
      case TokenizerKind::Gemma4:
        t_.clean_spaces = true;
        break;
    }
    t_.add_space_prefix = f_.get_bool_or("tokenizer.ggml.add_space_prefix", t_.add_space_prefix);
    t_.add_bos = f_.get_bool_or("tokenizer.ggml.add_bos_token", t_.add_bos);
    t_.add_eos = f_.get_bool_or("tokenizer.ggml.add_eos_token", t_.add_eos);
    // Gemma 4 needs BOS whatever the file says (llama.cpp overrides it too).
    if (t_.kind == TokenizerKind::Gemma4) t_.add_bos = true;
  }

  // The token of the first of `texts` the vocabulary has, or kNoToken.
  int32_t find_first(TextList texts) const {
    for (const std::string_view text : texts) {
      if (const int32_t id = t_.vocab.find(text); id >= 0) return id;
    }
    return kNoToken;
  }

  void make_control(int32_t id) { t_.vocab.attrs[static_cast<size_t>(id)] |= kAttrControl; }

  // A role token the metadata did not name, recognised by its text; it becomes a
  // control token. When the vocabulary has several of the texts, llama.cpp takes the
  // first it meets in its hash table (an accident of hashing); here the first in list
  // order wins, which agrees with it on Llama 3 (<|eot_id|> before <|end_of_text|>,
  // checked by the oracle test).
  void detect(int32_t& id, TextList texts) {
    if (id != kNoToken) return;
    id = find_first(texts);
    if (id != kNoToken) make_control(id);
  }

  void detect_special_tokens() {
    detect(t_.eot, kEotTexts);
    detect(t_.eom, kEomTexts);
    detect(fim_pre_, kFimPreTexts);
    detect(fim_suf_, kFimSufTexts);
    detect(fim_mid_, kFimMidTexts);
    detect(fim_pad_, kFimPadTexts);
    detect(fim_rep_, kFimRepTexts);
    detect(fim_sep_, kFimSepTexts);

    std::vector<int32_t> eog;
    for (const int32_t id : {fim_pad_, fim_rep_, fim_sep_}) {
      if (id != kNoToken) eog.push_back(id);
    }
    for (const std::string_view text : kEogTexts) {
      if (const int32_t id = t_.vocab.find(text); id >= 0) {
        eog.push_back(id);
        make_control(id);
      }
    }
    for (const std::string_view text : kAlwaysRenderedTexts) {
      if (const int32_t id = t_.vocab.find(text); id >= 0) t_.vocab.attrs[static_cast<size_t>(id)] = kAttrUserDefined;
    }
    for (const int32_t id : {t_.eos, t_.eot, t_.eom}) {
      if (id != kNoToken) eog.push_back(id);
    }
    std::sort(eog.begin(), eog.end());
    eog.erase(std::unique(eog.begin(), eog.end()), eog.end());

    const auto in_eog = [&](std::string_view text) {
      const int32_t id = t_.vocab.find(text);
      return id >= 0 && std::binary_search(eog.begin(), eog.end(), id) ? id : kNoToken;
    };
    const auto drop = [&](int32_t id, uint8_t new_attr) {
      eog.erase(std::find(eog.begin(), eog.end(), id));
      t_.vocab.attrs[static_cast<size_t>(id)] = new_attr;
    };
    // Harmony-style vocabularies: "<|end|>" ends a message, not the generation.
    const int32_t end = in_eog("<|end|>");
    const bool has_call = in_eog("<|call|>") != kNoToken || in_eog("<|calls|>") != kNoToken;
    if (end != kNoToken && has_call && (in_eog("<|return|>") != kNoToken || in_eog("<|flush|>") != kNoToken)) {
      drop(end, kAttrUserDefined);
    }
    // Gemma 4: "</s>" is ordinary text there.
    if (const int32_t s = in_eog("</s>"); s != kNoToken && in_eog("<|tool_response>") != kNoToken) {
      drop(s, kAttrNormal);
    }
    t_.eog = std::move(eog);
  }

  void build_byte_tokens() {
    for (int b = 0; b < 256; ++b) {
      const auto byte = static_cast<uint8_t>(b);
      int32_t id = kNoToken;
      switch (t_.kind) {
        case TokenizerKind::Gemma4:
          id = t_.vocab.find(hex_byte_text(byte));
          break;
        case TokenizerKind::Llama3Bpe:
          // The reference looks the raw byte up as a one-byte text; byte-level
          // vocabularies have such tokens only for printable ASCII.
          id = t_.vocab.find(std::string(1, static_cast<char>(byte)));
          break;
        case TokenizerKind::SentencePiece:
          id = t_.vocab.find(hex_byte_text(byte));
          if (id < 0) id = t_.vocab.find(std::string(1, static_cast<char>(byte)));
          break;
      }
      t_.byte_tokens[byte] = id;
    }
  }

  // What llama_token_to_piece gives with special = true.
  std::string render(size_t id) const {
    const std::string& text = t_.vocab.texts[id];
    const uint8_t attr = t_.vocab.attrs[id];
    if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
    if (attr & kAttrNormal) {
      if (t_.kind == TokenizerKind::Llama3Bpe) return byte_level_text(text);
      std::string out;
      for (size_t pos = 0; pos < text.size();) {
        if (text.compare(pos, 3, "\xE2\x96\x81") == 0) {
          out += ' ';
          pos += 3;
        } else {
          out += text[pos++];
        }
      }
      return out;
    }
    if (attr & kAttrByte) return std::string(1, static_cast<char>(byte_token_value(text)));
    return {};  // unused and undefined tokens render as nothing
  }

  // Bytes of a byte-level BPE token. A code point outside the alphabet is written the
  // way the reference writes it: "[UNK_BYTE_0x<utf8 hex><token text>]".
  static std::string byte_level_text(const std::string& text) {
    std::string out;
    for (const uint32_t cp : utf8::decode_lenient(text)) {
      if (const auto b = byte_level::decode_code_point(cp)) {
        out += static_cast<char>(*b);
        continue;
      }
      std::string cp_utf8;
      utf8::append(cp_utf8, cp);
      out += "[UNK_BYTE_0x";
      for (const char c : cp_utf8) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
      out += text + "]";
    }
    return out;
  }

  void build_pieces() {
    t_.pieces.resize(t_.vocab.size());
    for (size_t i = 0; i < t_.vocab.size(); ++i) t_.pieces[i] = render(i);
  }

  const GgufFile& f_;
  Tokenizer::Impl& t_;
  int32_t fim_pre_ = kNoToken, fim_suf_ = kNoToken, fim_mid_ = kNoToken;
  int32_t fim_pad_ = kNoToken, fim_rep_ = kNoToken, fim_sep_ = kNoToken;
};

}  // namespace

Tokenizer Tokenizer::from_gguf(const GgufFile& file) {
  auto impl = std::make_shared<Impl>();
  Loader(file, *impl).load();
  return Tokenizer(std::move(impl));
}

}  // namespace edgelm
