#include "sample/sampling_params.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace edgelm {

namespace {

bool finite(float v) { return std::isfinite(v); }

}  // namespace

void SamplingParams::validate(uint32_t n_vocab) const {
  if (!finite(temperature)) fail("temperature {} is not a finite number", temperature);
  if (top_k < 0) fail("top-k {} is negative (0 turns it off)", top_k);
  if (!(top_p >= 0.0f && top_p <= 1.0f)) fail("top-p {} is outside [0, 1] (1 turns it off)", top_p);
  if (!(min_p >= 0.0f && min_p <= 1.0f)) fail("min-p {} is outside [0, 1] (0 turns it off)", min_p);
  if (!(finite(repeat_penalty) && repeat_penalty > 0.0f)) {
    fail("repeat penalty {} must be a positive number (1 turns it off)", repeat_penalty);
  }
  if (repeat_last_n < -1) fail("repeat-last-n {} is below -1 (-1 = every accepted token, 0 = off)", repeat_last_n);
  if (!finite(presence_penalty)) fail("presence penalty {} is not a finite number", presence_penalty);
  if (!finite(frequency_penalty)) fail("frequency penalty {} is not a finite number", frequency_penalty);
  for (const auto& [id, bias] : logit_bias) {
    if (id < 0 || (n_vocab > 0 && static_cast<uint32_t>(id) >= n_vocab)) {
      if (n_vocab > 0) fail("logit bias for token {}: out of range (vocabulary has {} tokens)", id, n_vocab);
      fail("logit bias for token {}: token ids are not negative", id);
    }
    // +inf would make every other token impossible and the arithmetic undefined; a ban
    // (-inf) is the one infinity with a meaning.
    if (std::isnan(bias) || bias == INFINITY) fail("logit bias {} for token {} must be finite or -inf", bias, id);
  }
}

std::pair<int32_t, float> parse_logit_bias(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) fail("logit bias '{}' is not ID=BIAS (e.g. 15043=-1.5 or 2=-inf)", printable(text));
  const std::string_view id_text = text.substr(0, eq), bias_text = text.substr(eq + 1);
  int32_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || end != id_text.data() + id_text.size() || id < 0) {
    fail("logit bias '{}': '{}' is not a token id", printable(text), printable(id_text));
  }
  // strtof rather than from_chars<float>: g++ 12's libstdc++ has it, but clang 14's
  // build of the same library may not; strtof also reads "-inf".
  const std::string bias_str(bias_text);
  char* bias_end = nullptr;
  const float bias = bias_str.empty() ? NAN : std::strtof(bias_str.c_str(), &bias_end);
  if (bias_str.empty() || bias_end != bias_str.c_str() + bias_str.size() || std::isnan(bias) || bias == INFINITY) {
    fail("logit bias '{}': '{}' is not a number (or -inf)", printable(text), printable(bias_text));
  }
  return {id, bias};
}

}  // namespace edgelm
