// Tokenizer::piece / decode and the small accessors (llama_token_to_piece and
// llama_detokenize semantics).
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "util/error.h"

namespace edgelm {

namespace {

// llama.cpp's clean_up_tokenization_spaces, three in-place passes over the bytes:
// drop the space before ? ! . , ; turn " ' " into "'"; drop the space before 's 'm
// 're 've. The passes read neighbours from the buffer being compacted, so they are
// kept in this exact form (the second pass overwrites the space it drops with NUL,
// which the following check then sees as "not a space": " ' ' " loses one pair only).
void clean_spaces(std::string& text) {
  size_t total = text.size();
  if (total == 0) return;
  char* t = text.data();

  size_t w = 1;
  for (size_t i = 1; i < total; ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --w;
    t[w++] = x;
  }
  total = w;

  w = 1;
  for (size_t i = 1; i < total; ++i) {
    const char x = t[i];
    if (x == '\'' && i + 1 < total && t[i - 1] == ' ' && t[i + 1] == ' ') {
      --w;            // the space before
      t[++i] = '\0';  // and the one after, skipped
    }
    t[w++] = x;
  }
  total = w;

  w = 1;
  for (size_t i = 1; i < total; ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && x == '\'' && i + 1 < total) {
      const char x1 = t[i + 1];
      if (x1 == 's' || x1 == 'm') {
        --w;
      } else if (x1 != 't' && x1 != 'd' && i + 2 < total) {
        const char x2 = t[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --w;
      }
    }
    t[w++] = x;
  }
  text.resize(w);
}

}  // namespace

void Tokenizer::Impl::check_id(int32_t id) const {
  if (!vocab.valid(id)) fail("token id {} is out of range (the vocabulary has {} tokens)", id, vocab.size());
}

std::string Tokenizer::piece(int32_t id, bool render_special) const {
  const Impl& t = *impl_;
  t.check_id(id);
  if (!render_special && t.vocab.has(id, kAttrControl | kAttrUnknown)) return {};
  return t.pieces[static_cast<size_t>(id)];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  const Impl& t = *impl_;
  std::string out;
  bool strip_space = t.add_space_prefix;  // only the first token's, even if it renders empty
  for (const int32_t id : ids) {
    t.check_id(id);
    const bool hidden = !render_special && t.vocab.has(id, kAttrControl | kAttrUnknown);
    std::string_view p = hidden ? std::string_view() : std::string_view(t.pieces[static_cast<size_t>(id)]);
    if (strip_space && !p.empty() && p.front() == ' ') p.remove_prefix(1);
    strip_space = false;
    out += p;
  }
  if (t.clean_spaces) clean_spaces(out);
  return out;
}

int32_t Tokenizer::bos() const { return impl_->bos; }
int32_t Tokenizer::eos() const { return impl_->eos; }
int32_t Tokenizer::eot() const { return impl_->eot; }

bool Tokenizer::is_eog(int32_t id) const { return std::binary_search(impl_->eog.begin(), impl_->eog.end(), id); }

bool Tokenizer::is_control(int32_t id) const { return impl_->vocab.valid(id) && impl_->vocab.has(id, kAttrControl); }

bool Tokenizer::is_user_defined(int32_t id) const {
  return impl_->vocab.valid(id) && impl_->vocab.has(id, kAttrUserDefined);
}

std::vector<int32_t> Tokenizer::special_tokens() const {
  std::vector<int32_t> ids;
  for (size_t id = 0; id < impl_->vocab.size(); ++id) {
    if (impl_->vocab.has(static_cast<int32_t>(id), kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      ids.push_back(static_cast<int32_t>(id));
    }
  }
  return ids;
}

std::vector<int32_t> Tokenizer::eog_tokens() const { return impl_->eog; }

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  const int32_t id = impl_->vocab.find(text);
  return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}

size_t Tokenizer::n_vocab() const { return impl_->vocab.size(); }

std::string_view Tokenizer::token_text(int32_t id) const {
  impl_->check_id(id);
  return impl_->vocab.texts[static_cast<size_t>(id)];
}

std::string_view Tokenizer::model() const { return impl_->model_name; }

}  // namespace edgelm
