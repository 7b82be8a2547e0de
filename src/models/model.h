#pragma once
// The architecture-independent face of a loaded model: what the runtime (generation,
// benchmarks) and the CLI need, whatever the block looks like inside. Each
// architecture (models/<arch>/) derives from Model; open_model() picks one by the
// file's general.architecture.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_reader.h"
#include "runtime/kv_cache.h"

namespace edgelm {

class ThreadPool;

// Intermediate values of the last token of an eval() call, for diagnosing a mismatch
// layer by layer against a reference implementation (tests/reference).
struct ModelTrace {
  std::vector<float> embedding;                      // x entering layer 0            [d]
  std::vector<std::vector<float>> per_layer_input;   // Gemma 4's per-layer inputs    [L][P] (else empty)
  std::vector<std::vector<float>> layer_output;      // x after each layer            [L][d]
  std::vector<float> final_norm;                     // rms(x, output_norm)           [d]
};

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // general.architecture: "gemma4", "llama", "openelm".
  virtual std::string_view architecture() const = 0;
  // The mapped GGUF: vocabulary, chat template, tensors.
  const GgufFile& file() const { return file_; }
  virtual uint32_t n_vocab() const = 0;
  virtual uint32_t n_layers() const = 0;
  // The longest context the model was trained for (positions a cache may hold).
  virtual uint32_t context_length() const = 0;

  // Makes packed copies of the matrices the SIMD kernels read faster that way, and
  // releases their pages of the mapping (kernels/packed_weights.h). Call once after
  // opening (and after any prefetch, which would bring the pages back).
  virtual void pack_weights() = 0;

  // An empty cache for one sequence of up to n_ctx tokens processed in micro-batches
  // of at most n_ubatch tokens.
  virtual KvCache new_cache(uint32_t n_ctx, uint32_t n_ubatch) const = 0;

  // Bytes of scratch buffers a forward pass over `cache` needs for micro-batches of
  // n_ubatch tokens with `threads` threads, logits included (edgelm mem). The base
  // version counts the logits and the attention op's buffers only; architectures add
  // their own activations.
  virtual uint64_t scratch_bytes(const KvCache& cache, uint32_t n_ubatch, int threads) const;

  // Appends `tokens` at positions cache.n_past() onward, in micro-batches of at most
  // n_ubatch, and writes the last token's logits (n_vocab floats) to `logits`.
  // Throws edgelm::Error when the context would overflow or a token id is out of range.
  // With `trace`, also records the last token's intermediate values.
  void eval(KvCache& cache, std::span<const int32_t> tokens, uint32_t n_ubatch, ThreadPool& pool, float* logits,
            ModelTrace* trace = nullptr) const;

  // --- several sequences in one pass (the server's continuous batching) ---------------
  // One sequence's part of a batched step: `tokens` appended to its own cache at
  // positions cache->n_past() onward, at most cache->max_ubatch() of them.
  struct SequenceStep {
    KvCache* cache = nullptr;
    std::span<const int32_t> tokens;
    float* logits = nullptr;  // receives the last token's logits (null: not wanted)
  };
  // Throws edgelm::Error, as eval() would, when the step cannot be evaluated (empty, a
  // token id out of range, more tokens than a micro-batch or the context holds).
  void check_step(const SequenceStep& step) const;
  // Evaluates the steps of several sequences (distinct caches) in one forward pass:
  // every weight matrix is read once for all their rows, and each token attends over
  // its own sequence's cache at its own position. Each sequence gets what eval() would
  // give it, up to the summation order of the multi-row matrix products (bit-identical
  // for the integer-dot quantized types). Checks every step first (check_step), so a
  // throw for bad input leaves every cache as it was.
  void eval_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const;

  // --- image input (spec vision.md §6) ----------------------------------------------
  // Width of the embedding rows the model reads in place of tokens (an image's, from a
  // vision encoder); 0 when the architecture takes none.
  virtual uint32_t embedding_width() const { return 0; }
  // Whether the model reads an image's rows both ways in its sliding-window layers
  // (then a whole image must be one micro-batch).
  virtual bool images_bidirectional() const { return false; }
  // Appends rows of embedding_width() values at positions cache.n_past() onward, like
  // eval() appends tokens; `bidirectional_sliding` as images_bidirectional() says for
  // images (it needs every row in one micro-batch). Throws edgelm::Error when the model
  // takes no embedding rows, the rows do not fit or the context would overflow.
  void eval_embeddings(KvCache& cache, std::span<const float> rows, uint32_t n_ubatch, ThreadPool& pool,
                       float* logits, bool bidirectional_sliding) const;

 protected:
  explicit Model(GgufFile file) : file_(std::move(file)) {}

  // One micro-batch of n tokens (already checked) at positions cache.n_past() onward;
  // advances the cache. `logits` (null: not wanted) receives the last token's logits.
  virtual void forward(KvCache& cache, const int32_t* tokens, int64_t n, ThreadPool& pool, float* logits,
                       ModelTrace* trace) const = 0;
  // The steps of several sequences (already checked) in one pass. This version runs
  // them one after another; architectures override it with a batched pass.
  virtual void forward_batch(std::span<const SequenceStep> steps, ThreadPool& pool) const;
  // The same for n embedding rows (architectures with embedding_width() > 0).
  virtual void forward_embeddings(KvCache& cache, const float* rows, int64_t n, bool bidirectional_sliding,
                                  ThreadPool& pool, float* logits) const;

 private:
  void check_room(const KvCache& cache, size_t n, uint32_t n_ubatch) const;

  GgufFile file_;
};

// Opens a GGUF and loads it as the architecture general.architecture names; throws
// edgelm::Error naming the file and architecture when edgelm does not run it.
std::unique_ptr<Model> open_model(const std::string& path);

}  // namespace edgelm
