// Dot: Keras' batch_dot shapes and values, normalize, gradients, errors, config.
#include <cmath>

#include <gtest/gtest.h>

#include "strata/layers/dot.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

Tensor param(const Shape& s, uint64_t seed) {
  Tensor t = test::random_tensor(s, seed);
  t.set_requires_grad(true);
  return t;
}

}  // namespace

TEST(Dot, VectorsGiveOneColumn) {
  Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({2, 3}, std::vector<float>{1, 0, -1, 2, 2, 2});
  Dot dot(1);
  Tensor y = dot({a, b});
  EXPECT_EQ(y.shape(), (Shape{2, 1}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-2, 30}));
  EXPECT_EQ(dot.output_shape(), (Shape{-1, 1}));
  EXPECT_EQ(Dot(-1)({a, b}).to_vector(), (std::vector<float>{-2, 30}));
}

TEST(Dot, BatchedMatrixShapes) {
  // Keras' documented shapes (keras/src/layers/merging/dot.py, batch_dot).
  EXPECT_EQ(Dot({.axes = {2, 1}}).build_for({Shape{-1, 2, 3}, Shape{-1, 3, 5}}),
            (std::vector<Shape>{{-1, 2, 5}}));
  EXPECT_EQ(Dot(1).build_for({Shape{-1, 4, 2}, Shape{-1, 4, 3}}),
            (std::vector<Shape>{{-1, 2, 3}}));
  EXPECT_EQ(Dot(2).build_for({Shape{-1, 4, 2}, Shape{-1, 3, 2}}),
            (std::vector<Shape>{{-1, 4, 3}}));
  EXPECT_EQ(Dot({.axes = {1, 2}}).build_for({Shape{-1, 3}, Shape{-1, 4, 3}}),
            (std::vector<Shape>{{-1, 4}}));
}

TEST(Dot, BatchedMatrixValues) {
  // Per sample: a (2, 3) · b (3, 2) with axes (2, 1).
  Tensor a = Tensor::from_vector({2, 2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6,  //
                                                               1, 0, 0, 0, 1, 0});
  Tensor b = Tensor::from_vector({2, 3, 2}, std::vector<float>{1, 0, 0, 1, 1, 1,  //
                                                               1, 2, 3, 4, 5, 6});
  Tensor y = Dot({.axes = {2, 1}})({a, b});
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{4, 5, 10, 11, 1, 2, 3, 4}));
  // axes 1 on (N, 2, 3) and (N, 2, 3): a_nᵀ · b_n, (N, 3, 3).
  Tensor c = Tensor::from_vector({1, 2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor z = Dot(1)({c, c});
  EXPECT_EQ(z.shape(), (Shape{1, 3, 3}));
  EXPECT_EQ(z.to_vector(), (std::vector<float>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
}

TEST(Dot, NormalizeGivesCosineSimilarity) {
  Tensor a = Tensor::from_vector({2, 2}, std::vector<float>{3, 4, 1, 0});
  Tensor b = Tensor::from_vector({2, 2}, std::vector<float>{4, 3, 0, 2});
  auto y = Dot(1, /*normalize=*/true)({a, b}).to_vector();
  EXPECT_NEAR(y[0], 24.f / 25.f, 1e-6);
  EXPECT_NEAR(y[1], 0.f, 1e-6);
  // A zero vector stays finite.
  Tensor z = Tensor::zeros({1, 2});
  auto w = Dot(1, true)({z, z}).to_vector();
  EXPECT_TRUE(std::isfinite(w[0]));
}

TEST(Dot, Gradients) {
  Dot vec(1);
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return vec(in); },
                              {param({3, 4}, 1), param({3, 4}, 2)}));
  Dot mat({.axes = {2, 1}});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return mat(in); },
                              {param({2, 2, 3}, 3), param({2, 3, 4}, 4)}));
  Dot first(1);
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return first(in); },
                              {param({2, 3, 2}, 5), param({2, 3, 4}, 6)}));
  Dot mixed({.axes = {1, 2}});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return mixed(in); },
                              {param({2, 3}, 7), param({2, 4, 3}, 8)}));
  Dot cosine(-1, true);
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return cosine(in); },
                              {param({3, 4}, 9), param({3, 4}, 10)}));
  Dot cosine3({.axes = {1, 2}, .normalize = true});
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return cosine3(in); },
                              {param({2, 3, 2}, 11), param({2, 4, 3}, 12)}));
}

TEST(Dot, Errors) {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({2, 4});
  test::expect_value_error([&] { Dot(1, false)({a, b}); }, {"Dot '", "equal dimensions", "(None, 3), (None, 4)"});
  test::expect_value_error([&] { Dot({.axes = {0}, .name = "d0"})({a, a}); },
                           {"Dot 'd0'", "batch axis"});
  test::expect_value_error([&] { Dot({.axes = {-2}, .name = "dm"})({a, a}); },
                           {"Dot 'dm'", "batch axis"});
  test::expect_value_error([&] { Dot({.axes = {3}, .name = "d3"})({a, a}); },
                           {"Dot 'd3'", "out of range"});
  test::expect_value_error([&] { Dot({.axes = {1, 2, 3}, .name = "dx"}); },
                           {"Dot 'dx'", "axes"});
  test::expect_value_error([&] { Dot({.axes = {}, .name = "de"}); }, {"Dot 'de'", "axes"});
  test::expect_value_error([&] { Dot({.axes = {1}, .name = "dn"})({a, a, a}); },
                           {"Dot 'dn'", "exactly 2 inputs", "got 3"});
  test::expect_value_error([&] { Dot({.axes = {1}, .name = "d1"})(a); },
                           {"Dot 'd1'", "exactly 2 inputs"});
}

TEST(Dot, ConfigRoundTrip) {
  Dot one({.axes = {1}, .normalize = true, .name = "cos"});
  auto c = one.get_config();
  EXPECT_EQ(c["axes"], 1);
  EXPECT_EQ(c["normalize"], true);
  EXPECT_EQ(Dot::from_config(c)->get_config(), c);
  Dot two({.axes = {2, 1}, .name = "mm"});
  auto c2 = two.get_config();
  EXPECT_EQ(c2["axes"], (nlohmann::json{2, 1}));
  EXPECT_EQ(c2["normalize"], false);
  EXPECT_EQ(Dot::from_config(c2)->get_config(), c2);
  LayerPtr l = layer_from_config(
      {{"class_name", "Dot"}, {"config", {{"name", "d"}, {"axes", {1, 1}}}}});
  auto d = std::dynamic_pointer_cast<Dot>(l);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->axes(), (std::vector<int>{1, 1}));
  EXPECT_FALSE(d->normalize());
  test::expect_value_error(
      [] { Dot::from_config({{"name", "bad"}, {"axes", {1, 2, 3}}}); }, {"Dot", "axes"});
  test::expect_value_error([] { Dot::from_config({{"name", "bad"}}); }, {"Dot", "axes"});
}
