#include "runtime/attention_simd.h"

#include "kernels/cpu_features.h"
#include "kernels/float_dot.h"
#include "util/half.h"

namespace edgelm {

namespace {

// Which kernel set runs: the CPU level chosen (EDGELM_CPU may force a lower one) must
// have registers as wide as llama.cpp's lane count on this CPU.
enum class F16Kernels { kNone, kAvx2, kAvx512 };

F16Kernels f16_kernels() {
#if defined(__x86_64__)
  const int lanes = llama_float_lanes();
  const CpuLevel level = cpu_level();
  if (lanes == 16 && level == CpuLevel::kAvx512) return F16Kernels::kAvx512;
  if (lanes == 8 && level == CpuLevel::kAvx2) return F16Kernels::kAvx2;
#endif
  return F16Kernels::kNone;
}

}  // namespace

bool simd_f16_available(int64_t head_dim) {
  const F16Kernels k = f16_kernels();
  if (k == F16Kernels::kNone) return false;
  const int lanes = k == F16Kernels::kAvx512 ? 16 : 8;
  return head_dim > 0 && head_dim <= 1024 && head_dim % (4 * lanes) == 0;
}

void simd_f16_key_scores(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                         const float* q, int n_q, int64_t head_dim, float* scores) {
#if defined(__x86_64__)
  if (f16_kernels() == F16Kernels::kAvx512) {
    avx512::attn_f16_key_scores(base, row_bytes, cells, count, q, n_q, head_dim, scores);
  } else {
    avx2::attn_f16_key_scores(base, row_bytes, cells, count, q, n_q, head_dim, scores);
  }
#else
  (void)base, (void)row_bytes, (void)cells, (void)count, (void)q, (void)n_q, (void)head_dim, (void)scores;
#endif
}

void simd_f16_weighted_values(const uint8_t* base, uint64_t row_bytes, const uint32_t* cells, uint32_t count,
                              const float* p, int n_q, uint32_t span, int64_t head_dim, float* out,
                              std::vector<float>& scratch) {
#if defined(__x86_64__)
  const bool wide = f16_kernels() == F16Kernels::kAvx512;
  const uint64_t acc_floats = simd_f16_values_scratch(n_q, wide ? 16 : 8);
  const uint64_t p_floats = static_cast<uint64_t>(n_q) * count;
  if (scratch.size() < acc_floats + p_floats) scratch.resize(acc_floats + p_floats);
  // The probabilities rounded to f16, as llama.cpp's matmul converts them.
  float* p16 = scratch.data() + acc_floats;
  if (wide) {
    avx512::attn_round_f16(p, p_floats, p16);
    avx512::attn_f16_weighted_values(base, row_bytes, cells, count, p16, n_q, span, head_dim, out, scratch.data());
  } else {
    avx2::attn_round_f16(p, p_floats, p16);
    avx2::attn_f16_weighted_values(base, row_bytes, cells, count, p16, n_q, span, head_dim, out, scratch.data());
  }
#else
  (void)base, (void)row_bytes, (void)cells, (void)count, (void)p, (void)n_q, (void)span, (void)head_dim, (void)out,
      (void)scratch;
#endif
}

}  // namespace edgelm
