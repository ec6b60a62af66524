#include "strata/autodiff/ops_util.hpp"

namespace strata::ops {

using namespace detail;

Tensor dropout(const Tensor& x, float rate, uint64_t seed, uint64_t offset) {
  require_float(x, "dropout");
  if (!(rate >= 0.f && rate < 1.f))
    throw ValueError("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (rate == 0.f) return x;
  Tensor y = empty_like_shape(x, x.shape());
  PayloadPtr saved = x.backend().dropout_forward(x.view(), y.view(), rate, seed, offset);
  if (needs_grad({&x}))
    attach_node(y, "dropout", {x}, [saved](const Tensor& g) {
      Tensor dx = Tensor::empty(g.shape(), DType::float32, g.backend());
      g.backend().dropout_backward(g.view(), *saved, dx.view());
      return std::vector<Tensor>{dx};
    });
  return y;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes) {
  if (labels.rank() != 1)
    throw ValueError("one_hot: labels must have shape (N,), got " + labels.shape().str());
  Tensor y = Tensor::empty(Shape{labels.dim(0), num_classes}, DType::float32, labels.backend());
  labels.backend().one_hot(labels.view(), y.view());
  return y;
}

Tensor embedding_lookup(const Tensor& table, const Tensor& indices) {
  require_float(table, "embedding_lookup");
  if (table.rank() != 2)
    throw ValueError("embedding_lookup: table must have shape (rows, width), got " +
                     table.shape().str());
  if (!indices.defined() || (indices.dtype() != DType::int32 && indices.dtype() != DType::int64))
    throw ValueError(std::string("embedding_lookup: indices must be int32 or int64, got ") +
                     (indices.defined() ? dtype_name(indices.dtype()) : "an undefined tensor"));
  Shape out_shape = indices.shape();
  out_shape.push_back(table.dim(1));
  Tensor y = empty_like_shape(table, out_shape);
  table.backend().gather_rows(table.view(), indices.view(), y.view());
  if (needs_grad({&table})) {
    Tensor idx = saved(indices);
    const Shape table_shape = table.shape();
    attach_node(y, "embedding_lookup", {table}, [idx, table_shape](const Tensor& g) {
      Tensor dt = Tensor::zeros(table_shape, DType::float32, g.backend());
      g.backend().scatter_add_rows(g.view(), idx.view(), dt.view());
      return std::vector<Tensor>{dt};
    });
  }
  return y;
}

}  // namespace strata::ops
