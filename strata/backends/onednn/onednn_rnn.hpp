// Recurrent layers (SimpleRNN, LSTM, GRU) on oneDNN's fused RNN primitives: vanilla_rnn, lstm,
// gru and lbr_gru, one unidirectional layer per call. Batch-major activations are read and
// written in place (format ntc); the Keras kernels are oneDNN's ldigo layout read row-major and
// are reordered into whatever layout the primitive prefers. Arguments and semantics are those of
// Backend::rnn_forward / rnn_backward (backends/backend.hpp).
//
//   RnnParams p;  p.cell = RnnCell::lstm;
//   auto saved = onednn::rnn_forward(be, p, x, nullptr, nullptr, k, r, &b, y, h, &c, true);
//   onednn::rnn_backward(be, p, *saved, x, ..., dk, dr, &db);
#pragma once

#include <cstddef>

#include "strata/backends/backend.hpp"

namespace strata::onednn {

// The training payload (the primitive's workspace) comes from `be`'s pool.
PayloadPtr rnn_forward(Backend& be, const RnnParams& p, const View& x, const View* h0,
                       const View* c0, const View& kernel, const View& recurrent,
                       const View* bias, const View& y, const View& h_last, const View* c_last,
                       bool training);
void rnn_backward(const RnnParams& p, const Payload& saved, const View& x, const View* h0,
                  const View* c0, const View& kernel, const View& recurrent, const View* bias,
                  const View& y, const View& h_last, const View* c_last, const View& dy,
                  const View* dh_last, const View* dc_last, const View& dx, const View* dh0,
                  const View* dc0, const View& dkernel, const View& drecurrent,
                  const View* dbias);

// Primitives (RNN and weight reorders) the RNN plans hold; part of BackendStats'
// cached_primitives, so the steady-state check covers recurrent layers too.
size_t rnn_cached_primitive_count();

}  // namespace strata::onednn
