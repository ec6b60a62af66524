// LayerNormalization: weights, values (last axis, a middle axis, several axes), gradients,
// errors.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/layers/layer_normalization.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

void set(const Tensor& t, std::vector<float> v) { t.backend().copy_from_host(t.data(), v.data(), t.nbytes()); }

void expect_near(const std::vector<float>& a, const std::vector<double>& b, double tol = 1e-5) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "element " << i;
}

}  // namespace

TEST(LayerNormalization, WeightsAndConfig) {
  LayerNormalization ln;
  ln.build(Shape{-1, 5, 8});
  ASSERT_EQ(ln.weight_entries().size(), 2u);
  EXPECT_EQ(ln.weight_entries()[0].name, "gamma");
  EXPECT_EQ(ln.weight_entries()[1].name, "beta");
  EXPECT_EQ(ln.gamma().shape(), (Shape{8}));
  EXPECT_EQ(ln.count_params(), 16);
  LayerNormalization multi({.axis = {-1, 1}});
  multi.build(Shape{-1, 3, 2, 4});
  EXPECT_EQ(multi.gamma().shape(), (Shape{3, 4}));
  LayerNormalization bare({.center = false, .scale = false});
  bare.build(Shape{-1, 4});
  EXPECT_EQ(bare.count_params(), 0);
  auto c = ln.get_config();
  EXPECT_EQ(c["axis"], nlohmann::json({-1}));
  EXPECT_EQ(c["epsilon"], 0.001);
  EXPECT_EQ(c["center"], true);
  EXPECT_EQ(c["rms_scaling"], false);
  EXPECT_EQ(c["gamma_initializer"]["class_name"], "Ones");
}

TEST(LayerNormalization, NormalisesEachSampleOverTheLastAxis) {
  // Row 0: 1, 2, 3 (mean 2, var 2/3). Row 1: 2, 4, 9 (mean 5, var 26/3).
  Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 2, 4, 9});
  LayerNormalization ln;
  ln.build(x.shape());
  set(ln.gamma(), {1.f, 2.f, -1.f});
  set(ln.beta(), {0.f, 0.5f, 1.f});
  const double g[] = {1, 2, -1}, b[] = {0, 0.5, 1};
  const double mean[] = {2, 5}, var[] = {2.0 / 3, 26.0 / 3};
  const double xv[] = {1, 2, 3, 2, 4, 9};
  std::vector<double> expect;
  for (int i = 0; i < 6; ++i)
    expect.push_back(g[i % 3] * (xv[i] - mean[i / 3]) / std::sqrt(var[i / 3] + 1e-3) + b[i % 3]);
  expect_near(ln(x).to_vector(), expect);
  expect_near(ln(x, true).to_vector(), expect);  // same in training
}

TEST(LayerNormalization, MiddleAndSeveralAxes) {
  Tensor x = test::random_tensor({2, 3, 4}, 4, -2.f, 2.f);
  auto v = x.to_vector();
  auto at = [&](int n, int i, int j) { return double(v[size_t((n * 3 + i) * 4 + j)]); };
  // axis 1: per (n, j), over i.
  LayerNormalization mid({.axis = {1}, .epsilon = 1e-5f});
  std::vector<double> expect(24);
  for (int n = 0; n < 2; ++n)
    for (int j = 0; j < 4; ++j) {
      double m = 0, s = 0;
      for (int i = 0; i < 3; ++i) m += at(n, i, j) / 3;
      for (int i = 0; i < 3; ++i) s += (at(n, i, j) - m) * (at(n, i, j) - m) / 3;
      for (int i = 0; i < 3; ++i) expect[size_t((n * 3 + i) * 4 + j)] = (at(n, i, j) - m) / std::sqrt(s + 1e-5);
    }
  expect_near(mid(x).to_vector(), expect, 2e-5);
  // axes 1 and 2 together: per sample, over 12 values.
  LayerNormalization both({.axis = {1, 2}, .epsilon = 1e-5f});
  for (int n = 0; n < 2; ++n) {
    double m = 0, s = 0;
    for (int k = 0; k < 12; ++k) m += v[size_t(n * 12 + k)] / 12.0;
    for (int k = 0; k < 12; ++k) s += (v[size_t(n * 12 + k)] - m) * (v[size_t(n * 12 + k)] - m) / 12.0;
    for (int k = 0; k < 12; ++k) expect[size_t(n * 12 + k)] = (v[size_t(n * 12 + k)] - m) / std::sqrt(s + 1e-5);
  }
  expect_near(both(x).to_vector(), expect, 2e-5);
}

TEST(LayerNormalization, Gradients) {
  Tensor x = test::random_tensor({3, 5}, 1, -2.f, 2.f).set_requires_grad(true);
  LayerNormalization ln;
  ln.build(x.shape());
  set(ln.gamma(), {1.5f, -0.7f, 0.9f, 1.f, 0.3f});
  set(ln.beta(), {0.2f, 0.f, -0.3f, 0.1f, 0.f});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return ln(in[0]); }, {x, ln.gamma(), ln.beta()}));
  Tensor x3 = test::random_tensor({2, 3, 2}, 2, -2.f, 2.f).set_requires_grad(true);
  LayerNormalization mid({.axis = {1}});
  mid.build(x3.shape());
  set(mid.gamma(), {1.5f, -0.7f, 0.9f});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return mid(in[0]); },
                              {x3, mid.gamma(), mid.beta()}));
  LayerNormalization both({.axis = {1, 2}});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return both(in[0]); }, {x3}));
}

TEST(LayerNormalization, Errors) {
  test::expect_value_error([] { LayerNormalization({.axis = {3}, .name = "ln"}).build(Shape{-1, 2, 3}); },
                           {"LayerNormalization 'ln'", "axis 3", "(None, 2, 3)"});
  test::expect_value_error([] { LayerNormalization({.axis = {0}}).build(Shape{-1, 2}); },
                           {"batch axis"});
  test::expect_value_error([] { LayerNormalization({.axis = {1, -1}}).build(Shape{-1, 2}); },
                           {"twice"});
  test::expect_value_error([] { LayerNormalization({.axis = {}}); }, {"axis"});
  test::expect_value_error([] { LayerNormalization({.epsilon = 0.f}); }, {"epsilon"});
  LayerNormalization ln({.name = "seq"});
  ln.build(Shape{-1, 10, 4});
  EXPECT_EQ(ln(Tensor::zeros({2, 7, 4})).shape(), (Shape{2, 7, 4}));  // other lengths are fine
  test::expect_value_error([&] { ln(Tensor::zeros({2, 10, 5})); },
                           {"LayerNormalization 'seq'", "(2, 10, 5)"});
}
