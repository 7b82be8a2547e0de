#pragma once
// The per-step probability lines of `edgelm run --probs-out` (token level, for
// comparisons with llama.cpp): {"token", "choice", "top": [[id, p], ...]}.
#include <cstdint>
#include <fstream>
#include <span>
#include <utility>
#include <vector>

namespace edgelm::cli {

// Softmax of the logits (temperature 1) and the `k` most probable tokens.
std::vector<std::pair<int32_t, float>> top_probs(std::span<const float> logits, size_t k);

// One line: the token fed back, the model's own choice and the 20 most probable tokens
// of the distribution it was drawn from.
void write_probs(std::ofstream& out, int32_t token, int32_t choice, std::span<const float> logits);

}  // namespace edgelm::cli
