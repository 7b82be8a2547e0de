#pragma once
// What every synthetic GGUF shares, whatever its architecture: the tensor plan (names,
// shapes, types after llama-quantize-like rules and --tensor-type overrides, how each
// is filled) and the writer that fills it from the seed, with a real vocabulary.
#include <cstdint>
#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "quant/tensor_type.h"
#include "synth/synth_options.h"

namespace edgelm {

class GgufFile;
class GgufWriter;

// The tensor type a synthetic (or quantized) file uses for one weight, given the
// requested file type: embedding tables get Q6_K in 4-bit files, Q4_K files use Q6_K
// for attn_v/ffn_down on the "more bits" layers (as Q4_K_M does), and rows whose
// length is not a multiple of the block size fall back to Q8_0, then F16.
TensorType synth_weight_type(TensorType requested, const std::string& tensor_name, int layer, uint32_t n_layers,
                             int64_t row_length);

// llama.cpp's general.file_type number for a requested type (e.g. q4_k -> Q4_K_M = 15).
uint32_t llama_file_type(TensorType requested);

enum class Fill {
  kUniform,  // U(-a, a) with a = std * sqrt(3)
  kNorm,     // norm weight: `std` * (1 + U(-0.1, 0.1))
  kValues,   // the given values
  kScalar,   // one value in [0.6, 1.0)
};

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> dims;  // ggml order
  TensorType type;
  Fill fill;
  float std;                  // spread of the values (meaning depends on fill)
  std::vector<float> values;  // kValues
};

// Collects a model's tensors in file order.
class TensorPlan {
 public:
  // Compiles the options' --tensor-type overrides (errors name a bad pattern).
  TensorPlan(const SynthOptions& options, uint32_t n_layers);

  // A weight matrix (dims[0] = row length) of `layer` (-1: not in a layer).
  void weight(std::string name, std::vector<int64_t> dims, int layer, float std);
  // A norm weight vector [n], f32, around `scale`.
  void norm(std::string name, int64_t n, float scale = 1.0f);
  // An f32 vector of given values (e.g. RoPE frequency factors).
  void values(std::string name, std::vector<float> values);
  // A one-element f32 tensor in [0.6, 1.0).
  void scalar(std::string name);

  const std::vector<PlannedTensor>& tensors() const { return tensors_; }

 private:
  TensorType quant_;
  uint32_t n_layers_;
  std::vector<std::pair<std::regex, TensorType>> overrides_;
  std::vector<PlannedTensor> tensors_;
};

// The vocabulary file's token count (it must hold tokenizer.ggml.tokens).
uint32_t synth_vocab_size(const GgufFile& vocab);

// What a synthetic file says about itself beyond its tensors.
struct SynthFileInfo {
  std::string arch;                                // general.architecture
  std::function<void(GgufWriter&)> write_hparams;  // the <arch>.* keys
  std::string chat_template;                       // written when the vocab has none (empty: none)
};

// Declares the planned tensors, writes the header and fills them from `seed` (rows
// generated and quantized in chunks on `threads`; identical output whatever the thread
// count). `progress` (may be empty) gets (bytes written, bytes total).
void write_planned_tensors(GgufWriter& writer, const std::vector<PlannedTensor>& plan, uint64_t seed, int threads,
                           const std::function<void(uint64_t, uint64_t)>& progress);

// Writes general.*, the hyper-parameters, the vocabulary's tokenizer.* keys and the
// planned tensors, filled from options.seed (rows generated and quantized in chunks
// on options.threads; identical output whatever the thread count).
SynthReport write_synthetic_gguf(const SynthOptions& options, const GgufFile& vocab, const SynthFileInfo& info,
                                 const std::vector<PlannedTensor>& plan);

}  // namespace edgelm
