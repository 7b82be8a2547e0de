#pragma once
// The shared part of the synthetic-file writers: a plan of tensors (name, shape, type,
// how to fill it) and writing it, generated and quantized in chunks on all threads so
// memory stays at a few chunks whatever the tensor size. Values are a pure function of
// (seed, tensor name, element index): same seed, same file, whatever the thread count.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "quant/tensor_type.h"

namespace edgelm {

class GgufWriter;

enum class Fill {
  kUniform,    // U(-a, a) with a = std * sqrt(3)
  kNorm,       // norm weight: `std` * (1 + U(-0.1, 0.1))
  kRopeFreqs,  // 1 for the first quarter of pairs, 1e30 (no rotation) for the rest
  kScalar,     // one value in [0.6, 1.0)
  kConstant,   // every value = `std`
};

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> dims;  // ggml order
  TensorType type;
  Fill fill;
  float std;                  // spread of the values (meaning depends on fill)
};

// Declares every tensor of the plan, writes the header and streams the data.
// `progress` (may be empty) is called with (bytes written, bytes total).
void write_planned_tensors(GgufWriter& writer, const std::vector<PlannedTensor>& plan, uint64_t seed, int threads,
                           const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace edgelm
