#include "models/model.h"

#include <algorithm>

#include "runtime/attention.h"
#include "util/error.h"

namespace edgelm {

void Model::eval(KvCache& cache, std::span<const int32_t> tokens, uint32_t n_ubatch, ThreadPool& pool, float* logits,
                 ModelTrace* trace) const {
  if (tokens.empty()) fail("no tokens to evaluate");
  if (n_ubatch == 0 || n_ubatch > cache.max_ubatch()) {
    fail("micro-batch of {} tokens does not fit a cache made for at most {}", n_ubatch, cache.max_ubatch());
  }
  cache.check_room(tokens.size());
  const uint32_t vocab = n_vocab();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= vocab) {
      fail("token id {} at index {} is out of range (vocabulary has {} tokens)", tokens[i], i, vocab);
    }
  }
  for (size_t start = 0; start < tokens.size(); start += n_ubatch) {
    const size_t n = std::min<size_t>(n_ubatch, tokens.size() - start);
    const bool last = start + n == tokens.size();
    forward(cache, tokens.data() + start, static_cast<int64_t>(n), pool, last ? logits : nullptr,
            last ? trace : nullptr);
  }
}

uint64_t Model::scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads) const {
  return uint64_t{n_vocab()} * sizeof(float) + attention_scratch_bytes(cache, n_ubatch, threads, 1);
}

}  // namespace edgelm
