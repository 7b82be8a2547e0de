#pragma once
// Compile-time checks that the byte offsets quant_kernels_x86.inc hard-codes match the
// block structs (it must not call anything from quant/blocks.h, see that file).
#include <cstddef>

#include "quant/blocks.h"

namespace edgelm::x86_layout {

static_assert(sizeof(block_q4_0) == 18 && offsetof(block_q4_0, qs) == 2);
static_assert(sizeof(block_iq4_nl) == 18 && offsetof(block_iq4_nl, qs) == 2);
static_assert(sizeof(block_q8_0) == 34 && offsetof(block_q8_0, qs) == 2);
static_assert(sizeof(block_q4_K) == 144 && offsetof(block_q4_K, scales) == 4 && offsetof(block_q4_K, qs) == 16);
static_assert(sizeof(block_q5_K) == 176 && offsetof(block_q5_K, qh) == 16 && offsetof(block_q5_K, qs) == 48);
static_assert(sizeof(block_q6_K) == 210 && offsetof(block_q6_K, qh) == 128 && offsetof(block_q6_K, scales) == 192 &&
              offsetof(block_q6_K, d) == 208);
static_assert(sizeof(block_q8_K) == 292 && offsetof(block_q8_K, qs) == 4 && offsetof(block_q8_K, bsums) == 260);

}  // namespace edgelm::x86_layout
