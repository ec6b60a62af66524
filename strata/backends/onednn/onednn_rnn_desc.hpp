// The descriptive half of the oneDNN RNN ops (onednn_rnn.cpp runs them): operand checks, the
// memory descriptors of batch-major activations (ntc), states (ldnc), Keras-layout weights
// (ldigo read row-major) and biases (ldgo), the forward / backward primitive descriptors of each
// cell, and the mapping between Keras' bias and oneDNN's (lbr_gru's four bias gates).
//
//   const rnn::Geom g = rnn::check_forward("rnn_forward", p, x, h0, c0, k, r, b, y, h, c);
//   dnnl::primitive_desc pd = rnn::forward_pd(g, dnnl::prop_kind::forward_training);
//   rnn::convert_bias(g, b, host_bias);  // (gb, U) as the primitive reads it
#pragma once

#include <cstdint>

#include <oneapi/dnnl/dnnl.hpp>

#include "strata/backends/backend.hpp"

namespace strata::onednn::rnn {

// One unidirectional layer: batch n, steps t, input features i, units u.
struct Geom {
  RnnCell cell = RnnCell::lstm;
  EltwiseAlg act = EltwiseAlg::tanh;
  bool reverse = false;
  int64_t n = 0, t = 0, i = 0, u = 0;
  int64_t g = 1;   // gates in the weights
  int64_t gb = 1;  // gates in oneDNN's bias (lbr_gru has the extra u')
  bool lstm() const { return cell == RnnCell::lstm; }
  bool lbr() const { return cell == RnnCell::gru_reset_after; }
  int64_t state() const { return n * u; }
};

bool same_geom(const Geom& a, const Geom& b);

// Throws ValueError (through op_error, naming `op`) unless v is float32 of shape `want`.
void expect_shape(const char* op, const char* name, const View& v, const Shape& want,
                  const Geom& g);
// Checks every operand of a forward call (backward re-checks the same ones) and returns the
// problem's sizes.
Geom check_forward(const char* op, const RnnParams& p, const View& x, const View* h0,
                   const View* c0, const View& kernel, const View& recurrent, const View* bias,
                   const View& y, const View& h_last, const View* c_last);

// Batch-major (N, T, C) buffers as oneDNN's ntc (logical dims (T, N, C)), read in place.
dnnl::memory::desc layer_md(const Geom& g, int64_t c);
dnnl::memory::desc state_md(const Geom& g);  // (1, 1, N, U) ldnc
dnnl::memory::desc weights_md(const Geom& g, int64_t in, dnnl::memory::format_tag t);
dnnl::memory::desc bias_md(const Geom& g);  // (1, 1, gb, U) ldgo
// Keras' kernel (I, G*U) and recurrent kernel (U, G*U), row-major.
dnnl::memory::desc keras_wl(const Geom& g);
dnnl::memory::desc keras_wi(const Geom& g);

// Weights in format any: the primitive picks its layout (reached through reorders).
dnnl::primitive_desc forward_pd(const Geom& g, dnnl::prop_kind pk);
// The backward descriptor, hinted by the training forward of the same problem.
dnnl::primitive_desc backward_pd(const Geom& g);
dnnl::memory::desc arg_md(const dnnl::primitive_desc& pd, int arg);

// Keras' bias → oneDNN's (gb, U); zeros without a bias. lbr_gru: B_u = b_in_z + b_rec_z,
// B_r = b_in_r + b_rec_r, B_o = b_in_h, B_u' = b_rec_h.
void convert_bias(const Geom& g, const View* bias, float* out);
// oneDNN's (4, U) lbr_gru bias gradient → Keras' (2, 3U): both rows get dB_u and dB_r.
void lbr_bias_gradient(const Geom& g, const float* d, float* out);

}  // namespace strata::onednn::rnn
