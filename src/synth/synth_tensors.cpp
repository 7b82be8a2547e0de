#include "synth/synth_tensors.h"

#include <algorithm>
#include <cmath>

#include "gguf/gguf_writer.h"
#include "quant/quantize.h"
#include "synth/rng.h"
#include "util/parallel.h"

namespace edgelm {
namespace {

// Fills `rows` rows of a tensor starting at `first_row` as f32.
void fill_rows(const PlannedTensor& t, uint64_t stream, int64_t first_row, int64_t rows, float* out) {
  const int64_t n = t.dims[0];
  switch (t.fill) {
    case Fill::kUniform:
      fill_uniform(stream, static_cast<uint64_t>(first_row * n), out, static_cast<uint64_t>(rows * n),
                   t.std * std::sqrt(3.0f));
      return;
    case Fill::kNorm:
      fill_uniform(stream, 0, out, static_cast<uint64_t>(n), 0.1f);
      for (int64_t i = 0; i < n; ++i) out[i] = t.std * (1.0f + out[i]);
      return;
    case Fill::kRopeFreqs:
      for (int64_t i = 0; i < n; ++i) out[i] = i < n / 4 ? 1.0f : 1e30f;
      return;
    case Fill::kScalar:
      out[0] = 0.6f + 0.4f * uniform01(stream, 0);
      return;
    case Fill::kConstant:
      std::fill(out, out + rows * n, t.std);
      return;
  }
}

}  // namespace

void write_planned_tensors(GgufWriter& w, const std::vector<PlannedTensor>& plan, uint64_t seed, int threads,
                           const std::function<void(uint64_t, uint64_t)>& progress) {
  uint64_t total = 0;
  for (const auto& t : plan) {
    w.add_tensor(t.name, t.type, t.dims);
    uint64_t n = 1;
    for (int64_t dim : t.dims) n *= static_cast<uint64_t>(dim);
    total += n / type_traits(t.type).block_size * type_traits(t.type).type_size;
  }
  w.write_header();

  uint64_t done = 0;
  threads = std::max(threads, 1);
  for (const auto& t : plan) {
    const uint64_t stream = stream_id(seed, t.name);
    const int64_t n = t.dims[0];
    int64_t rows = 1;
    for (size_t k = 1; k < t.dims.size(); ++k) rows *= t.dims[k];
    const uint64_t row_bytes_out = row_bytes(t.type, static_cast<uint64_t>(n));
    const int64_t rows_per_chunk = std::max<int64_t>(1, (1 << 20) / n);
    const int64_t n_chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
    const int64_t wave = 4 * threads;  // chunks prepared per round
    std::vector<std::vector<uint8_t>> buffers(static_cast<size_t>(wave));
    for (int64_t c0 = 0; c0 < n_chunks; c0 += wave) {
      const int64_t count = std::min(wave, n_chunks - c0);
      parallel_for(static_cast<size_t>(count), threads, [&](size_t k) {
        const int64_t first = (c0 + static_cast<int64_t>(k)) * rows_per_chunk;
        const int64_t nr = std::min(rows_per_chunk, rows - first);
        std::vector<float> f32(static_cast<size_t>(nr * n));
        fill_rows(t, stream, first, nr, f32.data());
        auto& buf = buffers[k];
        buf.resize(static_cast<size_t>(nr) * row_bytes_out);
        for (int64_t r = 0; r < nr; ++r) {
          quantize_row(t.type, f32.data() + r * n, buf.data() + r * row_bytes_out, n);
        }
      });
      for (int64_t k = 0; k < count; ++k) {
        w.write_tensor_data(buffers[k].data(), buffers[k].size());
        done += buffers[k].size();
      }
      if (progress) progress(done, total);
    }
  }
}

}  // namespace edgelm
