#include "kernels/quant_kernels.h"

#include <cstddef>
#include <cstring>

#include "kernels/activations.h"
#include "kernels/ops.h"
#include "kernels/vec_dot.h"
#include "kernels/x86/x86_kernels.h"
#include "quant/blocks.h"
#include "util/error.h"
#include "util/half.h"

namespace edgelm {

namespace {

// The reference: one vec_dot per row and token.
void scalar_rows(const QuantMatmulArgs& a, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = a.w + static_cast<uint64_t>(r) * a.w_row_bytes;
    for (int64_t t = 0; t < a.n_tokens; ++t) {
      a.y[t * a.y_stride + r] = vec_dot(a.type, row, a.acts + static_cast<uint64_t>(t) * a.act_row_bytes, a.cols);
    }
  }
}

void scalar_quantize_q8_0(const float* x, void* out, int64_t n) { quantize_activations(TensorType::Q8_0, x, out, n); }
void scalar_quantize_q8_K(const float* x, void* out, int64_t n) { quantize_activations(TensorType::Q8_K, x, out, n); }

}  // namespace

RowsKernel KernelTable::rows_kernel(TensorType type) const {
  switch (type) {
    case TensorType::Q4_0: return q4_0;
    case TensorType::Q8_0: return q8_0;
    case TensorType::IQ4_NL: return iq4_nl;
    case TensorType::Q4_K: return q4_K;
    case TensorType::Q5_K: return q5_K;
    case TensorType::Q6_K: return q6_K;
    case TensorType::BF16: return bf16 != nullptr ? bf16 : (level == CpuLevel::kScalar ? scalar_rows : nullptr);
    default: return level == CpuLevel::kScalar ? scalar_rows : nullptr;
  }
}

RowsKernel KernelTable::packed_rows_kernel(TensorType type) const {
  switch (type) {
    case TensorType::Q4_0: return q4_0_packed;
    case TensorType::IQ4_NL: return iq4_nl_packed;
    case TensorType::Q4_K: return q4_K_packed;
    case TensorType::Q5_K: return q5_K_packed;
    case TensorType::Q6_K: return q6_K_packed;
    default: return nullptr;
  }
}

QuantizeKernel KernelTable::quantizer(TensorType act_type) const {
  switch (act_type) {
    case TensorType::Q8_0: return quantize_q8_0;
    case TensorType::Q8_K: return quantize_q8_K;
    default: return nullptr;
  }
}

const KernelTable& scalar_kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    t.level = CpuLevel::kScalar;
    t.tile_rows = 1;
    t.quantize_q8_0 = scalar_quantize_q8_0;
    t.quantize_q8_K = scalar_quantize_q8_K;
    t.q4_0 = t.q8_0 = t.iq4_nl = t.q4_K = t.q5_K = t.q6_K = scalar_rows;
    t.geglu = geglu_reference;
    return t;
  }();
  return table;
}

#if defined(__x86_64__)
// Built here, in a translation unit compiled for the baseline CPU: the tables' code
// (constructors included) must not come from the SIMD translation units.
#define EDGELM_X86_TABLE(isa, lvl)                                      \
  [] {                                                                  \
    KernelTable t;                                                      \
    t.level = lvl;                                                      \
    t.tile_rows = isa::kTileRows;                                       \
    t.prompt_tile_group = isa::kPromptTileGroup;                        \
    t.quantize_q8_0 = isa::quantize_q8_0;                               \
    t.quantize_q8_K = isa::quantize_q8_K;                               \
    t.q4_0 = isa::rows_q4_0;                                            \
    t.q8_0 = isa::rows_q8_0;                                            \
    t.iq4_nl = isa::rows_iq4_nl;                                        \
    t.q4_K = isa::rows_q4_K;                                            \
    t.q5_K = isa::rows_q5_K;                                            \
    t.q6_K = isa::rows_q6_K;                                            \
    t.bf16 = isa::rows_bf16;                                            \
    t.geglu = isa::geglu;                                               \
    t.q4_0_packed = isa::rows_q4_0_packed;                              \
    t.iq4_nl_packed = isa::rows_iq4_nl_packed;                          \
    t.q4_K_packed = isa::rows_q4_K_packed;                              \
    t.q5_K_packed = isa::rows_q5_K_packed;                              \
    t.q6_K_packed = isa::rows_q6_K_packed;                              \
    return t;                                                           \
  }()

const KernelTable& avx2_kernel_table() {
  static const KernelTable table = EDGELM_X86_TABLE(avx2, CpuLevel::kAvx2);
  return table;
}

const KernelTable& avx512_kernel_table() {
  static const KernelTable table = EDGELM_X86_TABLE(avx512, CpuLevel::kAvx512);
  return table;
}
#undef EDGELM_X86_TABLE
#endif

const KernelTable& kernel_table(CpuLevel level) {
  if (!cpu_features().supports(level)) fail("CPU level {} is not supported here", cpu_level_name(level));
  switch (level) {
    case CpuLevel::kScalar: return scalar_kernel_table();
#if defined(__x86_64__)
    case CpuLevel::kAvx2: return avx2_kernel_table();
    case CpuLevel::kAvx512: return avx512_kernel_table();
#else
    default: break;
#endif
  }
  return scalar_kernel_table();
}

void q8_0_block_sums(const void* acts, int64_t n, int32_t* sums, float* scales) {
  const auto* p = static_cast<const uint8_t*>(acts);
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint16_t d;
    std::memcpy(&d, p + b * static_cast<int64_t>(sizeof(block_q8_0)) + offsetof(block_q8_0, d), 2);
    scales[b] = f16_to_f32(d);
    int8_t qs[kQK];
    std::memcpy(qs, p + b * static_cast<int64_t>(sizeof(block_q8_0)) + offsetof(block_q8_0, qs), kQK);
    int32_t s = 0;
    for (int8_t v : qs) s += v;
    sums[b] = s;
  }
}

}  // namespace edgelm
