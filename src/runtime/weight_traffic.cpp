#include "runtime/weight_traffic.h"

#include "gguf/gguf_reader.h"
#include "runtime/prefetch.h"

namespace edgelm {

uint64_t decode_weight_bytes_per_token(const GgufFile& file) {
  const bool tied_output = file.find_tensor("output.weight") == nullptr;
  uint64_t bytes = 0;
  for (const TensorInfo& t : file.tensors()) {
    if (is_row_streamed_tensor(t.name)) {
      bytes += t.row_bytes();
    } else if (t.name == "token_embd.weight") {
      bytes += t.row_bytes() + (tied_output ? t.n_bytes : 0);
    } else {
      bytes += t.n_bytes;
    }
  }
  return bytes;
}

}  // namespace edgelm
