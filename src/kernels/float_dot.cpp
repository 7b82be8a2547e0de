#include "kernels/float_dot.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/float_reduce.h"
#include "util/half.h"

namespace edgelm {
namespace {

std::atomic<bool> g_batch_invariant{false};

// Element loaders: weights come from the mapping, possibly unaligned.
struct LoadF32 {
  const uint8_t* p;
  float operator()(int64_t i) const {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
};
struct LoadF16 {
  const uint8_t* p;
  const float* table = f16_to_f32_table();
  float operator()(int64_t i) const {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    return table[h];
  }
};

// ggml_vec_dot_f32/f16 with W lanes and 4 accumulators. `kDoubleTail`: f16 keeps the
// sum in double and adds the leftovers' products there; f32 keeps a float and fuses.
template <int W, bool kDoubleTail, typename LoadX, typename LoadY>
[[gnu::always_inline]] inline float vector_order(LoadX x, LoadY y, int64_t n) {
  constexpr int64_t kStep = 4 * W;
  const int64_t np = n & ~(kStep - 1);
  float acc[4][W] = {};
  for (int64_t i = 0; i < np; i += kStep) {
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < W; ++l) {
        const int64_t e = i + j * W + l;
        acc[j][l] = std::fma(x(e), y(e), acc[j][l]);
      }
    }
  }
  for (int l = 0; l < W; ++l) {
    acc[0][l] += acc[2][l];
    acc[1][l] += acc[3][l];
  }
  for (int l = 0; l < W; ++l) acc[0][l] += acc[1][l];
  const float reduced = W == 16 ? reduce16(acc[0]) : reduce8_hadd(acc[0]);
  if constexpr (kDoubleTail) {
    double sum = reduced;
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(x(i) * y(i));
    return static_cast<float>(sum);
  } else {
    float sum = reduced;
    for (int64_t i = np; i < n; ++i) sum = std::fma(x(i), y(i), sum);
    return sum;
  }
}

// tinyBLAS: one W-lane accumulator over the whole row (n % W == 0).
template <int W, typename LoadX, typename LoadY>
[[gnu::always_inline]] inline float gemm_order(LoadX x, LoadY y, int64_t n) {
  float acc[W] = {};
  for (int64_t i = 0; i < n; i += W) {
    for (int l = 0; l < W; ++l) acc[l] = std::fma(x(i + l), y(i + l), acc[l]);
  }
  return W == 16 ? reduce16(acc) : reduce8_movehl(acc);
}

// Without SIMD ggml sums products in double.
template <typename LoadX, typename LoadY>
[[gnu::always_inline]] inline float scalar_order(LoadX x, LoadY y, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x(i) * y(i));
  return static_cast<float>(sum);
}

template <bool kDoubleTail, typename LoadX, typename LoadY>
[[gnu::always_inline]] inline float ordered(int lanes, FloatDotOrder order, LoadX x, LoadY y, int64_t n) {
  switch (lanes) {
    case 16:
      return order == FloatDotOrder::kGemm ? gemm_order<16>(x, y, n) : vector_order<16, kDoubleTail>(x, y, n);
    case 8:
      return order == FloatDotOrder::kGemm ? gemm_order<8>(x, y, n) : vector_order<8, kDoubleTail>(x, y, n);
    default:
      return scalar_order(x, y, n);
  }
}

int detect_lanes() {
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx512f")) return 16;
  if (__builtin_cpu_supports("avx")) return 8;
#endif
  return 1;
}

// The fused multiply-adds are exact either way, but without the FMA instruction each
// one is a libm call: these entry points are also compiled for FMA and chosen when
// the CPU has it (the templates above inline into each clone).
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__SANITIZE_ADDRESS__)
#define EDGELM_FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define EDGELM_FMA_CLONES
#endif

}  // namespace

int llama_float_lanes() {
  static const int lanes = detect_lanes();
  return lanes;
}

FloatDotOrder float_dot_order(int64_t n_tokens, int64_t n) {
  const int lanes = llama_float_lanes();
  if (n_tokens >= 2 && lanes > 1 && n % lanes == 0 && !float_batch_invariant()) return FloatDotOrder::kGemm;
  return FloatDotOrder::kVector;
}

namespace float_dot_ref {

EDGELM_FMA_CLONES float dot_f32(int lanes, FloatDotOrder order, const uint8_t* x, const float* y, int64_t n) {
  return ordered<false>(lanes, order, LoadF32{x}, [y](int64_t i) { return y[i]; }, n);
}

EDGELM_FMA_CLONES float dot_f16(int lanes, FloatDotOrder order, const uint8_t* x, const uint16_t* y, int64_t n) {
  const float* table = f16_to_f32_table();
  return ordered<true>(lanes, order, LoadF16{x}, [y, table](int64_t i) { return table[y[i]]; }, n);
}

EDGELM_FMA_CLONES void weighted_cells(int lanes, const uint32_t* cells, const uint16_t* p, const uint16_t* const* rows,
                                      int64_t count, int64_t n_span, int64_t width, float* out) {
  const float* table = f16_to_f32_table();
  if (lanes == 1) {  // ggml without SIMD: double sums in cell order
    for (int64_t k = 0; k < width; ++k) {
      double sum = 0.0;
      for (int64_t e = 0; e < count; ++e) sum += static_cast<double>(table[p[e]] * table[rows[e][k]]);
      out[k] = static_cast<float>(sum);
    }
    return;
  }
  // Lane (j, l) of ggml_vec_dot_f16 takes cells j·W + l modulo 4·W; a cell whose
  // probability is zero adds exactly nothing, so only listed cells are visited.
  const int64_t step = 4 * lanes;
  const int64_t np = n_span & ~(step - 1);
  std::vector<float> acc(static_cast<size_t>(width * step), 0.0f);  // [width][4·W]
  int64_t e = 0;
  for (; e < count && cells[e] < np; ++e) {
    const float pe = table[p[e]];
    const int64_t lane = cells[e] % step;
    for (int64_t k = 0; k < width; ++k) {
      float& a = acc[static_cast<size_t>(k * step + lane)];
      a = std::fma(pe, table[rows[e][k]], a);
    }
  }
  for (int64_t k = 0; k < width; ++k) {
    float* a = acc.data() + k * step;  // a[j·W + l]
    for (int l = 0; l < lanes; ++l) {
      a[l] += a[2 * lanes + l];
      a[lanes + l] += a[3 * lanes + l];
    }
    for (int l = 0; l < lanes; ++l) a[l] += a[lanes + l];
    double sum = lanes == 16 ? reduce16(a) : reduce8_hadd(a);
    for (int64_t t = e; t < count; ++t) sum += static_cast<double>(table[p[t]] * table[rows[t][k]]);
    out[k] = static_cast<float>(sum);
  }
}

}  // namespace float_dot_ref

#if !defined(__x86_64__)
const FloatDotKernels* avx2_float_dot_kernels() { return nullptr; }
const FloatDotKernels* avx512_float_dot_kernels() { return nullptr; }
#endif

const FloatDotKernels* active_float_dot_kernels() {
  // Decided per call: tests switch CPU levels (set_cpu_level) within one process.
  const int lanes = llama_float_lanes();
  const CpuLevel level = cpu_level();
  if (lanes == 16 && level == CpuLevel::kAvx512) return avx512_float_dot_kernels();
  if (lanes == 8 && level != CpuLevel::kScalar) return avx2_float_dot_kernels();
  return nullptr;
}

float dot_f32_ordered(FloatDotOrder order, const uint8_t* x, const float* y, int64_t n) {
  const FloatDotKernels* k = active_float_dot_kernels();
  return k ? k->dot_f32(order, x, y, n) : float_dot_ref::dot_f32(llama_float_lanes(), order, x, y, n);
}

float dot_f16_ordered(FloatDotOrder order, const uint8_t* x, const uint16_t* y, int64_t n) {
  const FloatDotKernels* k = active_float_dot_kernels();
  return k ? k->dot_f16(order, x, y, n) : float_dot_ref::dot_f16(llama_float_lanes(), order, x, y, n);
}

void f16_weighted_cells(const uint32_t* cells, const uint16_t* p, const uint16_t* const* rows, int64_t count,
                        int64_t n_span, int64_t width, float* out) {
  const FloatDotKernels* k = active_float_dot_kernels();
  if (k) k->weighted_cells(cells, p, rows, count, n_span, width, out);
  else float_dot_ref::weighted_cells(llama_float_lanes(), cells, p, rows, count, n_span, width, out);
}

void float_matmul_rows(const FloatGemmArgs& a, FloatDotOrder order, int64_t r0, int64_t r1) {
  const FloatDotKernels* k = active_float_dot_kernels();
  if (k != nullptr && order == FloatDotOrder::kGemm) {
    k->gemm_rows(a, r0, r1);
    return;
  }
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = a.w + static_cast<uint64_t>(r) * a.row_bytes;
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      const uint8_t* act = a.acts + static_cast<uint64_t>(t) * a.act_bytes;
      a.y[t * a.y_stride + r] = a.f16 ? dot_f16_ordered(order, row, reinterpret_cast<const uint16_t*>(act), a.n)
                                      : dot_f32_ordered(order, row, reinterpret_cast<const float*>(act), a.n);
    }
  }
}

void set_float_batch_invariant(bool on) { g_batch_invariant.store(on, std::memory_order_relaxed); }
bool float_batch_invariant() { return g_batch_invariant.load(std::memory_order_relaxed); }

}  // namespace edgelm
