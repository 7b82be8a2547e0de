#pragma once
// Steps that transformer blocks are built from, each over the n tokens of one
// micro-batch (activations row-major: [n, width]). Architectures compose them into
// their own forward pass (models/<arch>/); the arithmetic follows llama.cpp's CPU
// backend (kernels/) so that parity with it holds.
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/matmul.h"
#include "models/model.h"
#include "runtime/kv_cache.h"

namespace edgelm {

class ThreadPool;
struct AttentionShape;
struct ModelTrace;

// The rows of one forward pass: the steps of one or more sequences stacked in order
// (activations [n, width]), each at its own positions in its own KV cache (the server
// batches its slots' steps this way). Constructing it begins the micro-batch in every
// step's cache; end() finishes them.
class SequenceRows {
 public:
  explicit SequenceRows(std::span<const Model::SequenceStep> steps);
  // One sequence's `n_embedding_rows` rows given as embeddings (an image's) instead of
  // tokens; their token ids read as 0 (the padding token).
  SequenceRows(const Model::SequenceStep& step, int64_t n_embedding_rows);
  void end();

  int64_t n() const { return n_; }
  size_t n_sequences() const { return steps_.size(); }
  const Model::SequenceStep& step(size_t s) const { return steps_[s]; }
  int64_t first(size_t s) const { return first_[s]; }  // the sequence's rows: [first, first + count)
  int64_t count(size_t s) const { return count_[s]; }
  uint32_t p0(size_t s) const { return p0_[s]; }        // the position of its first row
  std::span<const uint32_t> positions() const { return positions_; }  // per row
  const int32_t* tokens() const { return tokens_.data(); }            // per row

 private:
  std::span<const Model::SequenceStep> steps_;
  void add(size_t s, int64_t count, const int32_t* tokens);

  std::vector<int64_t> first_, count_;
  std::vector<uint32_t> p0_, positions_;
  std::vector<int32_t> tokens_;
  int64_t n_ = 0;
};

// x = table[id] for each token (the embedding rows, dequantized)        [n, d]
std::vector<float> embed_tokens(const WeightMatrix& table, const int32_t* tokens, int64_t n);

// out[r] = rms_norm(x[r]) * w for n_rows rows of `width` (w: [width], or empty for
// no weight). `out` may alias `x`. Per token with width d, per head with width hd.
void rms_norm_rows(const float* x, std::span<const float> w, int64_t n_rows, int64_t width, float eps, float* out);

// Which elements RoPE rotates together: "normal" (adjacent pairs (2j, 2j+1), the
// order Llama GGUFs are converted to) or NeoX (j and j + n_dims/2).
enum class RopePairing { kNormal, kNeox };

// cos/sin of every rotated pair for the positions of a micro-batch's rows.
class RopeTables {
 public:
  // θ_j = p · base^(-2j/n_dims) / freq_factors[j] (freq_factors empty: all 1).
  RopeTables(std::span<const uint32_t> positions, int n_dims, float base, std::span<const float> freq_factors);
  // Rotates the first n_dims values of each head of `heads` ([n, n_heads, head_dim]).
  void apply(RopePairing pairing, float* heads, int64_t n_heads, int64_t head_dim) const;

 private:
  int64_t n_;
  int n_dims_;
  std::vector<float> cos_, sin_;  // [n, n_dims / 2]
};

// Writes the rows' keys and values ([n, n_kv, head_dim] each) into `layer` of each
// sequence's cache, at the cells the micro-batch was given (KvCache::begin_ubatch).
void store_kv(const SequenceRows& rows, uint32_t layer, int64_t n_kv, int64_t head_dim, const float* k,
              const float* v);

// A cache for models whose every layer owns a full-context KV cache.
KvCache full_attention_cache(std::span<const uint32_t> n_head_kv, uint32_t head_dim, uint32_t n_ctx, uint32_t n_ubatch);

// x += W·in for n rows (W: [in width, x width]).
void add_matmul(const WeightMatrix& w, const float* in, int64_t n, ThreadPool& pool, float* x);

// x += attn_output · attention(q) over `layer` of each sequence's cache
// (runtime/attention.h), for the query rows q [n, H, hd].                x: [n, d]
void add_attention(const float* q, const SequenceRows& rows, const AttentionShape& shape, uint32_t layer,
                   const WeightMatrix& attn_output, ThreadPool& pool, float* x);

// The rows of x that go on through the rest of a layer. After the last layer's
// attention llama.cpp keeps only the rows whose logits are wanted (each sequence's
// last token, for the sequences that want logits); this changes which kernels run (one
// row: the vector order), so it is followed here too. Those rows are moved to the front
// of x, in sequence order. Elsewhere: all n rows.
struct ActiveRows {
  float* x;
  int64_t n;
};
ActiveRows rows_after_attention(bool last_layer, const SequenceRows& rows, std::vector<float>& x, int64_t d);

// A gated feed-forward network: down · (act(gate · h) ⊙ up · h).
struct GatedFfnWeights {
  WeightMatrix gate, up;  // [d, F]
  WeightMatrix down;      // [F, d]
};
enum class FfnActivation { kSilu, kGelu };  // SwiGLU (Llama, OpenELM), GeGLU (Gemma)
// x += ffn(h) for n rows.
void add_gated_ffn(const GatedFfnWeights& w, FfnActivation act, const float* h, int64_t n, ThreadPool& pool, float* x);

// logits = output · rms(x_last, output_norm)  [V] for each sequence that wants them,
// its x_last being row i of `last` (rows_after_attention's order), in one pass over the
// output matrix; records the norm in `trace` (one sequence).
void final_logits(const float* last, const SequenceRows& rows, std::span<const float> output_norm, float eps,
                  const WeightMatrix& output, ThreadPool& pool, ModelTrace* trace);

}  // namespace edgelm
