// Host reference of Keras' recurrent formulas (simple_rnn.py, lstm.py, gru.py and the backend's
// masked rnn loop) in double precision, for the recurrent layer tests.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "strata/backends/backend.hpp"

namespace strata::test {

struct RnnReferenceInput {
  RnnCell cell = RnnCell::lstm;
  int64_t n = 0, steps = 0, features = 0, units = 0;
  std::vector<float> x, kernel, recurrent, bias;  // bias empty = none
  std::string activation = "tanh", recurrent_activation = "sigmoid";
  bool go_backwards = false;
  bool return_sequences = false;
  bool zero_output_for_mask = false;
  std::vector<float> mask;    // (N, T) or empty
  std::vector<float> h0, c0;  // (N, U) or empty (zeros)
};

struct RnnReferenceOutput {
  std::vector<float> output;  // (N, T, U) in processing order, or (N, U)
  std::vector<float> h, c;
};

inline double reference_activation(const std::string& name, double v) {
  if (name == "tanh") return std::tanh(v);
  if (name == "sigmoid") return 1.0 / (1.0 + std::exp(-v));
  if (name == "relu") return v > 0 ? v : 0;
  if (name == "hard_sigmoid_legacy") return std::min(1.0, std::max(0.0, 0.2 * v + 0.5));
  if (name == "hard_sigmoid") return std::min(1.0, std::max(0.0, v / 6.0 + 0.5));
  return v;  // linear
}

inline RnnReferenceOutput rnn_reference(const RnnReferenceInput& in) {
  const int64_t n = in.n, steps = in.steps, feat = in.features, u = in.units;
  const int g = rnn_gates(in.cell);
  const int64_t gu = g * u;
  auto act = [&](double v) { return reference_activation(in.activation, v); };
  auto ract = [&](double v) { return reference_activation(in.recurrent_activation, v); };
  auto bias_in = [&](int64_t j) -> double { return in.bias.empty() ? 0.0 : in.bias[j]; };
  auto bias_rec = [&](int64_t j) -> double {
    return in.bias.empty() || in.cell != RnnCell::gru_reset_after ? 0.0 : in.bias[gu + j];
  };
  std::vector<double> h(n * u, 0.0), c(n * u, 0.0), out(n * u, 0.0);
  for (size_t i = 0; i < in.h0.size(); ++i) h[i] = in.h0[i];
  for (size_t i = 0; i < in.c0.size(); ++i) c[i] = in.c0[i];
  RnnReferenceOutput r;
  std::vector<double> seq;
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t t = in.go_backwards ? steps - 1 - s : s;
    for (int64_t b = 0; b < n; ++b) {
      std::vector<double> xz(gu), hz(gu);
      for (int64_t j = 0; j < gu; ++j) {
        double a = bias_in(j);
        for (int64_t k = 0; k < feat; ++k) a += in.x[(b * steps + t) * feat + k] * in.kernel[k * gu + j];
        xz[j] = a;
        double r2 = bias_rec(j);
        for (int64_t k = 0; k < u; ++k) r2 += h[b * u + k] * in.recurrent[k * gu + j];
        hz[j] = r2;
      }
      std::vector<double> hn(u), cn(u);
      switch (in.cell) {
        case RnnCell::simple:
          for (int64_t j = 0; j < u; ++j) hn[j] = act(xz[j] + hz[j]);
          break;
        case RnnCell::lstm:
          for (int64_t j = 0; j < u; ++j) {
            const double i = ract(xz[j] + hz[j]), f = ract(xz[u + j] + hz[u + j]);
            const double gg = act(xz[2 * u + j] + hz[2 * u + j]);
            const double o = ract(xz[3 * u + j] + hz[3 * u + j]);
            cn[j] = f * c[b * u + j] + i * gg;
            hn[j] = o * act(cn[j]);
          }
          break;
        case RnnCell::gru_reset_after:
          for (int64_t j = 0; j < u; ++j) {
            const double z = ract(xz[j] + hz[j]), rr = ract(xz[u + j] + hz[u + j]);
            const double hh = act(xz[2 * u + j] + rr * hz[2 * u + j]);
            hn[j] = z * h[b * u + j] + (1 - z) * hh;
          }
          break;
        case RnnCell::gru: {
          std::vector<double> rh(u);
          for (int64_t j = 0; j < u; ++j) rh[j] = ract(xz[u + j] + hz[u + j]) * h[b * u + j];
          for (int64_t j = 0; j < u; ++j) {
            const double z = ract(xz[j] + hz[j]);
            double rec = 0;
            for (int64_t k = 0; k < u; ++k) rec += rh[k] * in.recurrent[k * gu + 2 * u + j];
            const double hh = act(xz[2 * u + j] + rec);
            hn[j] = z * h[b * u + j] + (1 - z) * hh;
          }
          break;
        }
      }
      const double m = in.mask.empty() ? 1.0 : in.mask[b * steps + t];
      for (int64_t j = 0; j < u; ++j) {
        const int64_t k = b * u + j;
        if (m != 0) {
          out[k] = hn[j];
          h[k] = hn[j];
          c[k] = cn[j];
        } else if (in.zero_output_for_mask) {
          out[k] = 0;
        }
      }
    }
    if (in.return_sequences) seq.insert(seq.end(), out.begin(), out.end());  // (T, N, U) here
  }
  if (in.return_sequences) {
    r.output.resize(n * steps * u);
    for (int64_t s = 0; s < steps; ++s)
      for (int64_t b = 0; b < n; ++b)
        for (int64_t j = 0; j < u; ++j)
          r.output[(b * steps + s) * u + j] = static_cast<float>(seq[(s * n + b) * u + j]);
  } else {
    r.output.assign(out.begin(), out.end());
  }
  r.h.assign(h.begin(), h.end());
  if (in.cell == RnnCell::lstm) r.c.assign(c.begin(), c.end());
  return r;
}

}  // namespace strata::test
