// Normalization (preprocessing): adapt, given statistics, invert, Keras 3's 1e-7 floor, other
// axes, gradient, errors. Expected values are those of the Keras docstring examples.
#include <gtest/gtest.h>

#include "strata/layers/normalization.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

Tensor adapt_data() {
  return Tensor::from_vector({4, 3}, std::vector<float>{0, 7, 4, 2, 9, 6, 0, 7, 4, 2, 9, 6});
}

}  // namespace

TEST(Normalization, AdaptComputesPerFeatureStatistics) {
  Normalization n;
  n.adapt(adapt_data());
  ASSERT_EQ(n.weight_entries().size(), 2u);
  EXPECT_EQ(n.weight_entries()[0].name, "mean");
  EXPECT_EQ(n.weight_entries()[1].name, "variance");
  EXPECT_TRUE(n.trainable_weights().empty());
  EXPECT_EQ(n.mean().to_vector(), (std::vector<float>{1, 8, 5}));
  EXPECT_EQ(n.variance().to_vector(), (std::vector<float>{1, 1, 1}));  // biased
  Tensor x = Tensor::from_vector({1, 3}, std::vector<float>{0, 7, 4});
  EXPECT_EQ(n(x).to_vector(), (std::vector<float>{-1, -1, -1}));
  // Adapting again replaces the statistics.
  n.adapt(Tensor::from_vector({2, 3}, std::vector<float>{0, 0, 0, 4, 2, 6}));
  EXPECT_EQ(n.mean().to_vector(), (std::vector<float>{2, 1, 3}));
  EXPECT_EQ(n.variance().to_vector(), (std::vector<float>{4, 1, 9}));
}

TEST(Normalization, InvertDenormalises) {
  Normalization n({.invert = true});
  n.adapt(adapt_data());
  Tensor x = Tensor::from_vector({1, 3}, std::vector<float>{1, 2, 3});
  EXPECT_EQ(n(x).to_vector(), (std::vector<float>{2, 10, 8}));
}

TEST(Normalization, GivenMeanAndVariance) {
  Normalization n({.mean = {{3.f}}, .variance = {{2.f}}});
  Tensor x = Tensor::from_vector({3, 1}, std::vector<float>{1, 2, 3});
  auto y = n(x).to_vector();
  EXPECT_NEAR(y[0], -1.4142135f, 1e-6);
  EXPECT_NEAR(y[1], -0.70710677f, 1e-6);
  EXPECT_EQ(y[2], 0.f);
  EXPECT_TRUE(n.weight_entries().empty());  // constants, as Keras
  Normalization per({.mean = {{1.f, 2.f}}, .variance = {{4.f, 0.25f}}});
  EXPECT_EQ(per(Tensor::from_vector({1, 2}, std::vector<float>{3, 3})).to_vector(),
            (std::vector<float>{1, 2}));
  auto c = per.get_config();
  EXPECT_EQ(c["axis"], nlohmann::json({-1}));
  EXPECT_EQ(c["mean"], nlohmann::json({1.0, 2.0}));
  EXPECT_EQ(c["variance"], nlohmann::json({4.0, 0.25}));
  EXPECT_EQ(c["invert"], false);
  EXPECT_EQ(Normalization().get_config()["mean"], nullptr);
}

TEST(Normalization, ZeroVarianceIsFlooredAt1e7) {
  Normalization n;
  n.adapt(Tensor::from_vector({2, 1}, std::vector<float>{1, 1}));
  EXPECT_FLOAT_EQ(n(Tensor::from_vector({1, 1}, std::vector<float>{1.5f})).item(), 5e6f);
}

TEST(Normalization, OtherAxes) {
  // axis 1 of (N, 2, 3): one statistic per row index, over samples and columns.
  Normalization rows({.axis = {1}});
  Tensor d = Tensor::from_vector({2, 2, 3}, std::vector<float>{0, 1, 2, 10, 10, 10,  //
                                                               3, 4, 5, 20, 20, 20});
  rows.adapt(d);
  EXPECT_EQ(rows.mean().shape(), (Shape{2}));
  EXPECT_EQ(rows.mean().to_vector(), (std::vector<float>{2.5f, 15}));
  EXPECT_NEAR(rows.variance().to_vector()[0], 17.5 / 6, 1e-5);  // (6.25+2.25+.25)*2 / 6
  EXPECT_EQ(rows.variance().to_vector()[1], 25.f);
  // axis {} (Keras None): one mean and variance for everything.
  Normalization all({.axis = {}});
  all.adapt(Tensor::from_vector({4}, std::vector<float>{1, 2, 3, 6}));
  EXPECT_EQ(all.mean().to_vector(), (std::vector<float>{3}));
  EXPECT_EQ(all.variance().to_vector(), (std::vector<float>{3.5f}));
  // Both kept axes of (N, 2, 2).
  Normalization cells({.axis = {1, 2}});
  cells.adapt(Tensor::from_vector({2, 2, 2}, std::vector<float>{0, 1, 2, 3, 2, 3, 4, 5}));
  EXPECT_EQ(cells.mean().shape(), (Shape{2, 2}));
  EXPECT_EQ(cells.mean().to_vector(), (std::vector<float>{1, 2, 3, 4}));
}

TEST(Normalization, GradientThroughTheInput) {
  Normalization n;
  n.adapt(test::random_tensor({10, 4}, 1, -3.f, 3.f));
  Tensor x = test::random_tensor({3, 4}, 2).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return n(in[0]); }, {x}));
  Normalization inv({.invert = true});
  inv.adapt(test::random_tensor({10, 4}, 3, -3.f, 3.f));
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return inv(in[0]); }, {x}));
}

TEST(Normalization, Errors) {
  test::expect_value_error(
      [] { Normalization({.name = "norm"})(Tensor::zeros({2, 3})); },
      {"Normalization 'norm'", "adapt"});
  test::expect_value_error([] { Normalization({.mean = {{1.f}}}); }, {"both mean and variance"});
  test::expect_value_error([] { Normalization({.mean = {{1.f, 2.f}}, .variance = {{1.f}}}); },
                           {"same"});
  test::expect_value_error([] { Normalization({.mean = {{0.f}}, .variance = {{-1.f}}}); },
                           {"negative"});
  test::expect_value_error(
      [] { Normalization({.mean = {{0.f}}, .variance = {{1.f}}}).adapt(Tensor::zeros({2, 1})); },
      {"adapt"});
  test::expect_value_error(
      [] {
        Normalization({.mean = {{0.f, 1.f}}, .variance = {{1.f, 1.f}}, .name = "n3"})
            .build(Shape{-1, 3});
      },
      {"Normalization 'n3'", "(None, 3)"});
  test::expect_value_error([] { Normalization({.axis = {2}}).build(Shape{-1, 3}); }, {"axis 2"});
  test::expect_value_error([] { Normalization({.axis = {0}}).build(Shape{-1, 3}); },
                           {"batch axis"});
  Normalization n({.name = "fit"});
  n.adapt(Tensor::zeros({4, 3}));
  test::expect_value_error([&] { n.adapt(Tensor::zeros({4, 5})); }, {"(4, 5)"});
  test::expect_value_error([&] { n(Tensor::zeros({1, 2})); }, {"Normalization 'fit'", "(1, 2)"});
}
