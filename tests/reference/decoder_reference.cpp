#include "reference/decoder_reference.h"

#include <fmt/format.h>

#include <cmath>

#include "quant/dequantize.h"
#include "util/error.h"

namespace edgelm::reference {

namespace {

std::vector<float> dequantized(const GgufFile& f, const std::string& name) {
  const TensorInfo& t = f.tensor(name);
  std::vector<float> out(t.n_elements);
  dequantize_row(t.type, t.data, out.data(), static_cast<int64_t>(t.n_elements));
  return out;
}

}  // namespace

DecoderReference::DecoderReference(const GgufFile& f) {
  openelm_ = f.architecture() == "openelm";
  config_ = DecoderConfig::from_gguf(f, openelm_ ? "openelm" : "llama");
  const DecoderConfig& c = config_;
  const int d = static_cast<int>(c.d_model), hd = static_cast<int>(c.head_dim);
  auto matrix = [&](const std::string& name, int n_in, int n_out) {
    Matrix m{n_in, n_out, dequantized(f, name)};
    if (m.w.size() != static_cast<size_t>(n_in) * n_out) fail("reference: tensor '{}' has the wrong size", name);
    return m;
  };
  token_embd_ = matrix("token_embd.weight", d, static_cast<int>(c.n_vocab));
  output_ = f.find_tensor("output.weight") && !openelm_ ? matrix("output.weight", d, static_cast<int>(c.n_vocab))
                                                         : token_embd_;
  output_norm_ = dequantized(f, "output_norm.weight");
  if (f.find_tensor("rope_freqs.weight")) rope_freqs_ = dequantized(f, "rope_freqs.weight");
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const std::string b = fmt::format("blk.{}.", l);
    const int H = static_cast<int>(c.n_head[l]), KV = static_cast<int>(c.n_head_kv[l]), F = static_cast<int>(c.n_ff[l]);
    Layer L;
    L.attn_norm = dequantized(f, b + "attn_norm.weight");
    if (openelm_) {
      // The fused projection's rows: H query heads, then KV key heads, then KV value heads.
      const Matrix qkv = matrix(b + "attn_qkv.weight", d, (H + 2 * KV) * hd);
      auto rows = [&](int first, int count) {
        Matrix m{d, count, {}};
        m.w.assign(qkv.w.begin() + static_cast<ptrdiff_t>(first) * d,
                   qkv.w.begin() + static_cast<ptrdiff_t>(first + count) * d);
        return m;
      };
      L.attn_q = rows(0, H * hd);
      L.attn_k = rows(H * hd, KV * hd);
      L.attn_v = rows((H + KV) * hd, KV * hd);
      L.attn_q_norm = dequantized(f, b + "attn_q_norm.weight");
      L.attn_k_norm = dequantized(f, b + "attn_k_norm.weight");
    } else {
      L.attn_q = matrix(b + "attn_q.weight", d, H * hd);
      L.attn_k = matrix(b + "attn_k.weight", d, KV * hd);
      L.attn_v = matrix(b + "attn_v.weight", d, KV * hd);
    }
    L.attn_output = matrix(b + "attn_output.weight", H * hd, d);
    L.ffn_norm = dequantized(f, b + "ffn_norm.weight");
    L.ffn_gate = matrix(b + "ffn_gate.weight", d, F);
    L.ffn_up = matrix(b + "ffn_up.weight", d, F);
    L.ffn_down = matrix(b + "ffn_down.weight", F, d);
    layers_.push_back(std::move(L));
  }
}

void DecoderReference::matvec(const Matrix& m, const float* x, float* y) {
  for (int r = 0; r < m.n_out; ++r) {
    double s = 0;
    for (int i = 0; i < m.n_in; ++i) s += static_cast<double>(m.w[static_cast<size_t>(r) * m.n_in + i]) * x[i];
    y[r] = static_cast<float>(s);
  }
}

void DecoderReference::rope_normal(float* v, int n_dims, int pos, float base, const float* freq_factors) {
  for (int j = 0; j < n_dims / 2; ++j) {
    const double f = freq_factors ? freq_factors[j] : 1.0;
    const double theta = pos * std::pow(static_cast<double>(base), -2.0 * j / n_dims) / f;
    const double x0 = v[2 * j], x1 = v[2 * j + 1];
    v[2 * j] = static_cast<float>(x0 * std::cos(theta) - x1 * std::sin(theta));
    v[2 * j + 1] = static_cast<float>(x0 * std::sin(theta) + x1 * std::cos(theta));
  }
}

float DecoderReference::silu(float x) { return static_cast<float>(x / (1.0 + std::exp(-static_cast<double>(x)))); }

std::vector<std::vector<float>> DecoderReference::forward(const std::vector<int32_t>& tokens,
                                                          ReferenceTrace* trace) const {
  const DecoderConfig& c = config_;
  const int d = static_cast<int>(c.d_model), hd = static_cast<int>(c.head_dim), n = static_cast<int>(tokens.size());
  const int rot = static_cast<int>(c.rope_dims);
  const float* factors = rope_freqs_.empty() ? nullptr : rope_freqs_.data();
  // x[t] = token_embd[id]
  std::vector<std::vector<float>> x(n, std::vector<float>(d));
  for (int t = 0; t < n; ++t) {
    if (tokens[t] < 0 || static_cast<uint32_t>(tokens[t]) >= c.n_vocab) fail("reference: token {} out of range", tokens[t]);
    const float* row = token_embd_.w.data() + static_cast<size_t>(tokens[t]) * d;
    x[t].assign(row, row + d);
  }
  if (trace) {
    *trace = ReferenceTrace{};
    trace->embedding = x.back();
  }
  std::vector<float> h(d);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const Layer& L = layers_[l];
    const int H = static_cast<int>(c.n_head[l]), KV = static_cast<int>(c.n_head_kv[l]), F = static_cast<int>(c.n_ff[l]);
    // q, k, v of every position: normed per head (OpenELM), rotated.
    std::vector<std::vector<float>> q(n, std::vector<float>(H * hd)), k(n, std::vector<float>(KV * hd)),
        v(n, std::vector<float>(KV * hd));
    for (int t = 0; t < n; ++t) {
      Gemma4Reference::rms_norm(x[t].data(), L.attn_norm.data(), d, c.rms_eps, h.data());
      matvec(L.attn_q, h.data(), q[t].data());
      matvec(L.attn_k, h.data(), k[t].data());
      matvec(L.attn_v, h.data(), v[t].data());
      for (int i = 0; i < H; ++i) {
        float* qi = q[t].data() + i * hd;
        if (openelm_) {
          Gemma4Reference::rms_norm(qi, L.attn_q_norm.data(), hd, c.rms_eps, qi);
          Gemma4Reference::rope_neox(qi, rot, t, c.rope_base, nullptr);
        } else {
          rope_normal(qi, rot, t, c.rope_base, factors);
        }
      }
      for (int j = 0; j < KV; ++j) {
        float* kj = k[t].data() + j * hd;
        if (openelm_) {
          Gemma4Reference::rms_norm(kj, L.attn_k_norm.data(), hd, c.rms_eps, kj);
          Gemma4Reference::rope_neox(kj, rot, t, c.rope_base, nullptr);
        } else {
          rope_normal(kj, rot, t, c.rope_base, factors);
        }
      }
    }
    // Causal attention, query head i reading KV head i / (H / KV); scale 1/sqrt(hd).
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    std::vector<std::vector<float>> next = x;
    for (int p = 0; p < n; ++p) {
      std::vector<float> attn(H * hd);
      for (int i = 0; i < H; ++i) {
        const int j = i / (H / KV);
        std::vector<double> s(p + 1);
        double max = -INFINITY;
        for (int t = 0; t <= p; ++t) {
          double dot = 0;
          for (int e = 0; e < hd; ++e) dot += static_cast<double>(q[p][i * hd + e]) * k[t][j * hd + e];
          s[t] = dot * scale;
          max = std::max(max, s[t]);
        }
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - max));
        for (int e = 0; e < hd; ++e) {
          double o = 0;
          for (int t = 0; t <= p; ++t) o += s[t] / sum * v[t][j * hd + e];
          attn[i * hd + e] = static_cast<float>(o);
        }
      }
      // h = x + attn_output · attn;  x' = h + down(silu(gate · g) ⊙ up · g), g = rms(h, ffn_norm)
      std::vector<float> o(d), g(d), a(F), u(F), y(d);
      matvec(L.attn_output, attn.data(), o.data());
      for (int e = 0; e < d; ++e) next[p][e] = x[p][e] + o[e];
      Gemma4Reference::rms_norm(next[p].data(), L.ffn_norm.data(), d, c.rms_eps, g.data());
      matvec(L.ffn_gate, g.data(), a.data());
      matvec(L.ffn_up, g.data(), u.data());
      for (int e = 0; e < F; ++e) a[e] = silu(a[e]) * u[e];
      matvec(L.ffn_down, a.data(), y.data());
      for (int e = 0; e < d; ++e) next[p][e] += y[e];
    }
    x = std::move(next);
    if (trace) trace->layer_output.push_back(x.back());
  }
  std::vector<std::vector<float>> logits(n, std::vector<float>(c.n_vocab));
  for (int t = 0; t < n; ++t) {
    Gemma4Reference::rms_norm(x[t].data(), output_norm_.data(), d, c.rms_eps, h.data());
    if (trace && t == n - 1) trace->final_norm = h;
    matvec(output_, h.data(), logits[t].data());
  }
  return logits;
}

}  // namespace edgelm::reference
