#include "models/model.h"

#include <algorithm>
#include <cstdint>

#include "runtime/attention.h"
#include "util/error.h"

namespace edgelm {

void Model::check_room(const KvCache& cache, size_t n, uint32_t n_ubatch) const {
  if (n_ubatch == 0 || n_ubatch > cache.max_ubatch()) {
    fail("micro-batch of {} tokens does not fit a cache made for at most {}", n_ubatch, cache.max_ubatch());
  }
  cache.check_room(n);
}

void Model::eval(KvCache& cache, std::span<const int32_t> tokens, uint32_t n_ubatch, ThreadPool& pool, float* logits,
                 ModelTrace* trace) const {
  if (tokens.empty()) fail("no tokens to evaluate");
  check_room(cache, tokens.size(), n_ubatch);
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

void Model::check_step(const SequenceStep& step) const {
  if (step.cache == nullptr || step.tokens.empty()) fail("no tokens to evaluate");
  check_room(*step.cache, step.tokens.size(), static_cast<uint32_t>(std::min<size_t>(step.tokens.size(), UINT32_MAX)));
  const uint32_t vocab = n_vocab();
  for (size_t i = 0; i < step.tokens.size(); ++i) {
    if (step.tokens[i] < 0 || static_cast<uint32_t>(step.tokens[i]) >= vocab) {
      fail("token id {} at index {} is out of range (vocabulary has {} tokens)", step.tokens[i], i, vocab);
    }
  }
}

void Model::eval_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const {
  for (size_t i = 0; i < steps.size(); ++i) {
    check_step(steps[i]);
    for (size_t j = 0; j < i; ++j) {
      if (steps[j].cache == steps[i].cache) fail("a batched step holds the same sequence twice");
    }
  }
  if (!steps.empty()) forward_batch(steps, pool);
}

void Model::forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const {
  for (const SequenceStep& step : steps) {
    forward(*step.cache, step.tokens.data(), static_cast<int64_t>(step.tokens.size()), pool, step.logits, nullptr);
  }
}

uint64_t Model::scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads) const {
  return uint64_t{n_vocab()} * sizeof(float) + attention_scratch_bytes(cache, n_ubatch, threads, 1);
}

void Model::eval_embeddings(KvCache& cache, std::span<const float> rows, uint32_t n_ubatch, ThreadPool& pool,
                            float* logits, bool bidirectional_sliding) const {
  const size_t width = embedding_width();
  if (width == 0) fail("{} models take no embedding input (images)", architecture());
  if (rows.empty() || rows.size() % width != 0) {
    fail("embedding input of {} values is not a whole number of {}-wide rows", rows.size(), width);
  }
  const size_t n_rows = rows.size() / width;
  check_room(cache, n_rows, n_ubatch);
  if (bidirectional_sliding && n_rows > n_ubatch) {
    fail("an image of {} tokens must be evaluated in one micro-batch for this model (its sliding layers see the "
         "whole image), but micro-batches hold {} (use a larger --ubatch)",
         n_rows, n_ubatch);
  }
  for (size_t start = 0; start < n_rows; start += n_ubatch) {
    const size_t n = std::min<size_t>(n_ubatch, n_rows - start);
    const bool last = start + n == n_rows;
    forward_embeddings(cache, rows.data() + start * width, static_cast<int64_t>(n), bidirectional_sliding, pool,
                       last ? logits : nullptr);
  }
}

void Model::forward_embeddings(KvCache&, const float*, int64_t, bool, ThreadPool&, float*) const {
  fail("{} models take no embedding input (images)", architecture());
}

}  // namespace edgelm
