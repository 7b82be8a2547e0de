// Microbenchmarks of the kernels (Google Benchmark): quantized matrix products as
// decode (1 token) and prefill (16 / 64 tokens) see them, with the file layout and the
// packed layout, at every CPU level this machine has; the float-order attention
// kernels. One thread: figures are per core. Counters: weight bytes read per second
// ("weights/s", decode) and ns per 32-element row-block per token ("ns/blk·tok").
//   build/bench/edgelm_kernel_bench --benchmark_filter=q4_0 --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/float_dot.h"
#include "kernels/matmul.h"
#include "kernels/packed_weights.h"
#include "quant/quantize.h"
#include "quant/tensor_type.h"
#include "runtime/thread_pool.h"
#include "util/half.h"

namespace edgelm {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A rows x cols matrix of `type` (rows long enough to leave L2: 2048 x 4096 of q4_0 is
// 4.5 MiB).
struct Matrix {
  std::vector<uint8_t> bytes;
  WeightMatrix view;
  Matrix(TensorType type, int64_t rows, int64_t cols) {
    const uint64_t rb = row_bytes(type, cols);
    bytes.resize(rb * static_cast<uint64_t>(rows));
    const auto f = random_floats(static_cast<size_t>(cols), 1);
    for (int64_t r = 0; r < rows; ++r) quantize_row(type, f.data(), bytes.data() + rb * static_cast<uint64_t>(r), cols);
    view = WeightMatrix{type, bytes.data(), cols, rows, rb, nullptr};
  }
};

void BM_Matmul(benchmark::State& state, TensorType type, CpuLevel level, bool packed) {
  if (!cpu_features().supports(level)) {
    state.SkipWithError("CPU level not supported here");
    return;
  }
  set_cpu_level(level);
  const int64_t tokens = state.range(0), rows = 2048, cols = 4096;
  Matrix m(type, rows, cols);
  WeightMatrix w = m.view;
  if (packed) {
    pack_weight_matrix(w, /*release_file_pages=*/false);
    if (!w.packed) {
      state.SkipWithError("no packed layout for this type and level");
      return;
    }
  }
  const auto x = random_floats(static_cast<size_t>(cols * tokens), 2);
  std::vector<float> y(static_cast<size_t>(rows * tokens));
  ThreadPool pool(1);
  for (auto _ : state) {
    matmul(w, x.data(), tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["weights/s"] = benchmark::Counter(static_cast<double>(m.bytes.size()) * iters,
                                                   benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
  // Inverted rate of (blocks·tokens / 1e9): seconds per 1e9 row-blocks, i.e. ns each.
  state.counters["ns/blk·tok"] = benchmark::Counter(static_cast<double>(rows * (cols / 32) * tokens) * iters / 1e9,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// q·K scores and p·V over 512 cached positions of a 256-wide head, as decode attention.
void BM_AttentionF16(benchmark::State& state, CpuLevel level) {
  if (!cpu_features().supports(level)) {
    state.SkipWithError("CPU level not supported here");
    return;
  }
  set_cpu_level(level);
  const int64_t hd = 256, n = 512;
  const auto kf = random_floats(static_cast<size_t>(hd * n), 3), qf = random_floats(static_cast<size_t>(hd), 4);
  std::vector<uint16_t> k(kf.size()), q(qf.size()), p(static_cast<size_t>(n));
  for (size_t i = 0; i < k.size(); ++i) k[i] = f32_to_f16(kf[i]);
  for (size_t i = 0; i < q.size(); ++i) q[i] = f32_to_f16(qf[i]);
  std::vector<uint32_t> cells(static_cast<size_t>(n));
  std::vector<const uint16_t*> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    cells[static_cast<size_t>(i)] = static_cast<uint32_t>(i);
    rows[static_cast<size_t>(i)] = k.data() + i * hd;
    p[static_cast<size_t>(i)] = f32_to_f16(1.0f / static_cast<float>(n));
  }
  std::vector<float> scores(static_cast<size_t>(n)), out(static_cast<size_t>(hd));
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) {
      scores[static_cast<size_t>(i)] = dot_f16_ordered(
          FloatDotOrder::kVector, reinterpret_cast<const uint8_t*>(k.data() + i * hd), q.data(), hd);
    }
    f16_weighted_cells(cells.data(), p.data(), rows.data(), n, n, hd, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::DoNotOptimize(scores.data());
  }
}

void register_all() {
  const std::pair<CpuLevel, const char*> levels[] = {
      {CpuLevel::kScalar, "scalar"}, {CpuLevel::kAvx2, "avx2"}, {CpuLevel::kAvx512, "avx512"}};
  for (TensorType type : {TensorType::Q4_0, TensorType::IQ4_NL, TensorType::Q8_0, TensorType::Q4_K, TensorType::Q5_K,
                          TensorType::Q6_K, TensorType::BF16}) {
    for (const auto& [level, lname] : levels) {
      for (bool packed : {false, true}) {
        if (packed && !packable(type, level == CpuLevel::kScalar ? CpuLevel::kScalar : level)) continue;
        const std::string name = std::string("matmul/") + type_name(type) + "/" + lname + (packed ? "/packed" : "");
        auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, type, level, packed);
        b->Arg(1)->Arg(16)->Arg(64);
        if (level == CpuLevel::kScalar) b->Iterations(1);
      }
    }
  }
  for (const auto& [level, lname] : levels) {
    benchmark::RegisterBenchmark((std::string("attention_f16/") + lname).c_str(), BM_AttentionF16, level);
  }
}

}  // namespace
}  // namespace edgelm

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  edgelm::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
