#include "models/gemma4v/gemma4v_encoder.h"

#include <algorithm>
#include <cmath>

#include "kernels/float_dot.h"
#include "kernels/interleaved_dot.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "quant/dequantize.h"
#include "runtime/thread_pool.h"
#include "util/error.h"

namespace edgelm {
namespace {

// y = clamp_out(W · clamp_in(x)) for n rows (Gemma4ClippableLinear).
void project(const ClampedMatrix& m, const float* x, int64_t n, float* y, ThreadPool& pool) {
  std::vector<float> clamped;
  if (m.clamps_input()) {
    clamped.assign(x, x + n * m.w.cols);
    for (float& v : clamped) v = std::max(std::min(v, m.in_max), m.in_min);
    x = clamped.data();
  }
  matmul(m.w, x, n, y, pool);
  if (m.clamps_output()) {
    for (int64_t i = 0; i < n * m.w.rows; ++i) y[i] = std::max(std::min(y[i], m.out_max), m.out_min);
  }
}

std::vector<float> projected(const ClampedMatrix& m, const float* x, int64_t n, ThreadPool& pool) {
  std::vector<float> y(static_cast<size_t>(n * m.w.rows));
  project(m, x, n, y.data(), pool);
  return y;
}

// Rows [first, first + count) of a table as f32.
std::vector<float> table_rows(const WeightMatrix& t, int64_t first, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count * t.cols));
  for (int64_t r = 0; r < count; ++r) {
    dequantize_row(t.type, t.data + static_cast<uint64_t>(first + r) * t.row_bytes, out.data() + r * t.cols, t.cols);
  }
  return out;
}

// Self-attention of every patch over every patch, head by head, as llama.cpp's
// non-flash path computes it in f32: scores q·k in ggml_vec_dot_f32's order (its
// permuted operands are not contiguous), softmax with scale 1, then p·V as the matrix
// product of all queries (whose order depends on the patch count). Keys are stored
// transposed and values as they are, so each query's dots run across keys / value
// dims in SIMD lanes (kernels/interleaved_dot.h).
void attention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v, int64_t n,
               int64_t n_head, int64_t hd, ThreadPool& pool, float* out) {
  const int64_t A = n_head * hd;
  // Per head: keys transposed [hd][n], values [n][hd].
  std::vector<float> keys_t(static_cast<size_t>(n * A)), values(static_cast<size_t>(n * A));
  pool.parallel_ranges(n_head, [&](int64_t h0, int64_t h1) {
    for (int64_t h = h0; h < h1; ++h) {
      float* kt = keys_t.data() + h * hd * n;
      float* vh = values.data() + h * n * hd;
      for (int64_t t = 0; t < n; ++t) {
        const float* ks = k.data() + t * A + h * hd;
        for (int64_t e = 0; e < hd; ++e) kt[e * n + t] = ks[e];
        std::copy(v.data() + t * A + h * hd, v.data() + t * A + (h + 1) * hd, vh + t * hd);
      }
    }
  });
  const FloatDotOrder pv_order = float_dot_order(n, n);
  constexpr int64_t kChunk = 16;  // queries per job
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  pool.parallel_chunks(n_head * chunks, 1, [&](int64_t b, int64_t e) {
    std::vector<float> scores(static_cast<size_t>(n));
    for (int64_t job = b; job < e; ++job) {
      const int64_t h = job / chunks, t0 = (job % chunks) * kChunk, t1 = std::min(n, t0 + kChunk);
      const float* kt = keys_t.data() + h * hd * n;
      const float* vh = values.data() + h * n * hd;
      for (int64_t t = t0; t < t1; ++t) {
        dot_f32_interleaved(FloatDotOrder::kVector, kt, n, n, q.data() + t * A + h * hd, hd, scores.data());
        softmax(scores.data(), n);
        dot_f32_interleaved(pv_order, vh, hd, hd, scores.data(), n, out + t * A + h * hd);
      }
    }
  });
}

}  // namespace

std::unique_ptr<Gemma4vEncoder> Gemma4vEncoder::open(const std::string& path) { return open(GgufFile::open(path)); }

std::unique_ptr<Gemma4vEncoder> Gemma4vEncoder::open(GgufFile file) {
  Gemma4vConfig config = Gemma4vConfig::from_gguf(file);
  return std::unique_ptr<Gemma4vEncoder>(new Gemma4vEncoder(std::move(file), config));
}

Gemma4vEncoder::Gemma4vEncoder(GgufFile file, Gemma4vConfig config)
    : file_(std::move(file)), config_(config), weights_(Gemma4vWeights::load(file_, config_)) {}

std::vector<float> Gemma4vEncoder::encode(const VisionInput& in, ThreadPool& pool, Gemma4vTrace* trace) const {
  const Gemma4vConfig& c = config_;
  const Gemma4vWeights& w = weights_;
  const int P = static_cast<int>(c.patch_size), K = static_cast<int>(c.pool_kernel);
  const int side = P * K;
  if (in.width <= 0 || in.height <= 0 || in.width % side != 0 || in.height % side != 0 ||
      in.planar.size() != static_cast<size_t>(in.width) * in.height * 3) {
    fail("vision input of {}x{} pixels is not a preprocessed image (sides must be multiples of {})", in.width,
         in.height, side);
  }
  const int gx = in.width / P, gy = in.height / P;
  if (static_cast<uint32_t>(std::max(gx, gy)) > w.n_positions) {
    fail("image of {}x{} patches exceeds the encoder's position table of {} per side", gx, gy, w.n_positions);
  }
  const int64_t n = static_cast<int64_t>(gx) * gy;
  const int64_t D = c.width, H = c.n_head, hd = c.head_dim, A = H * hd;
  const float eps = c.eps;
  if (trace) *trace = Gemma4vTrace{};

  // 1. Patches in the convolution kernel's input order (channel, row, column), each
  //    pixel mapped x -> 2x - 1; the P×P stride-P convolution is then one matmul.
  std::vector<float> x(static_cast<size_t>(n * D));
  {
    const int64_t patch_len = static_cast<int64_t>(P) * P * 3;
    std::vector<float> patches(static_cast<size_t>(n * patch_len));
    for (int py = 0; py < gy; ++py) {
      for (int px = 0; px < gx; ++px) {
        float* dst = patches.data() + (static_cast<int64_t>(py) * gx + px) * patch_len;
        for (int ch = 0; ch < 3; ++ch) {
          for (int ky = 0; ky < P; ++ky) {
            const float* src = in.channel(ch) + static_cast<size_t>(py * P + ky) * in.width + px * P;
            for (int kx = 0; kx < P; ++kx) *dst++ = src[kx] * 2.0f - 1.0f;
          }
        }
      }
    }
    matmul(w.patch_embd, patches.data(), n, x.data(), pool);
  }
  // 2. x += pos_x[column]; x += pos_y[row] (two tables of the same tensor).
  {
    const std::vector<float> by_col = table_rows(w.position_embd, 0, gx);
    const std::vector<float> by_row = table_rows(w.position_embd, w.n_positions, gy);
    for (int64_t t = 0; t < n; ++t) {
      float* xt = x.data() + t * D;
      const float* ex = by_col.data() + (t % gx) * D;
      const float* ey = by_row.data() + (t / gx) * D;
      for (int64_t i = 0; i < D; ++i) xt[i] += ex[i];
      for (int64_t i = 0; i < D; ++i) xt[i] += ey[i];
    }
  }
  if (trace) trace->patch_embeddings = x;

  // 2-D RoPE tables: the first half of each head turns with the column, the second
  // half with the row (NeoX pairs within each half).
  const int rot = static_cast<int>(hd / 2), half_pairs = rot / 2;
  std::vector<float> cos_col(static_cast<size_t>(gx * half_pairs)), sin_col(cos_col.size());
  std::vector<float> cos_row(static_cast<size_t>(gy * half_pairs)), sin_row(cos_row.size());
  for (int i = 0; i < gx; ++i) rope_tables(i, rot, c.rope_base, nullptr, &cos_col[i * half_pairs], &sin_col[i * half_pairs]);
  for (int i = 0; i < gy; ++i) rope_tables(i, rot, c.rope_base, nullptr, &cos_row[i * half_pairs], &sin_row[i * half_pairs]);

  // 3. Transformer blocks.
  std::vector<float> h(static_cast<size_t>(n * D)), attn(static_cast<size_t>(n * A));
  for (const Gemma4vBlockWeights& b : w.blocks) {
    for (int64_t t = 0; t < n; ++t) rms_norm(x.data() + t * D, b.ln1.data(), D, eps, h.data() + t * D);
    std::vector<float> q = projected(b.attn_q, h.data(), n, pool);
    std::vector<float> k = projected(b.attn_k, h.data(), n, pool);
    std::vector<float> v = projected(b.attn_v, h.data(), n, pool);
    pool.parallel_ranges(n, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t col = t % gx, row = t / gx;
        for (int64_t i = 0; i < H; ++i) {
          float* qi = q.data() + t * A + i * hd;
          float* ki = k.data() + t * A + i * hd;
          float* vi = v.data() + t * A + i * hd;
          rms_norm(qi, b.attn_q_norm.data(), hd, eps, qi);
          rms_norm(ki, b.attn_k_norm.data(), hd, eps, ki);
          rms_norm(vi, nullptr, hd, eps, vi);
          for (float* r : {qi, ki}) {
            rope_neox_apply(r, rot, &cos_col[col * half_pairs], &sin_col[col * half_pairs]);
            rope_neox_apply(r + rot, rot, &cos_row[row * half_pairs], &sin_row[row * half_pairs]);
          }
        }
      }
    });
    attention(q, k, v, n, H, hd, pool, attn.data());
    project(b.attn_out, attn.data(), n, h.data(), pool);
    for (int64_t t = 0; t < n; ++t) {
      float* r = h.data() + t * D;
      rms_norm(r, b.attn_post_norm.data(), D, eps, r);
      for (int64_t i = 0; i < D; ++i) x[t * D + i] += r[i];
    }
    for (int64_t t = 0; t < n; ++t) rms_norm(x.data() + t * D, b.ln2.data(), D, eps, h.data() + t * D);
    std::vector<float> gate = projected(b.ffn_gate, h.data(), n, pool);
    const std::vector<float> up = projected(b.ffn_up, h.data(), n, pool);
    geglu(gate.data(), up.data(), static_cast<int64_t>(gate.size()), gate.data());
    project(b.ffn_down, gate.data(), n, h.data(), pool);
    for (int64_t t = 0; t < n; ++t) {
      float* r = h.data() + t * D;
      rms_norm(r, b.ffn_post_norm.data(), D, eps, r);
      for (int64_t i = 0; i < D; ++i) x[t * D + i] += r[i];
    }
    if (!b.out_scale.empty()) {
      const bool per_channel = b.out_scale.size() > 1;
      for (int64_t t = 0; t < n; ++t) {
        for (int64_t i = 0; i < D; ++i) x[t * D + i] *= b.out_scale[per_channel ? i : 0];
      }
    }
    if (trace) trace->block_outputs.push_back(x);
  }

  // 4. Average over K×K neighbourhoods, times sqrt(D); optional standardisation.
  const int ox = gx / K, oy = gy / K;
  const int64_t n_tokens = static_cast<int64_t>(ox) * oy;
  std::vector<float> pooled(static_cast<size_t>(n_tokens * D));
  const float area = static_cast<float>(K * K), scale = std::sqrt(static_cast<float>(D));
  for (int ty = 0; ty < oy; ++ty) {
    for (int tx = 0; tx < ox; ++tx) {
      float* out = pooled.data() + (static_cast<int64_t>(ty) * ox + tx) * D;
      for (int64_t e = 0; e < D; ++e) {
        float sum = 0.0f;
        for (int ky = 0; ky < K; ++ky) {
          for (int kx = 0; kx < K; ++kx) sum += x[(static_cast<int64_t>(ty * K + ky) * gx + tx * K + kx) * D + e];
        }
        out[e] = sum / area * scale;
      }
    }
  }
  if (!w.std_bias.empty()) {
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t e = 0; e < D; ++e) pooled[t * D + e] = (pooled[t * D + e] - w.std_bias[e]) * w.std_scale[e];
    }
  }
  if (trace) trace->pooled = pooled;

  // 5. RMS norm without weight, then the projection into the text model's space.
  for (int64_t t = 0; t < n_tokens; ++t) rms_norm(pooled.data() + t * D, nullptr, D, eps, pooled.data() + t * D);
  return projected(w.input_projection, pooled.data(), n_tokens, pool);
}

}  // namespace edgelm
