#include "sample/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace edgelm {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// More likely first; equal logits: lower id first. A strict total order, so every
// selection and sort below has one answer whatever the standard library.
bool better(float la, int32_t ia, float lb, int32_t ib) { return la > lb || (la == lb && ia < ib); }

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

}  // namespace

Sampler::Sampler(SamplingParams params, uint32_t n_vocab)
    : params_(std::move(params)), n_vocab_(n_vocab), seed_(params_.seed ? *params_.seed : random_seed()), rng_(seed_) {
  if (n_vocab_ == 0) fail("sampler: the vocabulary is empty");
  params_.validate(n_vocab_);
  work_.resize(n_vocab_);
}

void Sampler::reset() {
  history_.clear();
  counts_.clear();
  rng_.seed(seed_);
}

void Sampler::accept(int32_t id) {
  if (id < 0 || static_cast<uint32_t>(id) >= n_vocab_) {
    fail("sampler: token id {} is out of range (vocabulary has {} tokens)", id, n_vocab_);
  }
  const int32_t last_n = params_.repeat_last_n;
  if (last_n == 0) return;
  history_.push_back(id);
  ++counts_[id];
  if (last_n > 0 && history_.size() > static_cast<size_t>(last_n)) {
    const auto old = counts_.find(history_.front());
    if (--old->second == 0) counts_.erase(old);
    history_.pop_front();
  }
}

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

void Sampler::adjust(std::span<const float> logits) {
  if (logits.size() != n_vocab_) fail("sampler: {} logits for a vocabulary of {} tokens", logits.size(), n_vocab_);
  const SamplingParams& p = params_;
  const bool penalize =
      !counts_.empty() && (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f);
  if (p.logit_bias.empty() && !penalize) {
    view_ = logits;  // nothing to change: no copy of the vocabulary
    return;
  }
  std::copy(logits.begin(), logits.end(), work_.begin());
  view_ = work_;
  for (const auto& [id, bias] : p.logit_bias) work_[static_cast<size_t>(id)] += bias;
  if (!penalize) return;
  // llama.cpp's penalties: the repeat penalty pushes the logit towards "less likely"
  // whatever its sign, then presence and frequency subtract.
  for (const auto& [id, count] : counts_) {
    float& l = work_[static_cast<size_t>(id)];
    l = l <= 0.0f ? l * p.repeat_penalty : l / p.repeat_penalty;
    l -= static_cast<float>(count) * p.frequency_penalty + p.presence_penalty;
  }
}

int32_t Sampler::argmax() const {
  int64_t best = -1;
  float best_logit = kNegInf;
  for (size_t i = 0; i < view_.size(); ++i) {
    if (view_[i] > best_logit) {  // strict: ties keep the lowest id; NaN never wins
      best = static_cast<int64_t>(i);
      best_logit = view_[i];
    }
  }
  if (best < 0) fail("sampler: every token is banned (all logits are -inf or NaN)");
  return static_cast<int32_t>(best);
}

void Sampler::top_k() {
  // A heap of the k best seen so far, worst on top: one pass over the vocabulary,
  // and most tokens are rejected by a single comparison with the top.
  const size_t k = static_cast<size_t>(params_.top_k);
  auto worse_first = [](const Candidate& a, const Candidate& b) { return better(a.logit, a.id, b.logit, b.id); };
  cands_.clear();
  for (size_t i = 0; i < view_.size(); ++i) {
    const float l = view_[i];
    if (!(l > kNegInf)) continue;
    const Candidate c{static_cast<int32_t>(i), l};
    if (cands_.size() < k) {
      cands_.push_back(c);
      std::push_heap(cands_.begin(), cands_.end(), worse_first);
    } else if (better(c.logit, c.id, cands_.front().logit, cands_.front().id)) {
      std::pop_heap(cands_.begin(), cands_.end(), worse_first);
      cands_.back() = c;
      std::push_heap(cands_.begin(), cands_.end(), worse_first);
    }
  }
  std::sort_heap(cands_.begin(), cands_.end(), worse_first);  // ascending by worse_first = best first
}

void Sampler::top_p(bool sorted) {
  const double p = params_.top_p;
  const float max = sorted ? cands_.front().logit
                           : std::max_element(cands_.begin(), cands_.end(), [](const Candidate& a, const Candidate& b) {
                               return a.logit < b.logit;
                             })->logit;
  // Token weights in float (expf is several times faster than exp over a whole
  // vocabulary), summed in double.
  auto weight = [max](const Candidate& c) { return static_cast<double>(std::exp(c.logit - max)); };
  double total = 0.0;
  for (const Candidate& c : cands_) total += weight(c);
  const double target = p * total;
  // Keeps the shortest best-first prefix of `list` whose mass reaches the target;
  // false when the whole list falls short.
  auto keep_prefix = [&](std::vector<Candidate>& list) {
    double cum = 0.0;
    for (size_t i = 0; i < list.size(); ++i) {
      cum += weight(list[i]);
      if (cum >= target) {
        list.resize(i + 1);
        return true;
      }
    }
    return false;
  };
  if (sorted) {
    keep_prefix(cands_);
    return;
  }
  // Unsorted (top-k off, up to the whole vocabulary): the kept prefix is usually a few
  // tokens near the top, so sort only the tokens within `margin` of the best logit,
  // widening until their mass reaches the target. Those tokens are exactly the first
  // ones of the full sorted order, so the result is the same as sorting everything.
  auto by_rank = [](const Candidate& a, const Candidate& b) { return better(a.logit, a.id, b.logit, b.id); };
  for (float margin : {4.0f, 8.0f, 16.0f, 32.0f, std::numeric_limits<float>::infinity()}) {
    scratch_.clear();
    for (const Candidate& c : cands_) {
      if (c.logit >= max - margin) scratch_.push_back(c);
    }
    std::sort(scratch_.begin(), scratch_.end(), by_rank);
    if (keep_prefix(scratch_) || std::isinf(margin)) break;
  }
  cands_.swap(scratch_);
}

void Sampler::min_p() {
  float max = kNegInf;
  for (const Candidate& c : cands_) max = std::max(max, c.logit);
  // As llama.cpp: in logits, p_i >= min_p · p_max  <=>  l_i >= l_max + log(min_p).
  const float threshold = max + std::log(params_.min_p);
  std::erase_if(cands_, [&](const Candidate& c) { return c.logit < threshold; });
}

void Sampler::filter() {
  const size_t k = static_cast<size_t>(params_.top_k);
  bool sorted = false;
  if (k > 0 && k < n_vocab_) {
    top_k();
    sorted = true;
  } else {
    cands_.clear();
    for (size_t i = 0; i < view_.size(); ++i) {
      if (view_[i] > kNegInf) cands_.push_back({static_cast<int32_t>(i), view_[i]});
    }
  }
  if (cands_.empty()) fail("sampler: every token is banned (all logits are -inf or NaN)");
  if (params_.top_p < 1.0f) {
    top_p(sorted);
    sorted = true;
  }
  if (params_.min_p > 0.0f) min_p();
}

double Sampler::tempered_weights() {
  float max = kNegInf;
  for (const Candidate& c : cands_) max = std::max(max, c.logit);
  const double t = params_.temperature;
  weights_.resize(cands_.size());
  double total = 0.0;
  for (size_t i = 0; i < cands_.size(); ++i) {
    weights_[i] = std::exp(static_cast<double>(cands_[i].logit - max) / t);
    total += weights_[i];
  }
  return total;
}

int32_t Sampler::sample(std::span<const float> logits) {
  adjust(logits);
  if (params_.temperature <= 0.0f) return argmax();
  filter();
  const double total = tempered_weights();
  const double u = uniform() * total;
  double cum = 0.0;
  for (size_t i = 0; i < cands_.size(); ++i) {
    cum += weights_[i];
    if (u < cum) return cands_[i].id;
  }
  return cands_.back().id;  // u rounded up to the total
}

std::vector<TokenProb> Sampler::distribution(std::span<const float> logits) {
  adjust(logits);
  if (params_.temperature <= 0.0f) return {{argmax(), 1.0}};
  filter();
  const double total = tempered_weights();
  std::vector<TokenProb> out(cands_.size());
  for (size_t i = 0; i < cands_.size(); ++i) out[i] = {cands_[i].id, weights_[i] / total};
  return out;
}

}  // namespace edgelm
