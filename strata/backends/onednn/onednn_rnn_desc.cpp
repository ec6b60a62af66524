// Problem checks, memory descriptors, primitive descriptors and bias conversions of the oneDNN
// RNN ops (see onednn_rnn_desc.hpp).
#include "strata/backends/onednn/onednn_rnn_desc.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn::rnn {

using dnnl::memory;
using dnnl::prop_kind;
using tag = memory::format_tag;

bool same_geom(const Geom& a, const Geom& b) {
  return a.cell == b.cell && a.act == b.act && a.reverse == b.reverse && a.n == b.n &&
         a.t == b.t && a.i == b.i && a.u == b.u;
}

void expect_shape(const char* op, const char* name, const View& v, const Shape& want,
                  const Geom& g) {
  require_f32(op, v, name);
  if (v.shape != want)
    op_error(op, std::string(name) + " must have shape " + want.str() + " for a " +
                     rnn_cell_name(g.cell) + " cell with N=" + std::to_string(g.n) + ", T=" +
                     std::to_string(g.t) + ", I=" + std::to_string(g.i) + ", U=" +
                     std::to_string(g.u) + ", got " + v.shape.str());
}

// Checks every operand of a forward call and returns the problem's sizes.
Geom check_forward(const char* op, const RnnParams& p, const View& x, const View* h0,
                   const View* c0, const View& kernel, const View& recurrent, const View* bias,
                   const View& y, const View& h_last, const View* c_last) {
  require_f32(op, x, "x");
  require_f32(op, recurrent, "recurrent");
  if (x.shape.rank() != 3) op_error(op, "x must be (N, T, I), got " + x.shape.str());
  if (recurrent.shape.rank() != 2)
    op_error(op, "recurrent must be (U, G*U), got " + recurrent.shape.str());
  Geom g;
  g.cell = p.cell;
  g.act = p.activation;
  g.reverse = p.reverse;
  g.n = x.shape[0];
  g.t = x.shape[1];
  g.i = x.shape[2];
  g.u = recurrent.shape[0];
  g.g = rnn_gates(p.cell);
  g.gb = g.lbr() ? 4 : g.g;
  if (g.t < 1) op_error(op, "sequence length 0: x has shape " + x.shape.str());
  if (g.u < 1 || g.i < 1)
    op_error(op, "x " + x.shape.str() + " and recurrent " + recurrent.shape.str() +
                     " must have non-zero feature sizes");
  if (p.cell == RnnCell::simple && p.activation != EltwiseAlg::tanh &&
      p.activation != EltwiseAlg::relu && p.activation != EltwiseAlg::logistic)
    op_error(op, "the simple cell supports the tanh, relu and logistic activations only");
  expect_shape(op, "kernel", kernel, Shape{g.i, g.g * g.u}, g);
  expect_shape(op, "recurrent", recurrent, Shape{g.u, g.g * g.u}, g);
  if (bias)
    expect_shape(op, "bias", *bias, g.lbr() ? Shape{2, 3 * g.u} : Shape{g.g * g.u}, g);
  const Shape state{g.n, g.u};
  if (h0) expect_shape(op, "h0", *h0, state, g);
  expect_shape(op, "y", y, Shape{g.n, g.t, g.u}, g);
  expect_shape(op, "h_last", h_last, state, g);
  if (g.lstm()) {
    if (c0) expect_shape(op, "c0", *c0, state, g);
    if (!c_last) op_error(op, "an lstm cell needs c_last");
    expect_shape(op, "c_last", *c_last, state, g);
  } else if (c0 || c_last) {
    op_error(op, std::string("c0 / c_last belong to lstm cells only, not ") +
                     rnn_cell_name(g.cell));
  }
  return g;
}

// ---- descriptors -------------------------------------------------------------------------
// Batch-major (N, T, C) buffers are oneDNN's ntc: logical dims (T, N, C), read in place.
memory::desc layer_md(const Geom& g, int64_t c) {
  return memory::desc({g.t, g.n, c}, memory::data_type::f32, tag::ntc);
}
memory::desc state_md(const Geom& g) {
  return memory::desc({1, 1, g.n, g.u}, memory::data_type::f32, tag::ldnc);
}
memory::desc weights_md(const Geom& g, int64_t in, tag t) {
  return memory::desc({1, 1, in, g.g, g.u}, memory::data_type::f32, t);
}
memory::desc bias_md(const Geom& g) {
  return memory::desc({1, 1, g.gb, g.u}, memory::data_type::f32, tag::ldgo);
}
// Keras' kernel (I, G*U) and recurrent kernel (U, G*U), row-major.
memory::desc keras_wl(const Geom& g) { return weights_md(g, g.i, tag::ldigo); }
memory::desc keras_wi(const Geom& g) { return weights_md(g, g.u, tag::ldigo); }

dnnl::rnn_direction direction(const Geom& g) {
  return g.reverse ? dnnl::rnn_direction::unidirectional_right2left
                   : dnnl::rnn_direction::unidirectional_left2right;
}

dnnl::algorithm simple_activation(EltwiseAlg a) {
  switch (a) {
    case EltwiseAlg::relu: return dnnl::algorithm::eltwise_relu;
    case EltwiseAlg::logistic: return dnnl::algorithm::eltwise_logistic;
    default: return dnnl::algorithm::eltwise_tanh;
  }
}

namespace {

// The scratchpad is the plan's own memory: plans of one batch split run concurrently.
dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

template <class Fwd>
dnnl::primitive_desc make_pd(const typename Fwd::desc& d) {
  return typename Fwd::primitive_desc(d, user_scratchpad(), engine());
}

}  // namespace

dnnl::primitive_desc forward_pd(const Geom& g, prop_kind pk) {
  const auto sl = layer_md(g, g.i), dl = layer_md(g, g.u), s = state_md(g), b = bias_md(g);
  const auto wl = weights_md(g, g.i, tag::any), wi = weights_md(g, g.u, tag::any);
  const auto dir = direction(g);
  switch (g.cell) {
    case RnnCell::simple:
      return make_pd<dnnl::vanilla_rnn_forward>(
          {pk, simple_activation(g.act), dir, sl, s, wl, wi, b, dl, s, dnnl::rnn_flags::undef,
           0.f, 0.f});
    case RnnCell::lstm:
      return make_pd<dnnl::lstm_forward>({pk, dir, sl, s, s, wl, wi, b, dl, s, s});
    case RnnCell::gru: return make_pd<dnnl::gru_forward>({pk, dir, sl, s, wl, wi, b, dl, s});
    case RnnCell::gru_reset_after:
      return make_pd<dnnl::lbr_gru_forward>({pk, dir, sl, s, wl, wi, b, dl, s});
  }
  throw std::logic_error("unknown RNN cell");
}

dnnl::primitive_desc backward_pd(const Geom& g) {
  const auto sl = layer_md(g, g.i), dl = layer_md(g, g.u), s = state_md(g), b = bias_md(g);
  const auto wl = weights_md(g, g.i, tag::any), wi = weights_md(g, g.u, tag::any);
  const auto dir = direction(g);
  constexpr auto bwd = prop_kind::backward;
  constexpr auto train = prop_kind::forward_training;
  switch (g.cell) {
    case RnnCell::simple: {
      const auto act = simple_activation(g.act);
      const dnnl::vanilla_rnn_forward::primitive_desc hint(
          {train, act, dir, sl, s, wl, wi, b, dl, s, dnnl::rnn_flags::undef, 0.f, 0.f},
          engine());
      return dnnl::vanilla_rnn_backward::primitive_desc(
          {bwd, act, dir, sl, s, wl, wi, b, dl, s, sl, s, wl, wi, b, dl, s,
           dnnl::rnn_flags::undef, 0.f, 0.f},
          user_scratchpad(), engine(), hint);
    }
    case RnnCell::lstm: {
      const dnnl::lstm_forward::primitive_desc hint({train, dir, sl, s, s, wl, wi, b, dl, s, s},
                                                    engine());
      return dnnl::lstm_backward::primitive_desc(
          {bwd, dir, sl, s, s, wl, wi, b, dl, s, s, sl, s, s, wl, wi, b, dl, s, s},
          user_scratchpad(), engine(), hint);
    }
    case RnnCell::gru: {
      const dnnl::gru_forward::primitive_desc hint({train, dir, sl, s, wl, wi, b, dl, s},
                                                   engine());
      return dnnl::gru_backward::primitive_desc(
          {bwd, dir, sl, s, wl, wi, b, dl, s, sl, s, wl, wi, b, dl, s}, user_scratchpad(),
          engine(), hint);
    }
    case RnnCell::gru_reset_after: {
      const dnnl::lbr_gru_forward::primitive_desc hint({train, dir, sl, s, wl, wi, b, dl, s},
                                                       engine());
      return dnnl::lbr_gru_backward::primitive_desc(
          {bwd, dir, sl, s, wl, wi, b, dl, s, sl, s, wl, wi, b, dl, s}, user_scratchpad(),
          engine(), hint);
    }
  }
  throw std::logic_error("unknown RNN cell");
}

memory::desc arg_md(const dnnl::primitive_desc& pd, int arg) {
  return pd.query_md(dnnl::query::exec_arg_md, arg);
}

// Keras' bias → oneDNN's (gb, U). lbr_gru: B_u = b_in_z + b_rec_z, B_r = b_in_r + b_rec_r,
// B_o = b_in_h, B_u' = b_rec_h. Without a bias, zeros.
void convert_bias(const Geom& g, const View* bias, float* out) {
  const int64_t u = g.u;
  if (!bias) {
    std::fill(out, out + g.gb * u, 0.f);
    return;
  }
  const float* b = bias->f();
  if (!g.lbr()) {
    std::copy(b, b + g.gb * u, out);
    return;
  }
  const float* rec = b + 3 * u;
  for (int64_t j = 0; j < 2 * u; ++j) out[j] = b[j] + rec[j];
  std::copy(b + 2 * u, b + 3 * u, out + 2 * u);
  std::copy(rec + 2 * u, rec + 3 * u, out + 3 * u);
}

// oneDNN's (4, U) lbr_gru bias gradient → Keras' (2, 3U): both rows get dB_u and dB_r.
void lbr_bias_gradient(const Geom& g, const float* d, float* out) {
  const int64_t u = g.u;
  std::copy(d, d + 3 * u, out);
  std::copy(d, d + 2 * u, out + 3 * u);
  std::copy(d + 3 * u, d + 4 * u, out + 5 * u);
}

}  // namespace strata::onednn::rnn
