#include "reference/gemma4v_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "quant/dequantize.h"
#include "util/error.h"

namespace edgelm::reference {

Gemma4vReference::Vec Gemma4vReference::tensor(const std::string& name) const {
  const TensorInfo& t = file_.tensor(name);
  std::vector<float> f(t.n_elements);
  dequantize_row(t.type, t.data, f.data(), static_cast<int64_t>(t.n_elements));
  return Vec(f.begin(), f.end());
}

Gemma4vReference::Linear Gemma4vReference::linear(const std::string& stem) const {
  const TensorInfo& t = file_.tensor(stem + ".weight");
  Linear l;
  l.n_in = static_cast<int>(t.ne[0]);
  l.n_out = static_cast<int>(t.ne[1]);
  l.w = tensor(stem + ".weight");
  auto bound = [&](const char* suffix, double fallback) {
    const std::string n = stem + "." + suffix;
    return file_.find_tensor(n) ? tensor(n)[0] : fallback;
  };
  const double inf = std::numeric_limits<double>::infinity();
  l.in_lo = bound("input_min", -inf);
  l.in_hi = bound("input_max", inf);
  l.out_lo = bound("output_min", -inf);
  l.out_hi = bound("output_max", inf);
  return l;
}

Gemma4vReference::Vec Gemma4vReference::Linear::apply(const Vec& x) const {
  Vec y(static_cast<size_t>(n_out));
  for (int r = 0; r < n_out; ++r) {
    double s = 0.0;
    for (int c = 0; c < n_in; ++c) s += w[static_cast<size_t>(r) * n_in + c] * std::clamp(x[c], in_lo, in_hi);
    y[r] = std::clamp(s, out_lo, out_hi);
  }
  return y;
}

Gemma4vReference::Vec Gemma4vReference::rms(const Vec& x, const Vec* w, double eps) {
  double ss = 0.0;
  for (double v : x) ss += v * v;
  const double k = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * k * (w ? (*w)[i] : 1.0);
  return y;
}

Gemma4vReference::Gemma4vReference(const GgufFile& file) : file_(file), config_(Gemma4vConfig::from_gguf(file)) {
  patch_embd_ = tensor("v.patch_embd.weight");
  positions_ = tensor("v.position_embd.weight");
  n_positions_ = file.tensor("v.position_embd.weight").ne[1];
  if (file.find_tensor("v.std_bias")) {
    std_bias_ = tensor("v.std_bias");
    std_scale_ = tensor("v.std_scale");
  }
  for (uint32_t l = 0; l < config_.n_blocks; ++l) {
    const std::string p = "v.blk." + std::to_string(l) + ".";
    Block b;
    b.ln1 = tensor(p + "ln1.weight");
    b.ln2 = tensor(p + "ln2.weight");
    b.q_norm = tensor(p + "attn_q_norm.weight");
    b.k_norm = tensor(p + "attn_k_norm.weight");
    b.attn_post_norm = tensor(p + "attn_post_norm.weight");
    b.ffn_post_norm = tensor(p + "ffn_post_norm.weight");
    if (file.find_tensor(p + "out_scale.weight")) b.out_scale = tensor(p + "out_scale.weight");
    b.q = linear(p + "attn_q");
    b.k = linear(p + "attn_k");
    b.v = linear(p + "attn_v");
    b.o = linear(p + "attn_out");
    b.gate = linear(p + "ffn_gate");
    b.up = linear(p + "ffn_up");
    b.down = linear(p + "ffn_down");
    blocks_.push_back(std::move(b));
  }
  projection_ = linear("mm.input_projection");
}

std::vector<std::vector<double>> Gemma4vReference::encode(const std::vector<float>& planar, int width,
                                                          int height) const {
  const Gemma4vConfig& c = config_;
  const int P = static_cast<int>(c.patch_size), K = static_cast<int>(c.pool_kernel);
  const int D = static_cast<int>(c.width), H = static_cast<int>(c.n_head), hd = static_cast<int>(c.head_dim);
  const int cols = width / P, rows = height / P, n = cols * rows;
  const double eps = c.eps;
  auto pixel = [&](int ch, int y, int x) { return 2.0 * planar[(static_cast<size_t>(ch) * height + y) * width + x] - 1.0; };

  // 1-2. Patch convolution (no bias) + position tables by column and by row.
  std::vector<Vec> x(static_cast<size_t>(n), Vec(static_cast<size_t>(D)));
  for (int t = 0; t < n; ++t) {
    const int px = t % cols, py = t / cols;
    for (int d = 0; d < D; ++d) {
      double s = 0.0;
      for (int ch = 0; ch < 3; ++ch) {
        for (int ky = 0; ky < P; ++ky) {
          for (int kx = 0; kx < P; ++kx) {
            s += patch_embd_[((static_cast<size_t>(d) * 3 + ch) * P + ky) * P + kx] * pixel(ch, py * P + ky, px * P + kx);
          }
        }
      }
      s += positions_[(0 * static_cast<size_t>(n_positions_) + px) * D + d];
      s += positions_[(1 * static_cast<size_t>(n_positions_) + py) * D + d];
      x[t][d] = s;
    }
  }

  // 2-D RoPE on one head: dims [0, hd/2) by the column, [hd/2, hd) by the row; NeoX
  // pairs (j, j + hd/4) within each half, θ_j = pos · 100^(-2j/(hd/2)).
  auto rope = [&](double* v, int col, int row) {
    const int half = hd / 2;
    for (int part = 0; part < 2; ++part) {
      double* u = v + part * half;
      const int pos = part == 0 ? col : row;
      for (int j = 0; j < half / 2; ++j) {
        const double theta = pos * std::pow(static_cast<double>(c.rope_base), -2.0 * j / half);
        const double a = u[j], b = u[j + half / 2];
        u[j] = a * std::cos(theta) - b * std::sin(theta);
        u[j + half / 2] = a * std::sin(theta) + b * std::cos(theta);
      }
    }
  };

  // 3. Blocks.
  for (const Block& b : blocks_) {
    std::vector<Vec> q(n), k(n), v(n);
    for (int t = 0; t < n; ++t) {
      const Vec h = rms(x[t], &b.ln1, eps);
      q[t] = b.q.apply(h);
      k[t] = b.k.apply(h);
      v[t] = b.v.apply(h);
      for (int i = 0; i < H; ++i) {
        auto head_norm = [&](Vec& m, const Vec* w) {
          const Vec part(m.begin() + i * hd, m.begin() + (i + 1) * hd);
          const Vec normed = rms(part, w, eps);
          std::copy(normed.begin(), normed.end(), m.begin() + i * hd);
        };
        head_norm(q[t], &b.q_norm);
        head_norm(k[t], &b.k_norm);
        head_norm(v[t], nullptr);
        rope(q[t].data() + i * hd, t % cols, t / cols);
        rope(k[t].data() + i * hd, t % cols, t / cols);
      }
    }
    for (int t = 0; t < n; ++t) {
      Vec attn(static_cast<size_t>(H) * hd, 0.0);
      for (int i = 0; i < H; ++i) {
        Vec score(static_cast<size_t>(n));
        double max = -1e300;
        for (int j = 0; j < n; ++j) {
          double s = 0.0;
          for (int e = 0; e < hd; ++e) s += q[t][i * hd + e] * k[j][i * hd + e];  // scale 1.0
          score[j] = s;
          max = std::max(max, s);
        }
        double sum = 0.0;
        for (double& s : score) sum += (s = std::exp(s - max));
        for (int j = 0; j < n; ++j) {
          for (int e = 0; e < hd; ++e) attn[i * hd + e] += score[j] / sum * v[j][i * hd + e];
        }
      }
      const Vec o = rms(b.o.apply(attn), &b.attn_post_norm, eps);
      for (int d = 0; d < D; ++d) x[t][d] += o[d];
      const Vec h = rms(x[t], &b.ln2, eps);
      const Vec g = b.gate.apply(h), u = b.up.apply(h);
      Vec act(g.size());
      for (size_t e = 0; e < g.size(); ++e) {
        const double gelu = 0.5 * g[e] * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (g[e] + 0.044715 * g[e] * g[e] * g[e])));
        act[e] = gelu * u[e];
      }
      const Vec f = rms(b.down.apply(act), &b.ffn_post_norm, eps);
      for (int d = 0; d < D; ++d) {
        x[t][d] += f[d];
        if (!b.out_scale.empty()) x[t][d] *= b.out_scale[b.out_scale.size() == 1 ? 0 : d];
      }
    }
  }

  // 4-5. K×K average pooling, ×sqrt(D), standardisation, RMS norm, projection.
  const int ox = cols / K, oy = rows / K;
  std::vector<std::vector<double>> out;
  for (int ty = 0; ty < oy; ++ty) {
    for (int tx = 0; tx < ox; ++tx) {
      Vec p(static_cast<size_t>(D), 0.0);
      for (int ky = 0; ky < K; ++ky) {
        for (int kx = 0; kx < K; ++kx) {
          const Vec& src = x[static_cast<size_t>((ty * K + ky) * cols + tx * K + kx)];
          for (int d = 0; d < D; ++d) p[d] += src[d];
        }
      }
      for (int d = 0; d < D; ++d) {
        p[d] = p[d] / (K * K) * std::sqrt(static_cast<double>(D));
        if (!std_bias_.empty()) p[d] = (p[d] - std_bias_[d]) * std_scale_[d];
      }
      out.push_back(projection_.apply(rms(p, nullptr, eps)));
    }
  }
  return out;
}

}  // namespace edgelm::reference
