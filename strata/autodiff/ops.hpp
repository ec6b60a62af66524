// Differentiable ops: the small set every layer, loss and metric is built from. Each op runs its
// forward on the tensors' backend and, when recording (no NoGrad guard) and an input requires
// grad, records its backward rule, written next to the forward in the op's source file.
// Binary ops broadcast like NumPy. All ops take and return float32 tensors unless noted.
//
//   Tensor h = ops::linear(x, w, b, {EltwiseAlg::relu});   // relu(x·w + b), fused
//   Tensor p = ops::softmax(h, -1);
//   Tensor l = ops::mean(ops::sum(ops::mul(y, ops::log(p)), {-1}));
#pragma once

#include <cstdint>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata::ops {

// ---- arithmetic (ops_math.cpp) --------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// alpha * x + beta, fused in one pass.
Tensor affine(const Tensor& x, float alpha, float beta);
inline Tensor add(const Tensor& x, float s) { return affine(x, 1.f, s); }
inline Tensor mul(const Tensor& x, float s) { return affine(x, s, 0.f); }
inline Tensor neg(const Tensor& x) { return affine(x, -1.f, 0.f); }
// Element-wise max / min of two tensors (broadcast). The gradient goes to the operand that was
// chosen; on ties it goes to `a`, as TensorFlow's Maximum/Minimum gradients do.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// Batched matrix product over the last two dims, batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);
// act(x·w + b) for x [..., K], w [K, N], b [N] or undefined. `act` is fused into the product;
// it must be linear or an activation whose backward uses its output (relu, elu, sigmoid, tanh,
// exp) — see eltwise_backward_uses_dst.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b, Eltwise act = {});

// ---- reductions (ops_reduce.cpp) ------------------------------------------------------------
// Sum / mean over `axes` (negative allowed; empty = all axes).
Tensor sum(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
// Sums `g` down to `shape` (the inverse of broadcasting `shape` up to g's shape).
Tensor sum_to(const Tensor& g, const Shape& shape);
// Broadcasts x up to `shape`.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

// ---- shape (ops_shape.cpp) ------------------------------------------------------------------
// One dimension may be -1 (inferred). Shares memory with x.
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor transpose(const Tensor& x, const std::vector<int>& perm);
// (N, d1, d2, ...) -> (N, d1*d2*...).
Tensor flatten(const Tensor& x);
// Joins `xs` (at least one, same rank, equal dims except `axis`) along `axis` (negative counts
// from the end).
Tensor concat(const std::vector<Tensor>& xs, int axis);

// ---- activations (ops_activation.cpp) -------------------------------------------------------
Tensor eltwise(const Tensor& x, const Eltwise& e);
inline Tensor relu(const Tensor& x) { return eltwise(x, {EltwiseAlg::relu, 0.f}); }
inline Tensor leaky_relu(const Tensor& x, float slope) { return eltwise(x, {EltwiseAlg::relu, slope}); }
inline Tensor sigmoid(const Tensor& x) { return eltwise(x, {EltwiseAlg::logistic}); }
inline Tensor tanh(const Tensor& x) { return eltwise(x, {EltwiseAlg::tanh}); }
inline Tensor elu(const Tensor& x, float alpha = 1.f) { return eltwise(x, {EltwiseAlg::elu, alpha}); }
inline Tensor softplus(const Tensor& x) { return eltwise(x, {EltwiseAlg::soft_relu}); }
inline Tensor exp(const Tensor& x) { return eltwise(x, {EltwiseAlg::exp}); }
inline Tensor log(const Tensor& x) { return eltwise(x, {EltwiseAlg::log}); }
inline Tensor abs(const Tensor& x) { return eltwise(x, {EltwiseAlg::abs}); }
inline Tensor sqrt(const Tensor& x) { return eltwise(x, {EltwiseAlg::sqrt}); }
inline Tensor square(const Tensor& x) { return eltwise(x, {EltwiseAlg::square}); }
inline Tensor clip(const Tensor& x, float lo, float hi) { return eltwise(x, {EltwiseAlg::clip, lo, hi}); }
// Keras ReLU with a threshold t: x where x > t, else slope * (x - t).
Tensor thresholded_relu(const Tensor& x, float threshold, float slope);
// min(x, hi)
inline Tensor minimum(const Tensor& x, float hi) { return clip(x, -3.4e38f, hi); }
// Exact (erf) GELU, or the tanh approximation.
inline Tensor gelu(const Tensor& x, bool approximate = false) {
  return eltwise(x, {approximate ? EltwiseAlg::gelu_tanh : EltwiseAlg::gelu_erf});
}
// scale * elu(x, alpha) with Keras' constants.
Tensor selu(const Tensor& x);
// x / (1 + |x|)
Tensor softsign(const Tensor& x);
Tensor softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, int axis = -1);

// ---- convolution (ops_conv.cpp) -------------------------------------------------------------
// act(conv(x, w) + b): x channels-last (N, [H,] W, C); w Keras layout (k..., C / groups, F);
// b (F,) or undefined. Output spatial sizes follow p (see conv_output_size).
Tensor conv(const Tensor& x, const Tensor& w, const Tensor& b, const WindowParams& p,
            Eltwise act = {});
// Transposed convolution: w Keras Conv2DTranspose layout (k..., F, C); `out` is the full output
// shape (N, [OH,] OW, F) the caller derived from Keras' deconv_output_length.
Tensor conv_transpose(const Tensor& x, const Tensor& w, const Tensor& b, const WindowParams& p,
                      const Shape& out);
// Output length of a window op along one dim: floor((in + pads - dilation·(k-1) - 1) / s) + 1.
int64_t conv_output_size(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                         int64_t pad_begin, int64_t pad_end);

// ---- pooling, normalisation, resizing (ops_pool.cpp, ops_norm.cpp, ops_window.cpp) ---------
// Max or average pooling over p's window (p.kernel); channels-last x.
Tensor pool(const Tensor& x, PoolKind kind, const WindowParams& p);
// Training-mode batch normalisation over every axis but the last: returns the output and fills
// `mean` / `var` (shape (C,)) with the batch statistics (biased variance). gamma/beta may be
// undefined (scale 1, shift 0).
Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                        Tensor& mean, Tensor& var);
// Layer normalisation over the last axis.
Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps);
// Resizes (N, H, W, C) to (N, oh, ow, C): nearest or bilinear (half-pixel centres).
Tensor resize(const Tensor& x, int64_t oh, int64_t ow, bool bilinear);
// Zero-pads x into a tensor of shape `out`, x's corner at `offsets`.
Tensor pad(const Tensor& x, const Shape& out, const std::vector<int64_t>& offsets);
// The window of x of shape `out` starting at `offsets`.
Tensor crop(const Tensor& x, const Shape& out, const std::vector<int64_t>& offsets);

// ---- random / indexing (ops_random.cpp) -----------------------------------------------------
// Inverted dropout: zeroes each element with probability `rate`, scales the rest by 1/(1-rate).
// The mask is a pure function of (seed, offset).
Tensor dropout(const Tensor& x, float rate, uint64_t seed, uint64_t offset);
// labels [N] (int32, int64 or integral float32) -> [N, num_classes] float32; not differentiable.
Tensor one_hot(const Tensor& labels, int64_t num_classes);
// Embedding lookup: table (V, D) float32, indices int32/int64 of any shape -> indices.shape + (D,)
// float32, row k of the output = table[indices[k]]. Differentiable w.r.t. the table (the
// gradient scatter-adds the output gradient's rows); throws ValueError naming the first index
// outside [0, V) and its flat position.
Tensor embedding_lookup(const Tensor& table, const Tensor& indices);

// ---- recurrent (ops_rnn.cpp) ----------------------------------------------------------------
struct RnnOutputs {
  Tensor sequence;  // (N, T, U): the output of every step, at the index of its input step
  Tensor h;         // (N, U): the state after the last processed step
  Tensor c;         // (N, U): LSTM's cell state after it; undefined for other cells
};
// A whole recurrent layer on the backend's fused RNN primitive (see Backend::rnn_forward for the
// layouts): x (N, T, I) float32, kernel (I, G·U), recurrent (U, G·U), bias in Keras layout or
// undefined (zeros), h0 / c0 (N, U) or undefined (zeros). Differentiable w.r.t. every defined
// input. Throws ValueError naming the op and the shapes on a mismatch or T == 0.
RnnOutputs rnn(const RnnParams& p, const Tensor& x, const Tensor& h0, const Tensor& c0,
               const Tensor& kernel, const Tensor& recurrent, const Tensor& bias);

}  // namespace strata::ops
