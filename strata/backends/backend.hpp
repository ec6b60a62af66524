// Backend: the only layer that touches compute libraries. It owns memory (a pooled allocator so
// steady-state training never reaches the system allocator) and runs ops, forward and backward,
// on plain row-major contiguous buffers. It knows nothing of layers or autodiff.
//
// Two implementations are planned: oneDNN (CPU, backends/onednn/) and cuDNN/cuBLAS (GPU). The
// active one is chosen at run time: STRATA_BACKEND=onednn|cuda, default CUDA when a device is
// present, else oneDNN.
//
//   Backend& be = default_backend();
//   auto buf = be.allocate(64 * sizeof(float));
//   View x{buf->data(), Shape{8, 8}};
//   be.fill(x, 1.0);
//   be.eltwise_forward({EltwiseAlg::tanh}, x, x);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/dtype.hpp"
#include "strata/core/shape.hpp"

namespace strata {

class Backend;

enum class DeviceKind { cpu, cuda };

// A block of backend memory. Destroying it hands the block back to the backend's pool.
class Buffer {
 public:
  Buffer(Backend* owner, void* data, size_t bytes) : owner_(owner), data_(data), bytes_(bytes) {}
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Backend& backend() const { return *owner_; }

 private:
  Backend* owner_;
  void* data_;
  size_t bytes_;
};

// State a forward op leaves for its backward (saved masks, workspaces, reserve spaces) in a form
// only the backend that made it understands — e.g. cuDNN's dropout reserve space. Autodiff keeps
// it in the op's node and frees it when the node is done.
class Payload {
 public:
  virtual ~Payload() = default;
};
using PayloadPtr = std::shared_ptr<Payload>;

// A contiguous row-major array in backend memory. Views do not own memory.
struct View {
  void* data = nullptr;
  Shape shape;
  DType dtype = DType::float32;
  float* f() const { return static_cast<float*>(data); }
};

// Element-wise functions. `alpha`/`beta` follow oneDNN's meaning:
//   relu:      x > 0 ? x : alpha * x            (alpha = negative slope; leaky_relu uses it)
//   elu:       x > 0 ? x : alpha * (exp(x) - 1)
//   linear:    alpha * x + beta
//   clip:      min(max(x, alpha), beta)
//   pow:       alpha * x^beta
//   logistic (sigmoid), tanh, gelu_erf, gelu_tanh, soft_relu (softplus = log(1 + e^x)), exp, log,
//   abs, sqrt, square: the usual functions, alpha/beta unused.
enum class EltwiseAlg {
  relu, elu, logistic, tanh, gelu_erf, gelu_tanh, soft_relu, exp, log, linear, abs, sqrt, square,
  clip, pow
};

struct Eltwise {
  EltwiseAlg alg = EltwiseAlg::linear;
  float alpha = 1.f;
  float beta = 0.f;
};

// True when the backward rule of `alg` needs the forward *output* (dst) instead of its input:
// relu (alpha >= 0), elu (alpha >= 0), logistic, tanh, exp, sqrt. Saves keeping the input alive.
bool eltwise_backward_uses_dst(const Eltwise& e);

// gt yields 1.0 where a > b, else 0.0.
// Geometry of a 1-D or 2-D convolution or pooling window over channels-last data:
// x (N, W, C) or (N, H, W, C). Index d < spatial runs over (W) or (H, W). Padding may be
// asymmetric (Keras 'same' pads more at the end).
struct WindowParams {
  int spatial = 2;
  int64_t kernel[2] = {1, 1};    // pooling window (convolutions take it from the kernel)
  int64_t strides[2] = {1, 1};
  int64_t dilation[2] = {1, 1};  // Keras dilation_rate (1 = dense)
  int64_t pad_begin[2] = {0, 0};
  int64_t pad_end[2] = {0, 0};
  int64_t groups = 1;            // convolutions only
};

enum class PoolKind { max, average };  // average excludes padding, as Keras

enum class BinaryOp { add, sub, mul, div, max, min, gt };
enum class ReduceOp { sum, mean, max, min };

// A recurrent layer's cell, in Keras' terms. gru is GRU(reset_after=False) (the reset gate
// scales h before the recurrent product: oneDNN's gru); gru_reset_after is GRU(reset_after=True)
// (oneDNN's linear-before-reset lbr_gru).
enum class RnnCell { simple, lstm, gru, gru_reset_after };

// Gates per cell: simple 1, lstm 4 (i, f, c, o), gru / gru_reset_after 3 (z, r, h).
int rnn_gates(RnnCell cell);
// "simple", "lstm", "gru", "gru_reset_after": how messages name a cell.
const char* rnn_cell_name(RnnCell cell);

// One recurrent layer over a whole sequence. Weights are in Keras layout: kernel (I, G·U),
// recurrent (U, G·U), bias (G·U) — or (2, 3·U) for gru_reset_after, row 0 the input bias and
// row 1 the recurrent bias. `activation` is the simple cell's (tanh, relu or logistic); LSTM and
// GRU always use sigmoid gates and tanh.
struct RnnParams {
  RnnCell cell = RnnCell::lstm;
  EltwiseAlg activation = EltwiseAlg::tanh;
  // Runs from the last time step to the first (Keras go_backwards); outputs stay at the index of
  // the input step they belong to.
  bool reverse = false;
  // Non-zero: the caller promises kernel/recurrent/bias hold the same values as on an earlier
  // call with the same weights_key and buffers, so a backend may reuse its reordered copy of them
  // (inference keeps weights in the primitive's preferred layout across batches).
  uint64_t weights_key = 0;
};

// Counters that show the steady state: after a warm-up batch, training creates no primitives
// and takes no memory from the system.
struct BackendStats {
  int64_t cached_primitives = 0;   // compiled primitives / plans kept for reuse
  int64_t system_allocations = 0;  // blocks ever taken from the system allocator
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;
  virtual DeviceKind device() const = 0;

  // ---- memory -----------------------------------------------------------------------------
  // Returns at least `bytes` of memory aligned to 64 bytes, from a pool keyed by size.
  virtual std::shared_ptr<Buffer> allocate(size_t bytes) = 0;
  // Called by ~Buffer: returns a block to the pool.
  virtual void release(void* data, size_t bytes) = 0;
  virtual void copy_from_host(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  // Sets every element of `dst` (any dtype) to `value`.
  virtual void fill(const View& dst, double value) = 0;

  // ---- dense algebra ----------------------------------------------------------------------
  // c = act(op(a) · op(b) + bias) + beta * c, where op transposes the last two dims when asked.
  // a: [..., M, K] (or [..., K, M] if trans_a), b: [..., K, N] (or [..., N, K] if trans_b),
  // c: [..., M, N]. All three have the same rank (2 or more); batch dims of a and b are equal or
  // 1 (broadcast). bias is null or has shape [N]. beta is 0 (overwrite) or 1 (accumulate; used
  // for gradient accumulation). act.alg == linear with alpha 1, beta 0 means no activation.
  virtual void matmul(const View& a, bool trans_a, const View& b, bool trans_b, const View* bias,
                      const View& c, float beta = 0.f, Eltwise act = {}) = 0;

  // c = a (op) b with NumPy broadcasting. a, b and c have the same rank; every dim of a and b
  // equals c's or is 1. c may alias a or b when that operand has c's shape.
  virtual void binary(BinaryOp op, const View& a, const View& b, const View& c) = 0;

  // y = reduce(x) over every axis where y's dim is 1 and x's is not. Same rank.
  virtual void reduce(ReduceOp op, const View& x, const View& y) = 0;

  // y[perm-permuted] = x: y.shape[i] == x.shape[perm[i]].
  virtual void transpose(const View& x, const View& y, const std::vector<int>& perm) = 0;

  // ---- activations ------------------------------------------------------------------------
  // y = f(x); y may alias x.
  virtual void eltwise_forward(const Eltwise& e, const View& x, const View& y) = 0;
  // dx = dy * f'(.), where `saved` is the forward output when eltwise_backward_uses_dst(e),
  // else the forward input.
  virtual void eltwise_backward(const Eltwise& e, const View& dy, const View& saved,
                                const View& dx) = 0;
  // Softmax (or log-softmax when `log`) along `axis` (already non-negative).
  virtual void softmax_forward(const View& x, const View& y, int axis, bool log) = 0;
  // `y` is the forward output.
  virtual void softmax_backward(const View& dy, const View& y, const View& dx, int axis,
                                bool log) = 0;

  // ---- convolution (channels-last activations, Keras kernel layouts) ----------------------
  // y = act(conv(x, w) + bias). x (N, [H,] W, Cin); w in Keras layout (k..., Cin / groups, Cout);
  // bias (Cout,) or null; y (N, [OH,] OW, Cout) as p implies. Cross-correlation, no flip.
  virtual void conv_forward(const View& x, const View& w, const View* bias, const View& y,
                            const WindowParams& p, Eltwise act = {});
  virtual void conv_backward_data(const View& dy, const View& w, const View& dx,
                                  const WindowParams& p);
  // dw (and dbias when non-null) from the forward input x and dy; overwrites them.
  virtual void conv_backward_weights(const View& dy, const View& x, const View& dw,
                                     const View* dbias, const WindowParams& p);
  // Transposed convolution (Keras Conv2DTranspose): w in Keras layout (k..., Cout, Cin);
  // y (N, [OH,] OW, Cout) with OW = (W - 1) * stride + dilation * (k - 1) + 1 - pads; the end
  // pad follows from y's shape and may be negative (down to 1 - stride: Keras output_padding),
  // the extra trailing pixels then receiving only the bias.
  virtual void deconv_forward(const View& x, const View& w, const View* bias, const View& y,
                              const WindowParams& p);
  virtual void deconv_backward_data(const View& dy, const View& w, const View& dx,
                                    const WindowParams& p);
  virtual void deconv_backward_weights(const View& dy, const View& x, const View& dw,
                                       const View* dbias, const WindowParams& p);

  // ---- pooling, normalisation, resampling -------------------------------------------------
  // Max or average pooling over the window of p. With `training`, max pooling returns the
  // workspace pool_backward needs; otherwise (inference) the payload may be null.
  virtual PayloadPtr pool_forward(PoolKind kind, const View& x, const View& y,
                                  const WindowParams& p, bool training);
  virtual void pool_backward(PoolKind kind, const View& dy, const Payload* saved, const View& dx,
                             const WindowParams& p);
  // Batch normalisation over every axis but the last (C). gamma/beta (C,) or null (scale 1 /
  // shift 0). training: normalises with the batch statistics and writes them (mean, biased
  // variance) into mean/var; else normalises with the given mean/var.
  virtual void batchnorm_forward(const View& x, const View& y, const View* gamma,
                                 const View* beta, const View& mean, const View& var, float eps,
                                 bool training);
  // Backward of the training-mode forward, with the batch mean/var it produced. dgamma/dbeta
  // are written when non-null.
  virtual void batchnorm_backward(const View& dy, const View& x, const View* gamma,
                                  const View& mean, const View& var, const View& dx,
                                  const View* dgamma, const View* dbeta, float eps);
  // Layer normalisation over the last axis; the payload keeps the statistics for backward.
  virtual PayloadPtr layernorm_forward(const View& x, const View& y, const View* gamma,
                                       const View* beta, float eps);
  virtual void layernorm_backward(const View& dy, const View& x, const View* gamma,
                                  const Payload& saved, const View& dx, const View* dgamma,
                                  const View* dbeta, float eps);
  // Resizes (N, H, W, C) to y's (N, OH, OW, C): nearest or bilinear with half-pixel centres
  // (Keras UpSampling2D / image.resize).
  virtual void resample_forward(const View& x, const View& y, bool bilinear);
  virtual void resample_backward(const View& dy, const View& dx, bool bilinear);
  // Copies between `small` and the window of `big` that starts at `offsets` (one per dim, same
  // rank): into_big writes big's window from small (the rest of big is untouched), else reads
  // it into small. Zero padding and cropping are built from this.
  virtual void window_copy(const View& small, const View& big,
                           const std::vector<int64_t>& offsets, bool into_big);
  // Per-sample affine warp of images for augmentation (Keras ops.image.affine_transform /
  // ImageProjectiveTransformV3, affine only). x: (N, H, W, C), y: (N, OH, OW, C), float32,
  // not aliased. Output pixel (r, c) of sample n samples x[n] at (r', c') = M_n · (r, c, 1),
  // M_n = matrices[n*6 .. n*6+6) (row-major 2x3, host memory), in pixel-index coordinates
  // (pixel centres at integers). Rows come first, so Keras' [a0 a1 a2 b0 b1 b2] (x = column)
  // is M = [b1 b0 b2; a1 a0 a2]. bilinear blends the four pixels around (r', c'); nearest takes
  // (round(r'), round(c')), halves away from zero. Each of those integer pixel indices that
  // falls outside the image is remapped per fill_mode: 0 reflect (d c b a | a b c d | d c b a),
  // 1 constant (reads fill_value), 2 nearest (a a | a b c d | d d), 3 wrap (a b c d | a b c d).
  // Zero-weight neighbours are skipped, so integer coordinates copy pixels exactly. Source
  // coordinates that are NaN, infinite or beyond ±2^40 read fill_value.
  virtual void image_transform(const View& x, const View& y, const float* matrices,
                               bool bilinear, int fill_mode, float fill_value);

  // ---- recurrent layers ---------------------------------------------------------------------
  // x (N, T, I) batch-major; h0 / c0 (N, U) initial states or null (zeros; c0 LSTM only); bias
  // null = zeros. Writes y (N, T, U), every step's output h_t at the index of its input step;
  // h_last (N, U) the state after the last processed step and, for LSTM, c_last (N, U).
  // With `training` it returns what rnn_backward needs (the primitive's workspace); otherwise
  // the payload may be null.
  virtual PayloadPtr rnn_forward(const RnnParams& p, const View& x, const View* h0,
                                 const View* c0, const View& kernel, const View& recurrent,
                                 const View* bias, const View& y, const View& h_last,
                                 const View* c_last, bool training);
  // Backward of a training-mode rnn_forward with the same arguments. dy (N, T, U); dh_last /
  // dc_last null = zero. Overwrites dx, dkernel, drecurrent and, when non-null, dh0, dc0, dbias.
  virtual void rnn_backward(const RnnParams& p, const Payload& saved, const View& x,
                            const View* h0, const View* c0, const View& kernel,
                            const View& recurrent, const View* bias, const View& y,
                            const View& h_last, const View* c_last, const View& dy,
                            const View* dh_last, const View* dc_last, const View& dx,
                            const View* dh0, const View* dc0, const View& dkernel,
                            const View& drecurrent, const View* dbias);

  // ---- indexing / random ------------------------------------------------------------------
  // out[i, c] = (labels[i] == c) ? 1 : 0 for labels of dtype int32, int64 or float32 (integral
  // values). out: [N, C] float32, labels: [N]. Throws ValueError naming the first bad label when a
  // label is outside [0, C) or not integral.
  virtual void one_hot(const View& labels, const View& out) = 0;
  // Row gather (embedding lookup): out[i, :] = table[indices[i], :]. table (V, D) float32;
  // indices int32 or int64 of any shape, read flat (M elements); out float32 with M * D elements
  // (any shape, e.g. indices' shape + (D,)). Throws ValueError naming the first index outside
  // [0, V) and its flat position.
  virtual void gather_rows(const View& table, const View& indices, const View& out);
  // Its backward: table_grad[indices[i], :] += grad[i, :] (accumulates; repeated indices add up).
  // grad float32 with M * D elements, table_grad (V, D) float32. Indices as for gather_rows.
  virtual void scatter_add_rows(const View& grad, const View& indices, const View& table_grad);
  // Inverted-dropout mask: each element is 0 with probability `rate`, else 1 / (1 - rate).
  // Deterministic in (seed, offset): the same pair gives the same mask on every backend run.
  virtual void dropout_mask(const View& mask, float rate, uint64_t seed, uint64_t offset) = 0;
  // y = x ⊙ dropout_mask(rate, seed, offset); the payload carries what dropout_backward needs.
  virtual PayloadPtr dropout_forward(const View& x, const View& y, float rate, uint64_t seed,
                                     uint64_t offset) = 0;
  // dx = dy ⊙ the forward's mask. `saved` must come from this backend's dropout_forward.
  virtual void dropout_backward(const View& dy, const Payload& saved, const View& dx) = 0;

  // ---- fused optimizer updates (Keras 3 update rules, in place) ---------------------------
  // momentum == 0: p -= lr * g.
  // else: v = momentum * v - lr * g; p += nesterov ? momentum * v - lr * g : v.
  virtual void sgd_update(const View& p, const View& g, const View* velocity, float lr,
                          float momentum, bool nesterov) = 0;
  // step is 1-based. alpha = lr * sqrt(1 - beta2^step) / (1 - beta1^step);
  // m += (g - m)(1 - beta1); v += (g² - v)(1 - beta2);
  // if vhat: vhat = max(vhat, v), use vhat for v; p -= alpha * m / (sqrt(v) + eps).
  virtual void adam_update(const View& p, const View& g, const View& m, const View& v,
                           const View* vhat, float lr, float beta1, float beta2, float eps,
                           int64_t step) = 0;
  // ms = rho * ms + (1 - rho) g²; if mg: mg = rho * mg + (1 - rho) g, denom = ms - mg² + eps,
  // else denom = ms + eps; inc = lr * g / sqrt(denom);
  // if mom: mom = momentum * mom + inc, p -= mom; else p -= inc.
  virtual void rmsprop_update(const View& p, const View& g, const View& ms, const View* mg,
                              const View* mom, float lr, float rho, float momentum,
                              float eps) = 0;

  // ---- checks -----------------------------------------------------------------------------
  // Index of the first element that is NaN or ±inf, or -1 when all are finite. float32 only.
  virtual int64_t first_non_finite(const View& x) = 0;

  virtual BackendStats stats() const = 0;

 protected:
  [[noreturn]] void unsupported(const char* op) const;
};

// The process-wide backend (see the header comment for how it is chosen).
Backend& default_backend();
// Names of the backends compiled into this build, e.g. {"onednn"}.
std::vector<std::string> available_backends();
// Looks a compiled backend up by name; throws ValueError listing the valid names.
Backend& backend_by_name(const std::string& name);

}  // namespace strata
