#pragma once
// The knobs of token sampling, with llama.cpp's defaults and meanings (common/common.h),
// so a command line that works there means the same here.
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

namespace edgelm {

struct SamplingParams {
  float temperature = 0.8f;      // <= 0: greedy (argmax after logit bias and penalties)
  int32_t top_k = 40;            // keep the k most likely tokens; 0 = off
  float top_p = 0.95f;           // keep the smallest top set with this much probability; 1 = off
  float min_p = 0.05f;           // drop tokens below min_p × the top token's probability; 0 = off
  float repeat_penalty = 1.0f;   // divides positive / multiplies negative logits of recent tokens; 1 = off
  int32_t repeat_last_n = 64;    // how many accepted tokens the penalties look at; 0 = off, -1 = all
  float presence_penalty = 0.0f;   // subtracted once from every recent token's logit
  float frequency_penalty = 0.0f;  // subtracted per occurrence of a recent token
  // Unset: a random seed (std::random_device), reported by Sampler::seed() so a run can
  // be repeated. Any value, 0 included, reproduces the same draws.
  std::optional<uint64_t> seed;
  // Added to a token's logit before anything else; -infinity bans the token.
  std::map<int32_t, float> logit_bias;

  // Throws edgelm::Error naming the first out-of-range parameter. With n_vocab > 0,
  // logit-bias token ids are checked against the vocabulary too.
  void validate(uint32_t n_vocab = 0) const;
};

// Parses "ID=BIAS" (e.g. "15043=-1.5", "2=-inf") into a token id and a logit bias.
std::pair<int32_t, float> parse_logit_bias(std::string_view text);

}  // namespace edgelm
