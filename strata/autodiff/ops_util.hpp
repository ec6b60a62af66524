// Helpers shared by the op source files (internal; not part of the public API).
#pragma once

#include <string>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

namespace strata::ops::detail {

inline void require_float(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(std::string(op) + ": got an undefined tensor");
  if (t.dtype() != DType::float32)
    throw ValueError(std::string(op) + ": expected a float32 tensor, got " +
                     dtype_name(t.dtype()) + " of shape " + t.shape().str());
}

inline Tensor empty_like_shape(const Tensor& like, const Shape& s) {
  return Tensor::empty(s, DType::float32, like.backend());
}

// NumPy broadcast of two shapes; throws ValueError naming `op` and both shapes.
inline Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  int r = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      throw ValueError(std::string(op) + ": shapes " + a.str() + " and " + b.str() +
                       " cannot be broadcast together");
    out.push_back(da == 1 ? db : da);
  }
  return out;
}

// The tensor's view with leading 1-dims added up to `rank`.
inline View padded_view(const Tensor& t, int rank) {
  View v = t.view();
  Shape s;
  for (int i = t.rank(); i < rank; ++i) s.push_back(1);
  for (int64_t d : t.shape()) s.push_back(d);
  v.shape = s;
  return v;
}

// A Tensor sharing `t`'s memory but not its graph node: what closures save, so an op's output can
// be kept by its own node without a reference cycle.
inline Tensor saved(const Tensor& t) { return t.detach(); }

}  // namespace strata::ops::detail
