#pragma once
// Steps that transformer blocks are built from, each over the n tokens of one
// micro-batch (activations row-major: [n, width]). Architectures compose them into
// their own forward pass (models/<arch>/); the arithmetic follows llama.cpp's CPU
// backend (kernels/) so that parity with it holds.
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/matmul.h"
#include "runtime/kv_cache.h"

namespace edgelm {

class ThreadPool;
struct AttentionShape;
struct ModelTrace;

// x = table[id] for each token (the embedding rows, dequantized)        [n, d]
std::vector<float> embed_tokens(const WeightMatrix& table, const int32_t* tokens, int64_t n);

// out[r] = rms_norm(x[r]) * w for n_rows rows of `width` (w: [width], or empty for
// no weight). `out` may alias `x`. Per token with width d, per head with width hd.
void rms_norm_rows(const float* x, std::span<const float> w, int64_t n_rows, int64_t width, float eps, float* out);

// Which elements RoPE rotates together: "normal" (adjacent pairs (2j, 2j+1), the
// order Llama GGUFs are converted to) or NeoX (j and j + n_dims/2).
enum class RopePairing { kNormal, kNeox };

// cos/sin of every rotated pair for the positions p0 .. p0+n-1 of a micro-batch.
class RopeTables {
 public:
  // θ_j = p · base^(-2j/n_dims) / freq_factors[j] (freq_factors empty: all 1).
  RopeTables(uint32_t p0, int64_t n, int n_dims, float base, std::span<const float> freq_factors);
  // Rotates the first n_dims values of each head of `heads` ([n, n_heads, head_dim]).
  void apply(RopePairing pairing, float* heads, int64_t n_heads, int64_t head_dim) const;

 private:
  int64_t n_;
  int n_dims_;
  std::vector<float> cos_, sin_;  // [n, n_dims / 2]
};

// Writes the micro-batch's keys and values ([n, n_kv, head_dim] each) into the cache
// at positions p0 .. p0+n-1 of `layer`.
void store_kv(KvCache& cache, uint32_t layer, uint32_t p0, int64_t n, int64_t n_kv, int64_t head_dim, const float* k,
              const float* v);

// A cache for models whose every layer owns a full-context KV cache.
KvCache full_attention_cache(std::span<const uint32_t> n_head_kv, uint32_t head_dim, uint32_t n_ctx, uint32_t n_ubatch);

// x += W·in for n rows (W: [in width, x width]).
void add_matmul(const WeightMatrix& w, const float* in, int64_t n, ThreadPool& pool, float* x);

// x += attn_output · attention(q) over `layer`'s cache (runtime/attention.h), for the
// micro-batch's n query rows q [n, H, hd] at positions p0 onward.        x: [n, d]
void add_attention(const float* q, int64_t n, uint32_t p0, const AttentionShape& shape, const KvCache& cache,
                   uint32_t layer, const WeightMatrix& attn_output, ThreadPool& pool, float* x);

// The rows of x that go on through the rest of a layer. After the last layer's
// attention llama.cpp keeps only the rows whose logits are wanted (the last token's,
// or none); this changes which kernels run (one row: the vector order), so it is
// followed here too. Elsewhere: all n rows.
struct ActiveRows {
  float* x;
  int64_t n;
};
ActiveRows rows_after_attention(bool last_layer, bool want_logits, std::vector<float>& x, int64_t n, int64_t d);

// A gated feed-forward network: down · (act(gate · h) ⊙ up · h).
struct GatedFfnWeights {
  WeightMatrix gate, up;  // [d, F]
  WeightMatrix down;      // [F, d]
};
enum class FfnActivation { kSilu, kGelu };  // SwiGLU (Llama, OpenELM), GeGLU (Gemma)
// x += ffn(h) for n rows.
void add_gated_ffn(const GatedFfnWeights& w, FfnActivation act, const float* h, int64_t n, ThreadPool& pool, float* x);

// logits = output · rms(x_last, output_norm)  [V]; records the norm in `trace`.
void final_logits(const float* x_last, std::span<const float> output_norm, float eps, const WeightMatrix& output,
                  ThreadPool& pool, float* logits, ModelTrace* trace);

}  // namespace edgelm
