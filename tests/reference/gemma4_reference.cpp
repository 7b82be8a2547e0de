#include "reference/gemma4_reference.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "quant/dequantize.h"
#include "util/error.h"

namespace edgelm::reference {
namespace {

std::string layer_name(uint32_t l, const char* suffix) { return "blk." + std::to_string(l) + "." + suffix + ".weight"; }

double dot(const float* a, const float* b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

// Every element of a tensor as f32, row by row.
std::vector<float> dequantize_all(const TensorInfo& t) {
  std::vector<float> out(static_cast<size_t>(t.n_elements));
  const int64_t rows = t.n_rows();
  const uint64_t rb = t.row_bytes();
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_row(t.type, t.data + static_cast<uint64_t>(r) * rb, out.data() + r * t.ne[0], t.ne[0]);
  }
  return out;
}

std::string shape_of(std::initializer_list<int64_t> dims) {
  std::string s = "[";
  for (int64_t v : dims) s += (s.size() > 1 ? ", " : "") + std::to_string(v);
  return s + "]";
}

// Checks a tensor has exactly the given ggml shape (trailing dims of 1 allowed).
void check_shape(const GgufFile& f, const TensorInfo& t, std::initializer_list<int64_t> dims) {
  bool ok = t.n_dims >= 1 && t.n_dims <= dims.size();
  size_t k = 0;
  for (int64_t v : dims) ok = ok && t.ne[k++] == v;
  for (; k < kGgufMaxDims; ++k) ok = ok && t.ne[k] == 1;
  if (!ok) {
    fail("{}: tensor '{}' has shape {}, expected {}", f.name(), std::string(t.name), t.shape_string(), shape_of(dims));
  }
}

std::vector<float> load_vector(const GgufFile& f, const std::string& name, int64_t n) {
  const TensorInfo& t = f.tensor(name);
  check_shape(f, t, {n});
  return dequantize_all(t);
}

}  // namespace

// ---------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------

void Gemma4Reference::rms_norm(const float* x, const float* w, int n, float eps, float* out) {
  double sum2 = 0.0;
  for (int i = 0; i < n; ++i) sum2 += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const double scale = 1.0 / std::sqrt(sum2 / n + static_cast<double>(eps));
  for (int i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]) * scale;
    out[i] = static_cast<float>(w ? v * static_cast<double>(w[i]) : v);
  }
}

float Gemma4Reference::gelu_tanh(float x) {
  const double v = x;
  const double k = std::sqrt(2.0 / std::numbers::pi);
  return static_cast<float>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
}

void Gemma4Reference::rope_neox(float* v, int n_dims_rot, int pos, float base, const float* freq_factors) {
  const int half = n_dims_rot / 2;
  for (int j = 0; j < half; ++j) {
    double theta = static_cast<double>(pos) * std::pow(static_cast<double>(base), -2.0 * j / n_dims_rot);
    if (freq_factors) theta /= static_cast<double>(freq_factors[j]);
    const double c = std::cos(theta), s = std::sin(theta);
    const double a = v[j], b = v[j + half];
    v[j] = static_cast<float>(a * c - b * s);
    v[j + half] = static_cast<float>(a * s + b * c);
  }
}

float Gemma4Reference::softcap(float x, float c) {
  if (!(c > 0.0f)) return x;
  return static_cast<float>(static_cast<double>(c) * std::tanh(static_cast<double>(x) / static_cast<double>(c)));
}

bool Gemma4Reference::visible(int p, int t, bool sliding, uint32_t window) {
  if (t > p) return false;                                     // causal
  if (sliding && static_cast<int64_t>(p) - t >= static_cast<int64_t>(window)) return false;
  return true;
}

void Gemma4Reference::matvec(const Matrix& m, const float* x, float* y) {
  for (int r = 0; r < m.n_out; ++r) {
    y[r] = static_cast<float>(dot(m.w.data() + static_cast<size_t>(r) * m.n_in, x, m.n_in));
  }
}

void Gemma4Reference::table_row(const TensorInfo& t, int64_t id, float* out) {
  dequantize_row(t.type, t.data + static_cast<uint64_t>(id) * t.row_bytes(), out, t.ne[0]);
}

// ---------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------

Gemma4Reference::Gemma4Reference(const GgufFile& f) : config_(Gemma4Config::from_gguf(f)) {
  const Gemma4Config& c = config_;
  const int64_t d = c.d_model, V = c.n_vocab, L = c.n_layers, P = c.per_layer_dim;

  auto matrix = [&](const TensorInfo& t, int64_t n_in, int64_t n_out) {
    check_shape(f, t, {n_in, n_out});
    Matrix m;
    m.n_in = static_cast<int>(n_in);
    m.n_out = static_cast<int>(n_out);
    m.w = dequantize_all(t);
    return m;
  };
  // Rows [first, first + count) of a matrix.
  auto row_slice = [](const Matrix& m, int first, int count) {
    Matrix s;
    s.n_in = m.n_in;
    s.n_out = count;
    s.w.assign(m.w.begin() + static_cast<ptrdiff_t>(first) * m.n_in,
               m.w.begin() + static_cast<ptrdiff_t>(first + count) * m.n_in);
    return s;
  };

  token_embd_ = &f.tensor("token_embd.weight");
  check_shape(f, *token_embd_, {d, V});
  output_ = f.find_tensor("output.weight");
  if (output_) check_shape(f, *output_, {d, V});
  else output_ = token_embd_;  // tied
  output_norm_ = load_vector(f, "output_norm.weight", d);

  if (P > 0) {
    per_layer_token_embd_ = &f.tensor("per_layer_token_embd.weight");
    check_shape(f, *per_layer_token_embd_, {P * L, V});
    per_layer_model_proj_ = matrix(f.tensor("per_layer_model_proj.weight"), d, P * L);
    per_layer_proj_norm_ = load_vector(f, "per_layer_proj_norm.weight", P);
  }

  if (const TensorInfo* rf = f.find_tensor("rope_freqs.weight")) {
    check_shape(f, *rf, {c.rope_dims_full / 2});
    rope_freqs_ = dequantize_all(*rf);
    for (size_t j = 0; j < rope_freqs_.size(); ++j) {
      if (!(rope_freqs_[j] > 0.0f) || !std::isfinite(rope_freqs_[j])) {
        fail("{}: tensor 'rope_freqs.weight' has value {} at {}: must be positive and finite", f.name(),
             rope_freqs_[j], j);
      }
    }
  }

  layers_.resize(c.n_layers);
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    Layer& y = layers_[l];
    const int64_t hd = c.head_dim(l), H = c.n_head[l], KV = c.n_head_kv[l], F = c.n_ff[l];
    const bool owns = c.owns_kv(l);
    y.attn_norm = load_vector(f, layer_name(l, "attn_norm"), d);
    if (f.find_tensor(layer_name(l, "attn_q")) == nullptr && f.find_tensor(layer_name(l, "attn_qkv")) != nullptr) {
      // Fused projection: rows q, then k, then v (shared layers may carry only q).
      const TensorInfo& t = f.tensor(layer_name(l, "attn_qkv"));
      const int64_t full_rows = (H + 2 * KV) * hd;
      const Matrix qkv = matrix(t, d, (!owns && t.ne[1] == H * hd) ? H * hd : full_rows);
      y.attn_q = row_slice(qkv, 0, static_cast<int>(H * hd));
      if (owns) {
        y.attn_k = row_slice(qkv, static_cast<int>(H * hd), static_cast<int>(KV * hd));
        y.attn_v = row_slice(qkv, static_cast<int>((H + KV) * hd), static_cast<int>(KV * hd));
        y.has_v = true;
      }
    } else {
      y.attn_q = matrix(f.tensor(layer_name(l, "attn_q")), d, H * hd);
      if (owns) {
        y.attn_k = matrix(f.tensor(layer_name(l, "attn_k")), d, KV * hd);
        if (const TensorInfo* tv = f.find_tensor(layer_name(l, "attn_v"))) {
          y.attn_v = matrix(*tv, d, KV * hd);
          y.has_v = true;
        }
      }
    }
    y.attn_q_norm = load_vector(f, layer_name(l, "attn_q_norm"), hd);
    if (owns) y.attn_k_norm = load_vector(f, layer_name(l, "attn_k_norm"), hd);
    y.attn_output = matrix(f.tensor(layer_name(l, "attn_output")), H * hd, d);
    y.post_attention_norm = load_vector(f, layer_name(l, "post_attention_norm"), d);
    y.ffn_norm = load_vector(f, layer_name(l, "ffn_norm"), d);
    y.ffn_gate = matrix(f.tensor(layer_name(l, "ffn_gate")), d, F);
    y.ffn_up = matrix(f.tensor(layer_name(l, "ffn_up")), d, F);
    y.ffn_down = matrix(f.tensor(layer_name(l, "ffn_down")), F, d);
    y.post_ffw_norm = load_vector(f, layer_name(l, "post_ffw_norm"), d);
    if (P > 0) {
      y.inp_gate = matrix(f.tensor(layer_name(l, "inp_gate")), d, P);
      y.proj = matrix(f.tensor(layer_name(l, "proj")), P, d);
      y.post_norm = load_vector(f, layer_name(l, "post_norm"), d);
    }
    if (f.find_tensor(layer_name(l, "layer_output_scale"))) {
      y.has_output_scale = true;
      y.output_scale = load_vector(f, layer_name(l, "layer_output_scale"), 1)[0];
    }
  }
}

// ---------------------------------------------------------------------------------
// Forward
// ---------------------------------------------------------------------------------

std::vector<std::vector<float>> Gemma4Reference::forward(const std::vector<int32_t>& tokens,
                                                         ReferenceTrace* trace) const {
  const Gemma4Config& c = config_;
  const int n = static_cast<int>(tokens.size());
  const int d = static_cast<int>(c.d_model), L = static_cast<int>(c.n_layers), P = static_cast<int>(c.per_layer_dim);
  const int V = static_cast<int>(c.n_vocab);
  const float eps = c.rms_eps;
  for (int p = 0; p < n; ++p) {
    if (tokens[p] < 0 || tokens[p] >= V) {
      fail("token id {} at position {} is out of range (the vocabulary has {} tokens)", tokens[p], p, V);
    }
  }
  if (n == 0) return {};

  // --- embeddings and per-layer inputs (spec §3, computed once per token) ----------
  const float sqrt_d = std::sqrt(static_cast<float>(d));
  const float inv_sqrt_d = 1.0f / sqrt_d;
  const float sqrt_p = std::sqrt(static_cast<float>(P));
  const float inv_sqrt2 = 1.0f / std::sqrt(2.0f);
  std::vector<std::vector<float>> x(n, std::vector<float>(d));
  std::vector<std::vector<float>> ple(n, std::vector<float>(static_cast<size_t>(P) * L));  // [n][L*P]
  for (int p = 0; p < n; ++p) {
    table_row(*token_embd_, tokens[p], x[p].data());
    for (float& v : x[p]) v *= sqrt_d;
    if (P == 0) continue;
    std::vector<float> t(static_cast<size_t>(P) * L), m(static_cast<size_t>(P) * L);
    table_row(*per_layer_token_embd_, tokens[p], t.data());
    for (float& v : t) v *= sqrt_p;
    matvec(per_layer_model_proj_, x[p].data(), m.data());
    for (float& v : m) v *= inv_sqrt_d;
    for (int l = 0; l < L; ++l) {
      float* ml = m.data() + static_cast<size_t>(l) * P;
      rms_norm(ml, per_layer_proj_norm_.data(), P, eps, ml);
      for (int i = 0; i < P; ++i) ple[p][static_cast<size_t>(l) * P + i] = (ml[i] + t[static_cast<size_t>(l) * P + i]) * inv_sqrt2;
    }
  }
  if (trace) {
    trace->embedding = x[n - 1];
    trace->per_layer_input.assign(P > 0 ? L : 0, {});
    for (int l = 0; l < L && P > 0; ++l) {
      trace->per_layer_input[l].assign(ple[n - 1].begin() + static_cast<ptrdiff_t>(l) * P,
                                       ple[n - 1].begin() + static_cast<ptrdiff_t>(l + 1) * P);
    }
    trace->layer_output.assign(L, {});
  }

  // K and V of every KV-owning layer at every position: [layer][p * KV*hd + j*hd + i].
  std::vector<std::vector<float>> k_cache(L), v_cache(L);

  for (int l = 0; l < L; ++l) {
    const Layer& y = layers_[l];
    const bool sliding = c.is_sliding[l];
    const int hd = static_cast<int>(c.head_dim(l)), H = static_cast<int>(c.n_head[l]);
    const int KV = static_cast<int>(c.n_head_kv[l]);
    const int group = H / KV;
    const int n_rot = static_cast<int>(c.rope_dims(l));
    const float base = sliding ? c.rope_base_swa : c.rope_base_full;
    const float* freqs = (!sliding && !rope_freqs_.empty()) ? rope_freqs_.data() : nullptr;
    const bool owns = c.owns_kv(l);

    // Pass 1: q (and k, v when this layer owns KV) at every position.
    std::vector<std::vector<float>> q(n, std::vector<float>(static_cast<size_t>(H) * hd));
    if (owns) {
      k_cache[l].assign(static_cast<size_t>(n) * KV * hd, 0.0f);
      v_cache[l].assign(static_cast<size_t>(n) * KV * hd, 0.0f);
    }
    std::vector<float> h(d);
    for (int p = 0; p < n; ++p) {
      rms_norm(x[p].data(), y.attn_norm.data(), d, eps, h.data());
      matvec(y.attn_q, h.data(), q[p].data());
      for (int i = 0; i < H; ++i) {
        float* qi = q[p].data() + static_cast<size_t>(i) * hd;
        rms_norm(qi, y.attn_q_norm.data(), hd, eps, qi);
        rope_neox(qi, n_rot, p, base, freqs);
      }
      if (!owns) continue;
      float* kp = k_cache[l].data() + static_cast<size_t>(p) * KV * hd;
      float* vp = v_cache[l].data() + static_cast<size_t>(p) * KV * hd;
      matvec(y.attn_k, h.data(), kp);
      if (y.has_v) matvec(y.attn_v, h.data(), vp);
      else std::copy(kp, kp + static_cast<size_t>(KV) * hd, vp);  // V = raw K projection
      for (int j = 0; j < KV; ++j) {
        float* kj = kp + static_cast<size_t>(j) * hd;
        float* vj = vp + static_cast<size_t>(j) * hd;
        rms_norm(kj, y.attn_k_norm.data(), hd, eps, kj);
        rope_neox(kj, n_rot, p, base, freqs);
        rms_norm(vj, nullptr, hd, eps, vj);
      }
    }

    // Pass 2: attention over the source layer's K/V, then the rest of the block.
    const uint32_t src = c.kv_source_layer(static_cast<uint32_t>(l));
    const std::vector<float>& ks = k_cache[src];
    const std::vector<float>& vs = v_cache[src];
    std::vector<float> a(static_cast<size_t>(H) * hd), o(d), a1(d), hn(d);
    std::vector<float> g(c.n_ff[l]), u(c.n_ff[l]), f(d), gate(P), pr(d), tmp(d);
    std::vector<double> w(n), acc(hd);
    for (int p = 0; p < n; ++p) {
      for (int i = 0; i < H; ++i) {
        const int j = i / group;
        const float* qi = q[p].data() + static_cast<size_t>(i) * hd;
        double max_s = -INFINITY;
        for (int t = 0; t <= p; ++t) {
          if (!visible(p, t, sliding, c.sliding_window)) continue;
          const float* kt = ks.data() + (static_cast<size_t>(t) * KV + j) * hd;
          w[t] = static_cast<float>(dot(qi, kt, hd));  // scale 1.0
          max_s = std::max(max_s, w[t]);
        }
        double sum = 0.0;
        for (int t = 0; t <= p; ++t) {
          if (!visible(p, t, sliding, c.sliding_window)) continue;
          w[t] = std::exp(w[t] - max_s);
          sum += w[t];
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int t = 0; t <= p; ++t) {
          if (!visible(p, t, sliding, c.sliding_window)) continue;
          const float* vt = vs.data() + (static_cast<size_t>(t) * KV + j) * hd;
          for (int e = 0; e < hd; ++e) acc[e] += w[t] * static_cast<double>(vt[e]);
        }
        for (int e = 0; e < hd; ++e) a[static_cast<size_t>(i) * hd + e] = static_cast<float>(acc[e] / sum);
      }
      matvec(y.attn_output, a.data(), o.data());
      rms_norm(o.data(), y.post_attention_norm.data(), d, eps, a1.data());
      for (int e = 0; e < d; ++e) a1[e] += x[p][e];

      rms_norm(a1.data(), y.ffn_norm.data(), d, eps, hn.data());
      matvec(y.ffn_gate, hn.data(), g.data());
      matvec(y.ffn_up, hn.data(), u.data());
      for (size_t e = 0; e < g.size(); ++e) g[e] = gelu_tanh(g[e]) * u[e];
      matvec(y.ffn_down, g.data(), f.data());
      std::vector<float>& out = x[p];  // y; replaces x[p] (pass 1 already used it)
      rms_norm(f.data(), y.post_ffw_norm.data(), d, eps, tmp.data());
      for (int e = 0; e < d; ++e) out[e] = tmp[e] + a1[e];

      if (P > 0) {
        matvec(y.inp_gate, out.data(), gate.data());
        const float* pl = ple[p].data() + static_cast<size_t>(l) * P;
        for (int e = 0; e < P; ++e) gate[e] = gelu_tanh(gate[e]) * pl[e];
        matvec(y.proj, gate.data(), pr.data());
        rms_norm(pr.data(), y.post_norm.data(), d, eps, tmp.data());
        for (int e = 0; e < d; ++e) out[e] += tmp[e];
      }
      if (y.has_output_scale) {
        for (float& v : out) v *= y.output_scale;
      }
    }
    if (trace) trace->layer_output[l] = x[n - 1];
  }

  // --- final norm, (tied) output head, softcap ------------------------------------
  std::vector<std::vector<float>> xn(n, std::vector<float>(d));
  for (int p = 0; p < n; ++p) rms_norm(x[p].data(), output_norm_.data(), d, eps, xn[p].data());
  if (trace) trace->final_norm = xn[n - 1];
  std::vector<std::vector<float>> logits(n, std::vector<float>(V));
  std::vector<float> row(d);
  for (int r = 0; r < V; ++r) {
    table_row(*output_, r, row.data());
    for (int p = 0; p < n; ++p) {
      logits[p][r] = softcap(static_cast<float>(dot(row.data(), xn[p].data(), d)), c.final_logit_softcap);
    }
  }
  return logits;
}

}  // namespace edgelm::reference
