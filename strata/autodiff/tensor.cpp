#include "strata/autodiff/tensor.hpp"

#include <cstring>

#include "strata/autodiff/node.hpp"
#include "strata/core/error.hpp"

namespace strata {

Tensor Tensor::empty(const Shape& shape, DType dtype, Backend& backend) {
  for (int64_t d : shape)
    if (d < 0) throw ValueError("cannot allocate a tensor of shape " + shape.str());
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->buffer = backend.allocate(static_cast<size_t>(shape.numel()) * dtype_size(dtype));
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Backend& backend) {
  Tensor t = empty(shape, dtype, backend);
  backend.fill(t.view(), value);
  return t;
}

Tensor Tensor::from_host(const Shape& shape, DType dtype, const void* data, Backend& backend) {
  Tensor t = empty(shape, dtype, backend);
  backend.copy_from_host(t.data(), data, t.nbytes());
  return t;
}

namespace {
template <class T>
Tensor from_vec(const Shape& shape, const std::vector<T>& v, Backend& backend) {
  if (static_cast<int64_t>(v.size()) != shape.numel())
    throw ValueError("Tensor::from_vector: shape " + shape.str() + " needs " +
                     std::to_string(shape.numel()) + " values, got " + std::to_string(v.size()));
  return Tensor::from_host(shape, dtype_of<T>(), v.data(), backend);
}
}  // namespace

Tensor Tensor::from_vector(const Shape& s, const std::vector<float>& v, Backend& b) {
  return from_vec(s, v, b);
}
Tensor Tensor::from_vector(const Shape& s, const std::vector<int32_t>& v, Backend& b) {
  return from_vec(s, v, b);
}
Tensor Tensor::from_vector(const Shape& s, const std::vector<int64_t>& v, Backend& b) {
  return from_vec(s, v, b);
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(static_cast<size_t>(numel()));
  if (dtype() == dtype_of<T>()) {
    backend().copy_to_host(out.data(), data(), nbytes());
    return out;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (dtype() == DType::int32) {
      auto v = to_vector<int32_t>();
      for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
      return out;
    }
    if (dtype() == DType::int64) {
      auto v = to_vector<int64_t>();
      for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
      return out;
    }
  }
  throw ValueError("to_vector: tensor has dtype " + dtype_name(dtype()) + ", asked for " +
                   dtype_name(dtype_of<T>()));
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

float Tensor::item() const {
  if (numel() != 1)
    throw ValueError("item(): tensor of shape " + shape().str() + " has " +
                     std::to_string(numel()) + " elements, expected 1");
  return to_vector<float>()[0];
}

Tensor& Tensor::set_requires_grad(bool r) {
  if (r && dtype() != DType::float32)
    throw ValueError("only float32 tensors can require gradients, got " + dtype_name(dtype()));
  impl_->requires_grad = r;
  return *this;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  impl->buffer = impl_->buffer;
  impl->offset = impl_->offset;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), dtype(), backend());
  backend().copy(t.data(), data(), nbytes());
  return t;
}

void Tensor::copy_(const Tensor& src) {
  if (src.numel() != numel() || src.dtype() != dtype())
    throw ValueError("copy_: source " + src.shape().str() + " " + dtype_name(src.dtype()) +
                     " does not match destination " + shape().str() + " " +
                     dtype_name(dtype()));
  bump_version();
  if (&src.backend() == &backend()) {
    backend().copy(data(), src.data(), nbytes());
  } else {
    std::vector<char> host(nbytes());
    src.backend().copy_to_host(host.data(), src.data(), nbytes());
    backend().copy_from_host(data(), host.data(), nbytes());
  }
}

Tensor Tensor::slice_rows(int64_t begin, int64_t end) const {
  if (rank() < 1 || begin < 0 || end > dim(0) || begin > end)
    throw ValueError("slice_rows: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") out of range for shape " + shape().str());
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = impl_->shape;
  impl->shape[0] = end - begin;
  impl->dtype = impl_->dtype;
  impl->buffer = impl_->buffer;
  impl->offset = impl_->offset + static_cast<size_t>(begin) *
                                     static_cast<size_t>(impl_->shape.drop_front().numel()) *
                                     dtype_size(impl_->dtype);
  return Tensor(std::move(impl));
}

}  // namespace strata
