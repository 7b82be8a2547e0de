// Sampling: the chain's semantics against hand-derived cases and a literal
// (sort-everything) reference of llama.cpp's order, the draw's frequencies against the
// theoretical distribution (chi-square), and reproducibility from the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "sample/sampler.h"
#include "util/error.h"

namespace edgelm {
namespace {

SamplingParams plain(float temperature) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1;
  return p;
}

std::vector<float> gaussian_logits(size_t n, double sd, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, sd);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(rng));
  return v;
}

// The chain written out literally: sort the whole vocabulary, cut, renormalise.
// Logit bias is applied; penalties are tested separately.
std::map<int32_t, double> reference(const std::vector<float>& logits, const SamplingParams& p) {
  std::vector<float> l = logits;
  for (const auto& [id, b] : p.logit_bias) l[static_cast<size_t>(id)] += b;
  std::vector<int32_t> idx;
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i] > -INFINITY) idx.push_back(static_cast<int32_t>(i));
  }
  std::sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < idx.size()) idx.resize(static_cast<size_t>(p.top_k));
  const double max = l[idx[0]];
  if (p.top_p < 1.0f) {
    double total = 0, cum = 0;
    for (int32_t i : idx) total += std::exp(l[i] - max);
    for (size_t k = 0; k < idx.size(); ++k) {
      cum += std::exp(l[idx[k]] - max) / total;
      if (cum >= p.top_p) {
        idx.resize(k + 1);
        break;
      }
    }
  }
  if (p.min_p > 0.0f) {
    std::erase_if(idx, [&](int32_t i) { return std::exp(l[i] - max) < p.min_p; });
  }
  std::map<int32_t, double> out;
  double total = 0;
  for (int32_t i : idx) total += std::exp((l[i] - max) / p.temperature);
  for (int32_t i : idx) out[i] = std::exp((l[i] - max) / p.temperature) / total;
  return out;
}

std::map<int32_t, double> as_map(const std::vector<TokenProb>& d) {
  std::map<int32_t, double> m;
  for (const TokenProb& t : d) m[t.id] = t.p;
  return m;
}

void expect_same_distribution(const std::map<int32_t, double>& got, const std::map<int32_t, double>& want,
                              const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (const auto& [id, p] : want) {
    ASSERT_TRUE(got.count(id)) << what << ": token " << id << " missing";
    EXPECT_NEAR(got.at(id), p, 1e-9 + 1e-6 * p) << what << ": token " << id;
  }
}

std::map<int32_t, int> draw(Sampler& s, const std::vector<float>& logits, int n) {
  std::map<int32_t, int> counts;
  for (int i = 0; i < n; ++i) ++counts[s.sample(logits)];
  return counts;
}

// Pearson's statistic of observed counts against expected probabilities. A draw outside
// the support makes it infinite.
double chi_square(const std::map<int32_t, int>& counts, const std::map<int32_t, double>& probs, int n) {
  double x = 0;
  for (const auto& [id, c] : counts) {
    if (!probs.count(id)) return INFINITY;
  }
  for (const auto& [id, p] : probs) {
    const double expected = p * n;
    const auto it = counts.find(id);
    const double observed = it == counts.end() ? 0.0 : it->second;
    x += (observed - expected) * (observed - expected) / expected;
  }
  return x;
}

// Upper critical value of chi-square with `df` degrees of freedom at significance 1e-6,
// by the Wilson-Hilferty cube approximation: X ≈ df·(1 - 2/(9df) + z·sqrt(2/(9df)))³
// with z = 4.7534, the standard normal's 1 - 1e-6 quantile. For df >= 1 it is at or
// above the exact value (df = 1: 27.5 vs 23.9), so a correct sampler fails at most about
// once in a million seeds, while the sensitivity checks below show wrong distributions
// land far beyond it.
double chi_square_bound(size_t df) {
  const double d = static_cast<double>(df), z = 4.7534;
  const double c = 1.0 - 2.0 / (9.0 * d) + z * std::sqrt(2.0 / (9.0 * d));
  return d * c * c * c;
}

TEST(Sampler, GreedyIsArgmaxWithTiesToTheLowestId) {
  const auto logits = gaussian_logits(1000, 2.0, 1);
  const int32_t want = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  for (float t : {0.0f, -1.0f}) {
    SamplingParams p;  // default filters: greedy ignores them
    p.temperature = t;
    Sampler s(p, 1000);
    EXPECT_EQ(s.sample(logits), want);
    EXPECT_EQ(s.sample(logits), want);
  }
  std::vector<float> ties = {0.5f, 2.0f, -1.0f, 2.0f, 2.0f};
  Sampler s(plain(0.0f), 5);
  EXPECT_EQ(s.sample(ties), 1);
  const auto d = s.distribution(ties);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 1);
  EXPECT_EQ(d[0].p, 1.0);
}

TEST(Sampler, LogitBiasShiftsAndNegativeInfinityBans) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.5f, 0.0f};
  SamplingParams p = plain(0.0f);
  p.logit_bias = {{1, -INFINITY}};
  Sampler greedy(p, 4);
  EXPECT_EQ(greedy.sample(logits), 2);
  p.logit_bias = {{3, 2.75f}};  // 0 + 2.75 beats 2.5 but not 3
  EXPECT_EQ(Sampler(p, 4).sample(logits), 1);
  p.logit_bias = {{3, 3.25f}};
  EXPECT_EQ(Sampler(p, 4).sample(logits), 3);

  // A banned token is never drawn, even when it dominates.
  p = plain(1.5f);
  p.logit_bias = {{1, -INFINITY}};
  Sampler hot(p, 4);
  const auto counts = draw(hot, logits, 5000);
  EXPECT_EQ(counts.count(1), 0u);
  EXPECT_EQ(counts.size(), 3u);

  p.logit_bias = {{0, -INFINITY}, {1, -INFINITY}, {2, -INFINITY}, {3, -INFINITY}};
  EXPECT_THROW(Sampler(p, 4).sample(logits), Error);
  p.temperature = 0.0f;
  EXPECT_THROW(Sampler(p, 4).sample(logits), Error);
}

// log(p_i / p_j) of the untruncated temperature-1 distribution is the difference of the
// penalized logits, so the penalties can be read back exactly.
std::vector<double> penalized_logits(Sampler& s, const std::vector<float>& logits) {
  const auto d = as_map(s.distribution(logits));
  std::vector<double> out;
  for (size_t i = 0; i < logits.size(); ++i) out.push_back(std::log(d.at(static_cast<int32_t>(i))));
  const double shift = out.back() - logits.back();  // the last token is never penalized below
  for (double& v : out) v -= shift;
  return out;
}

TEST(Sampler, PenaltiesChangeExactlyTheRecentTokens) {
  const std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f};
  SamplingParams p = plain(1.0f);
  p.repeat_penalty = 2.0f;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.repeat_last_n = 64;
  {
    Sampler s(p, 4);
    for (int32_t t : {0, 0, 1}) s.accept(t);
    // token 0, twice: 2 / 2 = 1, then - 2·0.25 - 0.5 = 0.
    // token 1, once: -1 · 2 = -2 (a negative logit is multiplied), then - 0.25 - 0.5 = -2.75.
    const auto got = penalized_logits(s, logits);
    const std::vector<double> want = {0.0, -2.75, 0.5, 3.0};
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << i;
    s.reset();  // history gone: the logits come back unchanged
    const auto clean = penalized_logits(s, logits);
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(clean[i], logits[i], 1e-9) << i;
  }
  {
    p.repeat_last_n = 2;  // only the last two accepted tokens (0 and 1) count
    Sampler s(p, 4);
    for (int32_t t : {0, 0, 1}) s.accept(t);
    const auto got = penalized_logits(s, logits);
    const std::vector<double> want = {2.0 / 2 - 0.25 - 0.5, -2.75, 0.5, 3.0};
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << i;
  }
  {
    p.repeat_last_n = 0;  // off
    Sampler s(p, 4);
    for (int32_t t : {0, 0, 1}) s.accept(t);
    const auto got = penalized_logits(s, logits);
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], logits[i], 1e-9) << i;
  }
  {
    p.repeat_last_n = -1;  // every accepted token: 0 three times, far back
    p.presence_penalty = 0.0f;
    Sampler s(p, 4);
    for (int32_t t : {0, 0, 0, 2, 2, 2, 2, 2, 2}) s.accept(t);
    const auto got = penalized_logits(s, logits);
    const std::vector<double> want = {2.0 / 2 - 3 * 0.25, -1.0, 0.5 / 2 - 6 * 0.25, 3.0};
    for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << i;
  }
  // Penalties act before greedy: token 3 (3.0) repeated with penalty 4 drops to 0.75.
  SamplingParams g = plain(0.0f);
  g.repeat_penalty = 4.0f;
  Sampler s(g, 4);
  EXPECT_EQ(s.sample(logits), 3);
  s.accept(3);
  EXPECT_EQ(s.sample(logits), 0);
}

// Hand-derived: probabilities 1/2, 1/4, 1/8, 1/16, 1/16.
//   top-k 4 drops token 4 (tied with 3: the lower id stays);
//   top-p 0.9 over {1/2, 1/4, 1/8, 1/16}/(15/16): cumulative 0.533, 0.8, 0.933 -> {0, 1, 2};
//   min-p 0.3: token 2 has 1/4 of the top probability -> {0, 1};
//   temperature 0.5 squares the ratio: 1/2 : 1/4 -> 1/4 : 1/16 = 0.8 : 0.2.
TEST(Sampler, HandDerivedChainAndItsFrequencies) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.25f), std::log(0.125f), std::log(0.0625f),
                                     std::log(0.0625f)};
  SamplingParams p;
  p.temperature = 0.5f;
  p.top_k = 4;
  p.top_p = 0.9f;
  p.min_p = 0.3f;
  p.seed = 42;
  Sampler s(p, 5);
  const std::map<int32_t, double> want = {{0, 0.8}, {1, 0.2}};
  expect_same_distribution(as_map(s.distribution(logits)), want, "hand-derived");
  const int n = 100000;
  const auto counts = draw(s, logits, n);
  const double x = chi_square(counts, want, n);
  RecordProperty("chi_square", std::to_string(x));
  EXPECT_LT(x, chi_square_bound(1)) << "token 0 drawn " << counts.at(0) << " of " << n;
  // The test can fail: the untempered 2:1 split is far out.
  EXPECT_GT(chi_square(counts, {{0, 2.0 / 3}, {1, 1.0 / 3}}, n), 100 * chi_square_bound(1));
}

TEST(Sampler, FrequenciesMatchTheFilteredTemperedDistribution) {
  const auto logits = gaussian_logits(50, 1.5, 7);
  SamplingParams p;
  p.temperature = 0.7f;
  p.top_k = 20;
  p.top_p = 0.9f;
  p.min_p = 0.02f;
  p.seed = 2024;
  const auto want = reference(logits, p);
  ASSERT_GE(want.size(), 6u);
  ASSERT_LT(want.size(), 20u);  // top-p / min-p did cut below top-k
  Sampler s(p, 50);
  expect_same_distribution(as_map(s.distribution(logits)), want, "top-k 20, top-p 0.9, min-p 0.02, temp 0.7");
  const int n = 200000;
  const auto counts = draw(s, logits, n);
  const double x = chi_square(counts, want, n);
  RecordProperty("chi_square", std::to_string(x));
  RecordProperty("categories", std::to_string(want.size()));
  EXPECT_LT(x, chi_square_bound(want.size() - 1));
  // Sensitivity: a temperature of 0.8 instead of 0.7 is rejected by far.
  SamplingParams q = p;
  q.temperature = 0.8f;
  EXPECT_GT(chi_square(counts, reference(logits, q), n), 10 * chi_square_bound(want.size() - 1));
}

// Every path of the filters (top-k heap, top-p on a sorted or unsorted set, min-p,
// none) against the literal reference on a Gemma-sized vocabulary, and no draw outside
// the kept set.
TEST(Sampler, FiltersMatchTheReferenceOnALargeVocabulary) {
  const uint32_t n_vocab = 262144;
  struct Case {
    float top_p, min_p;
    int32_t top_k;
    double sd;
  };
  const Case cases[] = {
      {0.95f, 0.05f, 40, 2.0},  // the defaults
      {0.9f, 0.0f, 0, 2.0},     // top-p alone over everything: the kept set lies beyond the first margin
      {0.9f, 0.0f, 0, 0.5},     // flat: the kept set is wide
      {0.5f, 0.0f, 0, 6.0},     // peaked: a few tokens
      {1.0f, 0.1f, 0, 2.0},     // min-p alone
      {1.0f, 0.0f, 1000, 2.0},  // top-k alone
      {0.99f, 0.0f, 100000, 1.0},
  };
  uint32_t seed = 100;
  for (const Case& c : cases) {
    const auto logits = gaussian_logits(n_vocab, c.sd, ++seed);
    SamplingParams p;
    p.temperature = 1.3f;
    p.top_k = c.top_k;
    p.top_p = c.top_p;
    p.min_p = c.min_p;
    p.seed = seed;
    const std::string what = "top_k " + std::to_string(c.top_k) + " top_p " + std::to_string(c.top_p) + " min_p " +
                             std::to_string(c.min_p) + " sd " + std::to_string(c.sd);
    const auto want = reference(logits, p);
    Sampler s(p, n_vocab);
    expect_same_distribution(as_map(s.distribution(logits)), want, what);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(want.count(s.sample(logits))) << what;
  }
  // No filter at all: every token can come out.
  const auto logits = gaussian_logits(n_vocab, 1.0, 5);
  Sampler s(plain(1.0f), n_vocab);
  EXPECT_EQ(s.distribution(logits).size(), n_vocab);
}

TEST(Sampler, TopKTiesKeepTheLowestIds) {
  const std::vector<float> flat(10, 1.0f);
  SamplingParams p = plain(1.0f);
  p.top_k = 3;
  Sampler s(p, 10);
  const auto d = as_map(s.distribution(flat));
  EXPECT_EQ(d.size(), 3u);
  for (int32_t id : {0, 1, 2}) EXPECT_NEAR(d.at(id), 1.0 / 3, 1e-12);
}

TEST(Sampler, SameSeedSameTokensOtherSeedOthers) {
  const auto logits = gaussian_logits(1000, 1.0, 3);
  SamplingParams p;
  p.temperature = 1.0f;
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p, 1000);
    std::vector<int32_t> out;
    for (int i = 0; i < 200; ++i) {
      out.push_back(s.sample(logits));
      s.accept(out.back());
    }
    return out;
  };
  const auto a = run(7);
  EXPECT_EQ(run(7), a);
  EXPECT_NE(run(8), a);
  EXPECT_GT(std::set<int32_t>(a.begin(), a.end()).size(), 5u);  // not degenerate

  // reset() restarts the same sequence.
  p.seed = 7;
  Sampler s(p, 1000);
  std::vector<int32_t> first, second;
  for (int i = 0; i < 50; ++i) first.push_back(s.sample(logits));
  s.reset();
  for (int i = 0; i < 50; ++i) second.push_back(s.sample(logits));
  EXPECT_EQ(first, second);

  // No seed: a random one, reported.
  p.seed.reset();
  EXPECT_NE(Sampler(p, 1000).seed(), Sampler(p, 1000).seed());
}

TEST(Sampler, RejectsBadParametersAndInputs) {
  auto rejects = [](auto&& edit, const char* needle) {
    SamplingParams p;
    edit(p);
    try {
      Sampler(p, 100);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  rejects([](SamplingParams& p) { p.temperature = NAN; }, "temperature nan");
  rejects([](SamplingParams& p) { p.top_k = -1; }, "top-k -1");
  rejects([](SamplingParams& p) { p.top_p = 1.5f; }, "top-p 1.5");
  rejects([](SamplingParams& p) { p.min_p = -0.1f; }, "min-p -0.1");
  rejects([](SamplingParams& p) { p.repeat_penalty = 0.0f; }, "repeat penalty 0");
  rejects([](SamplingParams& p) { p.repeat_last_n = -2; }, "repeat-last-n -2");
  rejects([](SamplingParams& p) { p.presence_penalty = INFINITY; }, "presence penalty inf");
  rejects([](SamplingParams& p) { p.frequency_penalty = NAN; }, "frequency penalty nan");
  rejects([](SamplingParams& p) { p.logit_bias[100] = 1.0f; }, "token 100: out of range (vocabulary has 100");
  rejects([](SamplingParams& p) { p.logit_bias[3] = INFINITY; }, "must be finite or -inf");

  Sampler s(SamplingParams{}, 100);
  EXPECT_THROW(s.sample(std::vector<float>(99, 0.0f)), Error);
  EXPECT_THROW(s.accept(100), Error);
  EXPECT_THROW(s.accept(-1), Error);
}

TEST(Sampler, ParsesLogitBias) {
  EXPECT_EQ(parse_logit_bias("15043=-1.5"), std::make_pair(15043, -1.5f));
  EXPECT_EQ(parse_logit_bias("2=-inf"), std::make_pair(2, -INFINITY));
  EXPECT_EQ(parse_logit_bias("0=3"), std::make_pair(0, 3.0f));
  for (const char* bad : {"15043", "=1", "x=1", "-1=2", "1=", "1=abc", "1=inf", "1=nan", "1=2x", "99999999999=1"}) {
    EXPECT_THROW(parse_logit_bias(bad), Error) << bad;
  }
  try {
    parse_logit_bias("7=fast");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "logit bias '7=fast': 'fast' is not a number (or -inf)");
  }
}

}  // namespace
}  // namespace edgelm
