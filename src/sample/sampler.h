#pragma once
// Token sampling in llama.cpp's common chain order: logit bias → penalties
// (repeat / presence / frequency over the last N accepted tokens) → top-k → top-p →
// min-p → temperature → draw. The filters see temperature-1 probabilities; the
// temperature only reshapes what survives them. Temperature <= 0 is greedy.
//
// Draws are reproducible from the seed on any platform: the generator is
// std::mt19937_64 (fully specified by the standard) and the uniform double and the
// scan over the distribution are our own, not the library's distributions. Ties are
// broken towards the lower token id everywhere (top-k boundary, greedy argmax).
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

#include "sample/sampling_params.h"

namespace edgelm {

struct TokenProb {
  int32_t id;
  double p;
};

class Sampler {
 public:
  // Validates the parameters against the vocabulary (throws edgelm::Error).
  Sampler(SamplingParams params, uint32_t n_vocab);

  // Picks the next token from `logits` (n_vocab values, left untouched).
  // Throws edgelm::Error when every token is banned.
  int32_t sample(std::span<const float> logits);

  // The distribution sample() draws from: the surviving tokens with their tempered
  // probabilities (summing to 1) in the order the draw scans them; one token with p = 1
  // when greedy. For tests and diagnostics; it draws nothing.
  std::vector<TokenProb> distribution(std::span<const float> logits);

  // Records a token of the sequence (prompt or generated) for the penalties.
  void accept(int32_t id);

  // Forgets the accepted tokens and restarts the random sequence from the seed.
  void reset();

  uint64_t seed() const { return seed_; }
  const SamplingParams& params() const { return params_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };

  // view_ = the logits after bias and penalties: the caller's logits themselves when
  // neither applies, else work_.
  void adjust(std::span<const float> logits);
  int32_t argmax() const;
  // Fills cands_ with the tokens that survive top-k, top-p and min-p.
  void filter();
  void top_k();
  void top_p(bool sorted);
  void min_p();
  // Tempered weights of cands_ into weights_; returns their sum.
  double tempered_weights();
  double uniform();  // [0, 1) with 53 random bits

  SamplingParams params_;
  uint32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  std::deque<int32_t> history_;                 // the last repeat_last_n accepted tokens
  std::unordered_map<int32_t, int32_t> counts_;  // occurrences in history_
  std::vector<float> work_;
  std::span<const float> view_;
  std::vector<Candidate> cands_, scratch_;
  std::vector<double> weights_;
};

}  // namespace edgelm
