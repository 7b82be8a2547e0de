#include "cli/probs_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace edgelm::cli {

std::vector<std::pair<int32_t, float>> top_probs(std::span<const float> logits, size_t k) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  std::vector<int32_t> idx(logits.size());
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  std::vector<std::pair<int32_t, float>> out;
  for (size_t i = 0; i < k; ++i) {
    out.emplace_back(idx[i], static_cast<float>(std::exp(static_cast<double>(logits[idx[i]] - max)) / sum));
  }
  return out;
}

void write_probs(std::ofstream& out, int32_t token, int32_t choice, std::span<const float> logits) {
  std::string line = fmt::format("{{\"token\": {}, \"choice\": {}, \"top\": [", token, choice);
  const auto top = top_probs(logits, 20);
  for (size_t k = 0; k < top.size(); ++k) line += fmt::format("{}[{}, {:.9g}]", k ? ", " : "", top[k].first, top[k].second);
  out << line << "]}\n";
}

}  // namespace edgelm::cli
