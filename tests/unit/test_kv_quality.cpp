// What quantized KV caches cost in accuracy: KL(p_f16 || p_type) of the next-token
// distributions of the tiny model over a long teacher-forced run (the same tokens for
// every type), against a bound derived from each type's rounding (docs/kv-cache.md).
//
// The bound. To first order, a KV type's rounding error e (per stored element) moves
// the logits linearly in e, and KL between two nearby softmax distributions is half the
// variance of the logit change under p: so KL ~ C·E[e²] with C set by the model and the
// tokens, not by the type. For rows of RMS-normalized (roughly Gaussian, σ = 1) K and V:
//   bf16:  8 significant bits: uniform error of ±2^-8·|x| at most, RMS ~ 2^-8/√3 · 0.72σ
//          (E|x|·mean(1/m) over the binade folded in): 1.6e-3 σ;
//   q8_0:  steps of amax/127 over blocks of 32 (E amax ~ 2.07σ): RMS step/√12 = 4.7e-3 σ;
//   q4_0:  steps of amax/8: RMS 7.5e-2 σ (the clipped extreme adds little).
// C is measured on bf16 (its error dwarfs f16's own 2^-11 rounding), predicting q8_0 at
// (4.7/1.6)² = 8.6x bf16's KL and q4_0 at (75/1.6)² = 2200x. The test holds each
// measured mean KL to within 4x of its prediction (both ways: too small would mean the
// type is not really applied), and q4_0's worst step below 1 nat.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "models/gemma4/gemma4_model.h"
#include "runtime/kv_cache.h"
#include "runtime/thread_pool.h"
#include "synth_support.h"
#include "test_support.h"

namespace edgelm {
namespace {

// log-softmax in double.
std::vector<double> log_probs(const std::vector<float>& logits) {
  double mx = -INFINITY;
  for (float l : logits) mx = std::max(mx, static_cast<double>(l));
  double sum = 0.0;
  for (float l : logits) sum += std::exp(l - mx);
  const double lse = mx + std::log(sum);
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - lse;
  return out;
}

double kl(const std::vector<double>& lp, const std::vector<double>& lq) {
  double sum = 0.0;
  for (size_t i = 0; i < lp.size(); ++i) sum += std::exp(lp[i]) * (lp[i] - lq[i]);
  return std::max(sum, 0.0);
}

struct KlStats {
  double mean = 0.0, max = 0.0;
};

TEST(KvQuality, QuantizedKvKlDivergenceFollowsTheRoundingBound) {
  test::TempDir dir;
  // f32 weights: their activations are not rounded to int8 blocks, whose flips would
  // otherwise set a floor of ~4e-3 nats under any perturbation, however small.
  const auto model = Gemma4Model::open(test::synth_tiny_gemma4(dir, 11, TensorType::F32));
  ThreadPool pool(2);

  // 16 prompt tokens, then 400 single-token steps (EDGELM_KV_KL_STEPS: more, for the
  // figures in docs/kv-cache.md): the full layers grow to 416 cells, the sliding window
  // (32) turns over many times.
  constexpr uint32_t kPrompt = 16;
  const char* steps_env = std::getenv("EDGELM_KV_KL_STEPS");
  const uint32_t kSteps = steps_env != nullptr ? static_cast<uint32_t>(std::atoi(steps_env)) : 400;
  std::mt19937 rng(3);
  std::vector<int32_t> toks = {1};
  while (toks.size() < kPrompt + kSteps) toks.push_back(static_cast<int32_t>(3 + rng() % 31990));

  auto run = [&](TensorType type) {
    KvCache cache = model->new_cache(1024, 16);
    KvCacheOptions kv;
    kv.k_type = kv.v_type = type;
    cache.configure(kv);
    std::vector<float> logits(model->config().n_vocab);
    std::vector<std::vector<double>> steps;
    model->eval(cache, std::span(toks).first(kPrompt), 16, pool, logits.data());
    steps.push_back(log_probs(logits));
    for (uint32_t i = kPrompt; i < kPrompt + kSteps; ++i) {
      model->eval(cache, std::span(toks).subspan(i, 1), 16, pool, logits.data());
      steps.push_back(log_probs(logits));
    }
    return steps;
  };
  const auto ref = run(TensorType::F16);
  auto stats = [&](TensorType type) {
    const auto got = run(type);
    KlStats s;
    for (size_t i = 0; i < ref.size(); ++i) {
      const double d = kl(ref[i], got[i]);
      s.mean += d / static_cast<double>(ref.size());
      s.max = std::max(s.max, d);
    }
    std::printf("KL(f16 || %s) over %zu steps: mean %.3g, max %.3g nats\n", type_name(type), ref.size(), s.mean, s.max);
    return s;
  };
  const KlStats bf16 = stats(TensorType::BF16), q8 = stats(TensorType::Q8_0), q4 = stats(TensorType::Q4_0);

  const double rms_bf16 = 1.6e-3, rms_q8 = 4.7e-3, rms_q4 = 7.5e-2;
  const double c = bf16.mean / (rms_bf16 * rms_bf16);
  const double predict_q8 = c * rms_q8 * rms_q8, predict_q4 = c * rms_q4 * rms_q4;
  std::printf("predicted mean KL: q8_0 %.3g, q4_0 %.3g\n", predict_q8, predict_q4);
  ASSERT_GT(bf16.mean, 0.0);
  EXPECT_LE(q8.mean, 4.0 * predict_q8);
  EXPECT_GE(q8.mean, predict_q8 / 4.0);
  EXPECT_LE(q4.mean, 4.0 * predict_q4);
  EXPECT_GE(q4.mean, predict_q4 / 4.0);
  EXPECT_LT(q4.max, 1.0);
  EXPECT_LT(q8.mean, q4.mean);
}

}  // namespace
}  // namespace edgelm
