// Orthogonal: orthonormal rows or columns, gain, seeds, names and Keras configs.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/core/error.hpp"
#include "strata/initializers/orthogonal.hpp"
#include "support/expect_error.hpp"

using namespace strata;
using initializers::Orthogonal;

namespace {

// Gram matrix of the (rows, cols) matrix `w`: w·wᵀ when `of_rows`, else wᵀ·w.
std::vector<double> gram(const std::vector<float>& w, int64_t rows, int64_t cols, bool of_rows) {
  const int64_t k = of_rows ? rows : cols, len = of_rows ? cols : rows;
  std::vector<double> g(k * k, 0.0);
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = 0; b < k; ++b)
      for (int64_t i = 0; i < len; ++i)
        g[a * k + b] += of_rows ? double(w[a * cols + i]) * w[b * cols + i]
                                : double(w[i * cols + a]) * w[i * cols + b];
  return g;
}

void expect_scaled_identity(const std::vector<double>& g, int64_t k, double scale) {
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = 0; b < k; ++b) EXPECT_NEAR(g[a * k + b], a == b ? scale : 0.0, 1e-5);
}

}  // namespace

TEST(Orthogonal, TallMatrixHasOrthonormalColumns) {
  auto w = Orthogonal({.seed = 1}).values(Shape{7, 3});
  ASSERT_EQ(w.size(), 21u);
  expect_scaled_identity(gram(w, 7, 3, false), 3, 1.0);
}

TEST(Orthogonal, WideMatrixHasOrthonormalRows) {
  auto w = Orthogonal({.seed = 2}).values(Shape{4, 16});  // an LSTM recurrent kernel (U, 4U)
  expect_scaled_identity(gram(w, 4, 16, true), 4, 1.0);
}

TEST(Orthogonal, SquareMatrixIsOrthogonalAndGainScales) {
  auto w = Orthogonal({.gain = 2.0, .seed = 3}).values(Shape{5, 5});
  expect_scaled_identity(gram(w, 5, 5, true), 5, 4.0);
  expect_scaled_identity(gram(w, 5, 5, false), 5, 4.0);
}

TEST(Orthogonal, HigherRankFlattensLeadingDims) {
  auto w = Orthogonal({.seed = 4}).values(Shape{2, 3, 4});  // (6, 4) matrix
  expect_scaled_identity(gram(w, 6, 4, false), 4, 1.0);
}

TEST(Orthogonal, SeedRepeatsAndUnseededDiffers) {
  EXPECT_EQ(Orthogonal({.seed = 5}).values(Shape{3, 3}), Orthogonal({.seed = 5}).values(Shape{3, 3}));
  EXPECT_NE(Orthogonal({.seed = 5}).values(Shape{3, 3}), Orthogonal({.seed = 6}).values(Shape{3, 3}));
  Orthogonal unseeded;
  EXPECT_NE(unseeded.values(Shape{3, 3}), unseeded.values(Shape{3, 3}));
}

TEST(Orthogonal, RefusesVectors) {
  test::expect_value_error([] { Orthogonal().values(Shape{5}); },
                           {"Orthogonal", "two-dimensional", "(5,)"});
}

TEST(Orthogonal, KerasNamesAndConfig) {
  auto by_name = get_initializer("orthogonal");
  EXPECT_EQ(by_name->class_name(), "Orthogonal");
  EXPECT_EQ(get_initializer("Orthogonal")->class_name(), "Orthogonal");
  auto from_cfg = initializer_from_config("Orthogonal", {{"gain", 1.5}, {"seed", 7}});
  EXPECT_EQ(from_cfg->get_config(), (nlohmann::json{{"gain", 1.5}, {"seed", 7}}));
  EXPECT_EQ(from_cfg->values(Shape{3, 2}), Orthogonal({.gain = 1.5, .seed = 7}).values(Shape{3, 2}));
  EXPECT_EQ(Orthogonal().get_config(), (nlohmann::json{{"gain", 1.0}, {"seed", nullptr}}));
  auto cfg = initializer_config(Orthogonal({.seed = 3}));
  EXPECT_EQ(cfg["class_name"], "Orthogonal");
}
