#pragma once
// The two products of attention over KV cache rows of any KV type (kv_types.h), for a
// group of query heads that share one KV head (runtime/attention.h says why each type is
// computed the way it is):
//   key_scores:      s[h][i] = q_h · K[cells[i]]
//   weighted_values: out_h   = Σ_i p[h][i] · V[cells[i]]
// f16 follows llama.cpp's summation orders bit for bit (the references are
// kernels/float_dot.h's dot_f16_ordered and f16_weighted_cells; the SIMD versions here
// must equal them, and the scalar CPU level uses the references themselves).
#include <cstdint>
#include <vector>

#include "quant/tensor_type.h"

namespace edgelm {

// Rows of one KV head: cell c's row at base + c · row_bytes.
struct KvRows {
  TensorType type = TensorType::F16;
  const uint8_t* base = nullptr;
  uint64_t row_bytes = 0;
  const uint8_t* row(uint32_t cell) const { return base + cell * row_bytes; }
};

// Queries converted once to what the key type multiplies: f16 or bf16 values (kept as
// the f32 they equal), or q8_0 blocks with their block sums.
struct PreparedQueries {
  TensorType key_type = TensorType::F16;
  int n = 0;
  int64_t head_dim = 0;
  std::vector<uint16_t> halves;  // f16 keys: [n][head_dim] f16 bits
  std::vector<float> values;     // f16/bf16 keys: [n][head_dim] the rounded values
  std::vector<uint8_t> blocks;   // quantized keys: [n][q8_0 row]
  std::vector<int32_t> sums;     // quantized keys: [n][head_dim / 32]
  std::vector<float> scales;     // quantized keys: [n][head_dim / 32], the blocks' d as f32
  uint64_t block_row_bytes = 0;
};

// q: n rows of head_dim floats.
void prepare_queries(TensorType key_type, const float* q, int n, int64_t head_dim, PreparedQueries& out);

// scores[h * count + i] = q_h · K[cells[i]] for h < q.n. Cells ascending.
void key_scores(const KvRows& keys, const uint32_t* cells, uint32_t count, const PreparedQueries& q, float* scores,
                std::vector<float>& scratch);

// out[h * head_dim + k] = Σ_i p[h * count + i] · V[cells[i]][k] for h < n_q. Cells
// ascending; `span` is llama.cpp's n_kv for the layer (the f16 summation lanes).
void weighted_values(const KvRows& values, const uint32_t* cells, uint32_t count, const float* p, int n_q,
                     uint32_t span, int64_t head_dim, float* out, std::vector<float>& scratch);

}  // namespace edgelm
