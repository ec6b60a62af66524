// The oneDNN backend class: wires the Backend interface to the pooled allocator, the cached
// oneDNN primitives (onednn_*.cpp) and the OpenMP loops (cpu_*.cpp).
#include "strata/backends/onednn/onednn_backend.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#define STRATA_HAS_MXCSR 1
#endif

#include "strata/backends/onednn/cpu_kernels.hpp"
#include "strata/backends/onednn/cpu_optimizers.hpp"
#include "strata/backends/onednn/memory_pool.hpp"
#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/onednn_rnn.hpp"
#include "strata/core/error.hpp"

namespace strata {

namespace {

// Flush-to-zero and denormals-are-zero on this thread and on every OpenMP worker (oneDNN runs
// on the same OpenMP pool): Adam's second moments decay into denormals, whose arithmetic is
// ~100x slower on x86 and would slow training down epoch after epoch.
void enable_flush_to_zero() {
#ifdef STRATA_HAS_MXCSR
  constexpr unsigned kFtzDaz = 0x8040;
  _mm_setcsr(_mm_getcsr() | kFtzDaz);
#pragma omp parallel
  { _mm_setcsr(_mm_getcsr() | kFtzDaz); }
#endif
}

// dropout's saved state: the mask, kept in pooled memory until the backward pass is done.
struct DropoutPayload : Payload {
  std::shared_ptr<Buffer> mask;
  Shape shape;
};

class OneDnnBackend final : public Backend {
 public:
  OneDnnBackend() {
    enable_flush_to_zero();
    // Create the engine and stream now rather than inside the first timed op.
    onednn::stream();
  }

  std::string name() const override { return "onednn"; }
  DeviceKind device() const override { return DeviceKind::cpu; }

  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    void* p = pool_.acquire(bytes);
    try {
      return std::allocate_shared<Buffer>(onednn::PoolAllocator<Buffer>(&pool_), this, p, bytes);
    } catch (...) {
      pool_.give_back(p, bytes);
      throw;
    }
  }
  void release(void* data, size_t bytes) override { pool_.give_back(data, bytes); }
  // Empty copies may come with null pointers (empty host vectors), which memcpy forbids.
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override {
    if (bytes) std::memcpy(dst, host_src, bytes);
  }
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(host_dst, src, bytes);
  }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes && dst != src) std::memcpy(dst, src, bytes);
  }
  void fill(const View& dst, double value) override { onednn::fill(dst, value); }

  void matmul(const View& a, bool trans_a, const View& b, bool trans_b, const View* bias,
              const View& c, float beta, Eltwise act) override {
    onednn::matmul(a, trans_a, b, trans_b, bias, c, beta, act);
  }
  void binary(BinaryOp op, const View& a, const View& b, const View& c) override {
    onednn::binary(op, a, b, c);
  }
  void reduce(ReduceOp op, const View& x, const View& y) override { onednn::reduce(op, x, y); }
  void transpose(const View& x, const View& y, const std::vector<int>& perm) override {
    onednn::transpose(x, y, perm);
  }

  void eltwise_forward(const Eltwise& e, const View& x, const View& y) override {
    onednn::eltwise_forward(e, x, y);
  }
  void eltwise_backward(const Eltwise& e, const View& dy, const View& saved,
                        const View& dx) override {
    onednn::eltwise_backward(e, dy, saved, dx);
  }
  void softmax_forward(const View& x, const View& y, int axis, bool log) override {
    onednn::softmax_forward(x, y, axis, log);
  }
  void softmax_backward(const View& dy, const View& y, const View& dx, int axis,
                        bool log) override {
    onednn::softmax_backward(dy, y, dx, axis, log);
  }

  void one_hot(const View& labels, const View& out) override { onednn::one_hot(labels, out); }
  void dropout_mask(const View& mask, float rate, uint64_t seed, uint64_t offset) override {
    onednn::dropout_mask(mask, rate, seed, offset);
  }
  PayloadPtr dropout_forward(const View& x, const View& y, float rate, uint64_t seed,
                             uint64_t offset) override {
    auto saved = std::make_shared<DropoutPayload>();
    saved->mask = allocate(static_cast<size_t>(x.shape.numel()) * sizeof(float));
    saved->shape = x.shape;
    const View mask{saved->mask->data(), x.shape};
    onednn::dropout_mask(mask, rate, seed, offset);
    onednn::binary(BinaryOp::mul, x, mask, y);
    return saved;
  }
  void dropout_backward(const View& dy, const Payload& saved, const View& dx) override {
    const auto* p = dynamic_cast<const DropoutPayload*>(&saved);
    if (!p || p->shape != dy.shape)
      throw ValueError("onednn dropout_backward: the payload does not come from a dropout_forward "
                       "of shape " + dy.shape.str());
    onednn::binary(BinaryOp::mul, dy, View{p->mask->data(), p->shape}, dx);
  }

  void sgd_update(const View& p, const View& g, const View* velocity, float lr, float momentum,
                  bool nesterov) override {
    onednn::sgd_update(p, g, velocity, lr, momentum, nesterov);
  }
  void adam_update(const View& p, const View& g, const View& m, const View& v, const View* vhat,
                   float lr, float beta1, float beta2, float eps, int64_t step) override {
    onednn::adam_update(p, g, m, v, vhat, lr, beta1, beta2, eps, step);
  }
  void rmsprop_update(const View& p, const View& g, const View& ms, const View* mg,
                      const View* mom, float lr, float rho, float momentum,
                      float eps) override {
    onednn::rmsprop_update(p, g, ms, mg, mom, lr, rho, momentum, eps);
  }

  void gather_rows(const View& table, const View& indices, const View& out) override {
    onednn::gather_rows(table, indices, out);
  }
  void scatter_add_rows(const View& grad, const View& indices, const View& table_grad) override {
    onednn::scatter_add_rows(grad, indices, table_grad);
  }
  int64_t first_non_finite(const View& x) override { return onednn::first_non_finite(x); }

  // ---- convolution: onednn_conv.cpp, onednn_deconv.cpp ----
  void conv_forward(const View& x, const View& w, const View* bias, const View& y,
                    const WindowParams& p, Eltwise act) override {
    onednn::conv_forward(x, w, bias, y, p, act);
  }
  void conv_backward_data(const View& dy, const View& w, const View& dx,
                          const WindowParams& p) override {
    onednn::conv_backward_data(dy, w, dx, p);
  }
  void conv_backward_weights(const View& dy, const View& x, const View& dw, const View* dbias,
                             const WindowParams& p) override {
    onednn::conv_backward_weights(dy, x, dw, dbias, p);
  }
  void deconv_forward(const View& x, const View& w, const View* bias, const View& y,
                      const WindowParams& p) override {
    onednn::deconv_forward(x, w, bias, y, p);
  }
  void deconv_backward_data(const View& dy, const View& w, const View& dx,
                            const WindowParams& p) override {
    onednn::deconv_backward_data(dy, w, dx, p);
  }
  void deconv_backward_weights(const View& dy, const View& x, const View& dw, const View* dbias,
                               const WindowParams& p) override {
    onednn::deconv_backward_weights(dy, x, dw, dbias, p);
  }

  // ---- pooling, normalisation, resampling, windows: onednn_pool.cpp, onednn_norm.cpp, ... ----
  PayloadPtr pool_forward(PoolKind kind, const View& x, const View& y, const WindowParams& p,
                          bool training) override {
    return onednn::pool_forward(*this, kind, x, y, p, training);
  }
  void pool_backward(PoolKind kind, const View& dy, const Payload* saved, const View& dx,
                     const WindowParams& p) override {
    onednn::pool_backward(kind, dy, saved, dx, p);
  }
  void batchnorm_forward(const View& x, const View& y, const View* gamma, const View* beta,
                         const View& mean, const View& var, float eps, bool training) override {
    onednn::batchnorm_forward(x, y, gamma, beta, mean, var, eps, training);
  }
  void batchnorm_backward(const View& dy, const View& x, const View* gamma, const View& mean,
                          const View& var, const View& dx, const View* dgamma, const View* dbeta,
                          float eps) override {
    onednn::batchnorm_backward(dy, x, gamma, mean, var, dx, dgamma, dbeta, eps);
  }
  PayloadPtr layernorm_forward(const View& x, const View& y, const View* gamma,
                               const View* beta, float eps) override {
    return onednn::layernorm_forward(*this, x, y, gamma, beta, eps);
  }
  void layernorm_backward(const View& dy, const View& x, const View* gamma, const Payload& saved,
                          const View& dx, const View* dgamma, const View* dbeta,
                          float eps) override {
    onednn::layernorm_backward(dy, x, gamma, saved, dx, dgamma, dbeta, eps);
  }
  void resample_forward(const View& x, const View& y, bool bilinear) override {
    onednn::resample_forward(x, y, bilinear);
  }
  void resample_backward(const View& dy, const View& dx, bool bilinear) override {
    onednn::resample_backward(dy, dx, bilinear);
  }
  void window_copy(const View& small, const View& big, const std::vector<int64_t>& offsets,
                   bool into_big) override {
    onednn::window_copy(small, big, offsets, into_big);
  }

  // ---- recurrent layers: onednn_rnn.cpp ----
  PayloadPtr rnn_forward(const RnnParams& p, const View& x, const View* h0, const View* c0,
                         const View& kernel, const View& recurrent, const View* bias,
                         const View& y, const View& h_last, const View* c_last,
                         bool training) override {
    return onednn::rnn_forward(*this, p, x, h0, c0, kernel, recurrent, bias, y, h_last, c_last,
                               training);
  }
  void rnn_backward(const RnnParams& p, const Payload& saved, const View& x, const View* h0,
                    const View* c0, const View& kernel, const View& recurrent, const View* bias,
                    const View& y, const View& h_last, const View* c_last, const View& dy,
                    const View* dh_last, const View* dc_last, const View& dx, const View* dh0,
                    const View* dc0, const View& dkernel, const View& drecurrent,
                    const View* dbias) override {
    onednn::rnn_backward(p, saved, x, h0, c0, kernel, recurrent, bias, y, h_last, c_last, dy,
                         dh_last, dc_last, dx, dh0, dc0, dkernel, drecurrent, dbias);
  }

  // ---- image augmentation: cpu_image.cpp ----
  void image_transform(const View& x, const View& y, const float* matrices, bool bilinear,
                       int fill_mode, float fill_value) override {
    onednn::image_transform(x, y, matrices, bilinear, fill_mode, fill_value);
  }

  BackendStats stats() const override {
    return {static_cast<int64_t>(onednn::cached_primitive_count() +
                                 onednn::rnn_cached_primitive_count()),
            pool_.system_allocations()};
  }

 private:
  onednn::MemoryPool pool_;
};

}  // namespace

std::unique_ptr<Backend> make_onednn_backend() { return std::make_unique<OneDnnBackend>(); }

}  // namespace strata
