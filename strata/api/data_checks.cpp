#include "strata/api/data_checks.hpp"

#include <cmath>
#include <cstdio>

#include "strata/core/error.hpp"

namespace strata {

namespace {

void check_finite(const std::string& who, const char* what, const Tensor& t) {
  if (t.dtype() != DType::float32) return;
  int64_t bad = t.backend().first_non_finite(t.view());
  if (bad < 0) return;
  const int64_t per_sample = std::max<int64_t>(1, t.numel() / t.dim(0));
  throw ValueError(who + ": " + what + " contains a non-finite value (NaN or inf) at sample " +
                   std::to_string(bad / per_sample) + " (element " +
                   std::to_string(bad % per_sample) + " of that sample)");
}

std::string format_label(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

}  // namespace

void check_x(const std::string& who, const Tensor& x, DType expected) {
  if (!x.defined()) throw ValueError(who + ": x is undefined");
  if (x.rank() < 1 || x.dim(0) == 0)
    throw ValueError(who + ": x is empty (shape " + x.shape().str() + "); need at least one sample");
  if (x.dtype() != expected)
    throw ValueError(who + ": x must be " + dtype_name(expected) + ", got " +
                     dtype_name(x.dtype()) +
                     (expected == DType::float32
                          ? std::string(" (integer x needs a model whose Input has an integer dtype)")
                          : std::string(" (the model's Input has dtype ") + dtype_name(expected) + ")"));
  check_finite(who, "x", x);  // float32 only: integers cannot be NaN or inf
}

void check_xy(const std::string& who, const Tensor& x, const Tensor& y, DType x_dtype) {
  check_x(who, x, x_dtype);
  if (!y.defined()) throw ValueError(who + ": y is undefined");
  if (y.rank() < 1 || y.dim(0) != x.dim(0))
    throw ValueError(who + ": x and y must have the same number of samples; x has " +
                     std::to_string(x.dim(0)) + " " + x.shape().str() + ", y has " +
                     (y.rank() ? std::to_string(y.dim(0)) : std::string("none")) + " " +
                     y.shape().str());
  check_finite(who, "y", y);
}

void check_sparse_labels(const std::string& who, const Tensor& y, int64_t num_classes) {
  if (y.rank() > 2 || (y.rank() == 2 && y.dim(1) != 1))
    throw ValueError(who + ": sparse labels must have shape (N,) or (N, 1), got " +
                     y.shape().str());
  auto v = y.to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != std::floor(v[i]) || v[i] < 0 || v[i] >= static_cast<float>(num_classes))
      throw ValueError(who + ": label " + format_label(v[i]) + " at sample " +
                       std::to_string(i) + " is not a class index in [0, " +
                       std::to_string(num_classes) + ")");
  }
}

}  // namespace strata
