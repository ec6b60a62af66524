// BatchNormalization: Keras weights and config, training output and moving-average update,
// inference formula, frozen layers, other axes, gradients, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/layers/batch_normalization.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

void set(const Tensor& t, std::vector<float> v) { t.backend().copy_from_host(t.data(), v.data(), t.nbytes()); }

void expect_near(const std::vector<float>& a, const std::vector<double>& b, double tol = 1e-5) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "element " << i;
}

// Column c0 = 1, 2, 3, 4 (mean 2.5, biased var 1.25); c1 = 2, 4, 6, 8 (mean 5, var 5).
Tensor batch() { return Tensor::from_vector({4, 2}, std::vector<float>{1, 2, 2, 4, 3, 6, 4, 8}); }

}  // namespace

TEST(BatchNormalization, KerasWeightsAndConfig) {
  BatchNormalization bn;
  bn.build(Shape{-1, 5, 3});
  ASSERT_EQ(bn.weight_entries().size(), 4u);
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(bn.weight_entries()[i].name, names[i]);
    EXPECT_EQ(bn.weight_entries()[i].value.shape(), (Shape{3}));
    EXPECT_EQ(bn.weight_entries()[i].trainable, i < 2);
  }
  EXPECT_EQ(bn.trainable_weights().size(), 2u);
  EXPECT_EQ(bn.non_trainable_weights().size(), 2u);
  EXPECT_EQ(bn.gamma().to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(bn.moving_variance().to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(bn.count_params(), 12);
  auto c = bn.get_config();
  EXPECT_EQ(c["axis"], -1);
  EXPECT_EQ(c["momentum"], 0.99);
  EXPECT_EQ(c["epsilon"], 0.001);
  EXPECT_EQ(c["center"], true);
  EXPECT_EQ(c["scale"], true);
  EXPECT_EQ(c["gamma_initializer"]["class_name"], "Ones");
  EXPECT_EQ(c["moving_mean_initializer"]["class_name"], "Zeros");

  BatchNormalization plain({.center = false, .scale = false});
  plain.build(Shape{-1, 4});
  ASSERT_EQ(plain.weight_entries().size(), 2u);
  EXPECT_EQ(plain.weight_entries()[0].name, "moving_mean");
  EXPECT_TRUE(plain.trainable_weights().empty());
  BatchNormalization no_gamma({.scale = false});
  no_gamma.build(Shape{-1, 4});
  EXPECT_EQ(no_gamma.weight_entries()[0].name, "beta");
}

TEST(BatchNormalization, TrainingUsesBatchStatisticsAndMovesTheAverages) {
  BatchNormalization bn;
  bn.build(Shape{-1, 2});
  set(bn.gamma(), {2.f, 0.5f});
  set(bn.beta(), {0.1f, -1.f});
  Tensor y = bn(batch(), true);
  const double mean[] = {2.5, 5}, var[] = {1.25, 5}, g[] = {2, 0.5}, b[] = {0.1, -1};
  const double x[] = {1, 2, 2, 4, 3, 6, 4, 8};
  std::vector<double> expect;
  for (int i = 0; i < 8; ++i)
    expect.push_back(g[i % 2] * (x[i] - mean[i % 2]) / std::sqrt(var[i % 2] + 1e-3) + b[i % 2]);
  expect_near(y.to_vector(), expect);
  // moving = moving * 0.99 + batch * 0.01, from zeros / ones, with the biased variance.
  expect_near(bn.moving_mean().to_vector(), {0.025, 0.05});
  expect_near(bn.moving_variance().to_vector(), {0.99 + 0.0125, 0.99 + 0.05});
  // A second step moves them again.
  bn(batch(), true);
  expect_near(bn.moving_mean().to_vector(), {0.025 * 0.99 + 0.025, 0.05 * 0.99 + 0.05});
  // The statistics take no gradient.
  EXPECT_FALSE(bn.moving_mean().requires_grad());
}

TEST(BatchNormalization, InferenceUsesTheMovingStatistics) {
  BatchNormalization bn({.epsilon = 0.01f});
  bn.build(Shape{-1, 2});
  set(bn.gamma(), {2.f, 0.5f});
  set(bn.beta(), {0.1f, -1.f});
  set(bn.moving_mean(), {1.f, -2.f});
  set(bn.moving_variance(), {4.f, 0.25f});
  const double mm[] = {1, -2}, mv[] = {4, 0.25}, g[] = {2, 0.5}, b[] = {0.1, -1};
  const double x[] = {1, 2, 2, 4, 3, 6, 4, 8};
  std::vector<double> expect;
  for (int i = 0; i < 8; ++i)
    expect.push_back(g[i % 2] * (x[i] - mm[i % 2]) / std::sqrt(mv[i % 2] + 0.01) + b[i % 2]);
  expect_near(bn(batch(), false).to_vector(), expect);
  // Inference leaves the statistics alone; so does training a frozen layer (Keras 3).
  bn.set_trainable(false);
  expect_near(bn(batch(), true).to_vector(), expect);
  expect_near(bn.moving_mean().to_vector(), {1, -2});
  // Without gamma and beta: (x - mean) / sqrt(var + eps).
  BatchNormalization plain({.center = false, .scale = false});
  plain.build(Shape{-1, 2});
  set(plain.moving_mean(), {1.f, -2.f});
  set(plain.moving_variance(), {4.f, 0.25f});
  std::vector<double> bare;
  for (int i = 0; i < 8; ++i) bare.push_back((x[i] - mm[i % 2]) / std::sqrt(mv[i % 2] + 1e-3));
  expect_near(plain(batch()).to_vector(), bare);
}

TEST(BatchNormalization, ChannelsFirstAxis) {
  Tensor cf = test::random_tensor({3, 2, 4, 5}, 7, -2.f, 3.f);
  Tensor cl = ops::transpose(cf, {0, 2, 3, 1});
  BatchNormalization first({.axis = 1}), last;
  Tensor a = first(cf, true), b = last(cl, true);
  EXPECT_EQ(a.shape(), cf.shape());
  EXPECT_LT(test::max_abs_diff(ops::transpose(a, {0, 2, 3, 1}).to_vector(), b.to_vector()), 1e-5);
  EXPECT_LT(test::max_abs_diff(first.moving_mean().to_vector(), last.moving_mean().to_vector()),
            1e-6);
  EXPECT_LT(test::max_abs_diff(first.moving_variance().to_vector(),
                               last.moving_variance().to_vector()),
            1e-6);
  EXPECT_LT(test::max_abs_diff(ops::transpose(first(cf, false), {0, 2, 3, 1}).to_vector(),
                               last(cl, false).to_vector()),
            1e-5);
  // Axis 1 of a rank-3 input is a middle axis: moved last and back.
  BatchNormalization mid({.axis = 1});
  EXPECT_EQ(mid(test::random_tensor({2, 3, 4}, 8), true).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(mid.gamma().shape(), (Shape{3}));
}

TEST(BatchNormalization, TrainingGradients) {
  BatchNormalization bn;
  Tensor x = test::random_tensor({6, 3}, 1, -2.f, 2.f).set_requires_grad(true);
  bn.build(x.shape());
  set(bn.gamma(), {1.5f, -0.7f, 0.9f});
  set(bn.beta(), {0.2f, 0.f, -0.3f});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return bn(in[0], true); },
                              {x, bn.gamma(), bn.beta()}));
  BatchNormalization cf({.axis = 1});
  Tensor x4 = test::random_tensor({2, 3, 2, 2}, 2, -2.f, 2.f).set_requires_grad(true);
  cf.build(x4.shape());
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return cf(in[0], true); },
                              {x4, cf.gamma(), cf.beta()}));
}

TEST(BatchNormalization, InferenceGradients) {
  BatchNormalization bn({.axis = 1});
  Tensor x = test::random_tensor({2, 3, 4}, 3).set_requires_grad(true);
  bn.build(x.shape());
  set(bn.gamma(), {1.5f, -0.7f, 0.9f});
  set(bn.moving_mean(), {0.3f, -0.1f, 0.5f});
  set(bn.moving_variance(), {2.f, 0.5f, 1.f});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return bn(in[0], false); },
                              {x, bn.gamma(), bn.beta()}));
}

TEST(BatchNormalization, Errors) {
  test::expect_value_error([] { BatchNormalization({.momentum = 1.5f, .name = "bn"}); },
                           {"BatchNormalization 'bn'", "momentum"});
  test::expect_value_error([] { BatchNormalization({.epsilon = -1.f}); }, {"epsilon"});
  test::expect_value_error([] { BatchNormalization({.gamma_initializer = "nope"}); }, {"nope"});
  test::expect_value_error([] { BatchNormalization({.axis = 3, .name = "b3"}).build(Shape{-1, 4, 2}); },
                           {"BatchNormalization 'b3'", "axis 3", "(None, 4, 2)"});
  test::expect_value_error([] { BatchNormalization({.axis = 0}).build(Shape{-1, 4}); },
                           {"batch axis"});
  test::expect_value_error([] { BatchNormalization().build(Shape{-1}); }, {"rank >= 2"});
  BatchNormalization bn({.name = "b"});
  bn.build(Shape{-1, 5, 3});
  // Other dims may vary (Keras' input spec fixes only the axis).
  EXPECT_EQ(bn(Tensor::zeros({2, 7, 3})).shape(), (Shape{2, 7, 3}));
  test::expect_value_error([&] { bn(Tensor::zeros({2, 5, 4})); },
                           {"BatchNormalization 'b'", "(2, 5, 4)", "(None, 5, 3)"});
}

// Keras 3 leaves masked steps out of the training statistics (weighted moments); the kept
// steps' values decide mean, variance and the moving averages.
TEST(BatchNormalization, MaskedStepsStayOutOfTrainingStatistics) {
  BatchNormalization bn({.momentum = 0.5f, .name = "bn"});
  // Two channels; sample 0 keeps steps 0-1, sample 1 keeps step 0 only.
  Tensor x = Tensor::from_vector({2, 3, 2}, std::vector<float>{1, 10, 3, 20, 99, -99,
                                                                5, 30, -99, 99, 99, 99});
  Tensor mask = Tensor::from_vector({2, 3}, std::vector<float>{1, 1, 0, 1, 0, 0});
  auto y = bn.call_masked({x}, {mask}, /*training=*/true).at(0).to_vector();
  // Kept values: channel 0 {1, 3, 5} -> mean 3, var 8/3; channel 1 {10, 20, 30} -> mean 20,
  // var 200/3 (the 1e-7 weight epsilon moves them below 1e-6).
  const double m0 = 3, v0 = 8.0 / 3, m1 = 20, v1 = 200.0 / 3, eps = 1e-3;
  EXPECT_NEAR(y[0], (1 - m0) / std::sqrt(v0 + eps), 1e-4);
  EXPECT_NEAR(y[3], (20 - m1) / std::sqrt(v1 + eps), 1e-4);
  EXPECT_NEAR(y[4], (99 - m0) / std::sqrt(v0 + eps), 1e-3);  // masked steps use the same stats
  auto mm = bn.weights()[2].to_vector(), mv = bn.weights()[3].to_vector();
  EXPECT_NEAR(mm[0], 0.5 * m0, 1e-4);
  EXPECT_NEAR(mm[1], 0.5 * m1, 1e-4);
  EXPECT_NEAR(mv[0], 0.5 + 0.5 * v0, 1e-4);
  // Gradients reach x, gamma and beta through the masked statistics.
  BatchNormalization g;
  Tensor xs = test::random_tensor({2, 3, 2}, 8).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) { return g.call_masked({in[0]}, {mask}, true)[0]; }, {xs}));
  // In inference, and without a mask, nothing changes.
  EXPECT_EQ(bn.call_masked({x}, {mask}, false)[0].to_vector(), bn(x, false).to_vector());
  test::expect_value_error([&] { bn.call_masked({x}, {Tensor::ones({2, 4})}, true); },
                           {"BatchNormalization 'bn'", "(2, 3)"});
}
