#include "tokenizer/stream_decoder.h"

#include "tokenizer/utf8.h"

namespace edgelm {

std::string StreamDecoder::push(int32_t id) {
  pending_ += tokenizer_.piece(id, render_special_);
  return take_complete(false);
}

std::string StreamDecoder::flush() { return take_complete(true); }

std::string StreamDecoder::take_complete(bool at_end) {
  std::string out;
  size_t i = 0;
  while (i < pending_.size()) {
    const int n = utf8::well_formed_prefix(std::string_view(pending_).substr(i));
    if (n > 0) {
      out.append(pending_, i, static_cast<size_t>(n));
      i += static_cast<size_t>(n);
    } else if (n < 0) {
      utf8::append(out, utf8::kReplacement);
      i += static_cast<size_t>(-n);
    } else if (at_end) {
      utf8::append(out, utf8::kReplacement);
      i = pending_.size();
    } else {
      break;  // a character still arriving
    }
  }
  pending_.erase(0, i);
  return out;
}

}  // namespace edgelm
