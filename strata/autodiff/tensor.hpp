// Tensor: an n-dimensional array in backend memory that can take part in reverse-mode autodiff.
// A Tensor is a cheap handle (shared ownership); copies alias the same data. Data is always
// contiguous and row-major; reshape and row slices are views sharing the buffer.
//
//   Tensor w = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
//   w.set_requires_grad(true);
//   Tensor loss = ops::sum(ops::mul(w, w));
//   loss.backward();
//   w.grad().to_vector();   // {2, 4, 6, 8}
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/backends/backend.hpp"
#include "strata/core/dtype.hpp"
#include "strata/core/shape.hpp"

namespace strata {

struct Node;

struct TensorImpl {
  Shape shape;
  DType dtype = DType::float32;
  std::shared_ptr<Buffer> buffer;
  size_t offset = 0;  // bytes into buffer, for row-slice views
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;      // null for leaves
  std::shared_ptr<TensorImpl> grad;   // accumulated gradient of a leaf
  // Set on the output of ops::sigmoid and of ops::softmax over the last axis (logits_of names
  // which): the op's input, so crossentropy losses can use the stable from-logits formula on
  // probabilities, as Keras' TF backend does with _keras_logits. Set also under NoGrad.
  std::shared_ptr<TensorImpl> logits;
  const char* logits_of = nullptr;
  // Bumped whenever the values are overwritten in place (copy_, optimizer updates), so caches of
  // derived data (an RNN's reordered weights) know when they are stale.
  uint64_t version = 0;
  void* data() const { return static_cast<char*>(buffer->data()) + offset; }
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Uninitialised memory from the backend's pool.
  static Tensor empty(const Shape& shape, DType dtype = DType::float32,
                      Backend& backend = default_backend());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::float32,
                     Backend& backend = default_backend());
  static Tensor zeros(const Shape& shape, DType dtype = DType::float32,
                      Backend& backend = default_backend()) {
    return full(shape, 0.0, dtype, backend);
  }
  static Tensor ones(const Shape& shape, DType dtype = DType::float32,
                     Backend& backend = default_backend()) {
    return full(shape, 1.0, dtype, backend);
  }
  // Copies host data; throws ValueError when values.size() != shape.numel().
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values,
                            Backend& backend = default_backend());
  static Tensor from_vector(const Shape& shape, const std::vector<int32_t>& values,
                            Backend& backend = default_backend());
  static Tensor from_vector(const Shape& shape, const std::vector<int64_t>& values,
                            Backend& backend = default_backend());
  static Tensor from_host(const Shape& shape, DType dtype, const void* data,
                          Backend& backend = default_backend());
  static Tensor scalar(float v, Backend& backend = default_backend()) {
    return from_vector(Shape{}, std::vector<float>{v}, backend);
  }

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  int rank() const { return impl_->shape.rank(); }
  int64_t numel() const { return impl_->shape.numel(); }
  int64_t dim(int axis) const { return impl_->shape.dim(axis); }
  DType dtype() const { return impl_->dtype; }
  Backend& backend() const { return impl_->buffer->backend(); }
  DeviceKind device() const { return backend().device(); }
  void* data() const { return impl_->data(); }
  float* fdata() const { return static_cast<float*>(impl_->data()); }
  View view() const { return View{impl_->data(), impl_->shape, impl_->dtype}; }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Host copies. to_vector<T>() requires T to match dtype(); float also converts int labels.
  template <class T = float>
  std::vector<T> to_vector() const;
  // The value of a one-element tensor, as float.
  float item() const;

  // Autodiff.
  bool requires_grad() const { return impl_->requires_grad; }
  Tensor& set_requires_grad(bool r);
  bool is_leaf() const { return impl_->grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const { return impl_->grad_fn; }
  // Accumulated gradient of a leaf (undefined until a backward pass reached it).
  Tensor grad() const { return impl_->grad ? Tensor(impl_->grad) : Tensor(); }
  void zero_grad() { impl_->grad.reset(); }
  // Reverse-mode pass from this one-element tensor (seed 1) or with an explicit seed gradient.
  void backward() const;
  void backward(const Tensor& seed) const;
  // Same data, cut from the graph.
  Tensor detach() const;
  // A deep copy with its own buffer (not part of the graph).
  Tensor clone() const;
  // Copies `src`'s values into this tensor's buffer (shapes must match in numel and dtype).
  void copy_(const Tensor& src);
  // See TensorImpl::version. Identical for views of the same impl only.
  uint64_t version() const { return impl_->version; }
  void bump_version() const { ++impl_->version; }

  // Rows [begin, end) along the first dimension, sharing memory (no copy, not differentiable).
  Tensor slice_rows(int64_t begin, int64_t end) const;

  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace strata
