#include "strata/initializers/orthogonal.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "strata/core/error.hpp"
#include "strata/core/random.hpp"

namespace strata::initializers {

namespace {

// Q of the QR decomposition of the column-major m×n matrix `a` (m >= n), with R's diagonal made
// positive — the same Q as Keras' `q * sign(diag(r))`. Modified Gram-Schmidt, run twice per
// column so the columns stay orthogonal to double precision.
void orthonormalize_columns(std::vector<double>& a, int64_t m, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double* cj = a.data() + j * m;
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t k = 0; k < j; ++k) {
        const double* ck = a.data() + k * m;
        double dot = 0;
        for (int64_t i = 0; i < m; ++i) dot += ck[i] * cj[i];
        for (int64_t i = 0; i < m; ++i) cj[i] -= dot * ck[i];
      }
    double norm = 0;
    for (int64_t i = 0; i < m; ++i) norm += cj[i] * cj[i];
    norm = std::sqrt(norm);
    // A normal draw is rank-deficient with probability 0; guard anyway rather than divide by 0.
    if (norm < 1e-300)
      throw ValueError("Orthogonal: the random matrix was rank-deficient; draw again");
    for (int64_t i = 0; i < m; ++i) cj[i] /= norm;
  }
}

}  // namespace

std::vector<float> Orthogonal::values(const Shape& shape) const {
  if (shape.rank() < 2)
    throw ValueError("Orthogonal: the tensor to initialize must be at least two-dimensional, "
                     "got shape " + shape.str());
  int64_t rows = 1;
  for (int d = 0; d < shape.rank() - 1; ++d) rows *= shape[d];
  const int64_t cols = shape[shape.rank() - 1];
  const int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  std::mt19937_64 gen(o_.seed ? *o_.seed : next_seed());
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> a(static_cast<size_t>(m * n));  // column-major m×n
  for (auto& v : a) v = normal(gen);
  orthonormalize_columns(a, m, n);
  // rows >= cols: the weight is Q (m = rows); otherwise Qᵀ, whose rows are Q's columns.
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double q = rows >= cols ? a[c * m + r] : a[r * m + c];
      out[r * cols + c] = static_cast<float>(o_.gain * q);
    }
  return out;
}

nlohmann::json Orthogonal::get_config() const {
  return {{"gain", o_.gain}, {"seed", o_.seed ? nlohmann::json(*o_.seed) : nlohmann::json(nullptr)}};
}

}  // namespace strata::initializers
