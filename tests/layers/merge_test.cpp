// Add, Subtract, Multiply, Average, Maximum, Minimum: values, broadcasting, gradients, errors,
// configs.
#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/layers/merge.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

Tensor vec(const Shape& s, std::vector<float> v) { return Tensor::from_vector(s, v); }

Tensor param(const Shape& s, uint64_t seed) {
  Tensor t = test::random_tensor(s, seed);
  t.set_requires_grad(true);
  return t;
}

// a + gap or a - gap, alternating, so max/min never change sides under the finite-difference step.
Tensor apart(const Tensor& a, float gap) {
  auto v = a.to_vector();
  for (size_t i = 0; i < v.size(); ++i) v[i] += (i % 2 ? gap : -gap);
  Tensor t = Tensor::from_vector(a.shape(), v);
  t.set_requires_grad(true);
  return t;
}

}  // namespace

TEST(Merge, ElementwiseValues) {
  Tensor a = vec({2, 3}, {1, -2, 3, 4, 5, -6});
  Tensor b = vec({2, 3}, {2, 2, -1, 0, 7, -7});
  Tensor c = vec({2, 3}, {0, 1, 5, -3, 6, 1});
  EXPECT_EQ(Add()({a, b, c}).to_vector(), (std::vector<float>{3, 1, 7, 1, 18, -12}));
  EXPECT_EQ(Subtract()({a, b}).to_vector(), (std::vector<float>{-1, -4, 4, 4, -2, 1}));
  EXPECT_EQ(Multiply()({a, b, c}).to_vector(), (std::vector<float>{0, -4, -15, 0, 210, 42}));
  EXPECT_EQ(Maximum()({a, b, c}).to_vector(), (std::vector<float>{2, 2, 5, 4, 7, 1}));
  EXPECT_EQ(Minimum()({a, b, c}).to_vector(), (std::vector<float>{0, -2, -1, -3, 5, -7}));
  auto avg = Average()({a, b, c}).to_vector();
  std::vector<float> want{1, 1.f / 3, 7.f / 3, 1.f / 3, 6, -4};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(avg[i], want[i]) << i;
}

TEST(Merge, OutputShapesAndBroadcasting) {
  Add add;
  EXPECT_EQ(add.build_for({Shape{-1, 4, 1}, Shape{-1, 1, 3}}), (std::vector<Shape>{{-1, 4, 3}}));
  EXPECT_TRUE(add.built());
  EXPECT_EQ(add.output_shape(), (Shape{-1, 4, 3}));  // summaries ask a built layer this
  EXPECT_EQ(add.input_shapes(), (std::vector<Shape>{{-1, 4, 1}, {-1, 1, 3}}));

  // (N, 2, 1) * (N, 1, 3) -> (N, 2, 3)
  Tensor a = vec({1, 2, 1}, {2, 3});
  Tensor b = vec({1, 1, 3}, {1, 10, 100});
  EXPECT_EQ(Multiply()({a, b}).to_vector(), (std::vector<float>{2, 20, 200, 3, 30, 300}));

  // A lower-rank input gets 1s after its batch dim, as Keras: (N, 3) + (N, 2, 3).
  Tensor c = vec({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor d = Tensor::zeros({2, 2, 3});
  Add lower;
  Tensor y = lower({c, d});
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}));
  EXPECT_EQ(lower.output_shape(), (Shape{-1, 2, 3}));
}

TEST(Merge, Gradients) {
  Tensor a = param({2, 3}, 1), b = param({2, 3}, 2), c = param({2, 3}, 3);
  auto check = [&](Merge& layer, std::vector<Tensor> in) {
    EXPECT_TRUE(test::gradcheck([&layer](auto& xs) { return layer(xs); }, in))
        << layer.class_name();
  };
  Add add;
  check(add, {a, b, c});
  Subtract sub;
  check(sub, {a, b});
  Multiply mul;
  check(mul, {a, b, c});
  Average avg;
  check(avg, {a, b, c});
  // Inputs kept at least 0.15 apart, so the chosen one never flips under the step.
  Tensor b2 = apart(a, 0.3f), c2 = apart(a, -0.15f);
  Maximum mx;
  check(mx, {a, b2, c2});
  Minimum mn;
  check(mn, {a, b2, c2});
  // Broadcast inputs sum their gradients back to their own shapes.
  Tensor p = param({2, 1, 3}, 4), q = param({2, 4, 1}, 5), r = param({2, 3}, 6);
  Multiply bmul;
  check(bmul, {p, q, r});
  // Every pair of (N, 1, 3) and (N, 2, 1) values differs by at least 0.1.
  Tensor u = vec({2, 1, 3}, {-0.9f, 0.0f, 0.9f, -0.5f, 0.3f, 0.7f}).set_requires_grad(true);
  Tensor w = vec({2, 2, 1}, {0.5f, -0.3f, 0.1f, -0.8f}).set_requires_grad(true);
  Maximum bmax;
  check(bmax, {u, w});
}

TEST(Merge, MaximumGradientGoesToTheLargerInput) {
  Tensor a = vec({1, 3}, {1, 5, 2}).set_requires_grad(true);
  Tensor b = vec({1, 3}, {3, 4, 2}).set_requires_grad(true);
  Maximum()({a, b}).backward(Tensor::ones({1, 3}));
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{0, 1, 1}));  // ties go to the first
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{1, 0, 0}));
}

TEST(Merge, SingleTensorIsAnError) {
  Add add({.name = "add_single"});
  Tensor x = Tensor::ones({2, 3});
  test::expect_value_error([&] { add(x); }, {"Add 'add_single'", "expects a list of at least 2"});
  test::expect_value_error([&] { add({x}); }, {"Add 'add_single'", "at least 2 inputs"});
  // Through the Layer interface too.
  Layer& base = add;
  test::expect_value_error([&] { base(x); }, {"Add 'add_single'", "at least 2 inputs"});
  test::expect_value_error([&] { base.build(Shape{-1, 3}); }, {"Add 'add_single'"});
  test::expect_value_error([&] { base.call_on({x}, false); }, {"at least 2 inputs"});
  EXPECT_FALSE(add.built());
}

TEST(Merge, WrongInputCount) {
  Tensor x = Tensor::ones({2, 3});
  Subtract sub({.name = "sub3"});
  test::expect_value_error([&] { sub({x, x, x}); },
                           {"Subtract 'sub3'", "exactly 2 inputs", "got 3"});
  Add add({.name = "add2"});
  add({x, x});
  test::expect_value_error([&] { add({x, x, x}); }, {"Add 'add2'", "(None, 3)"});
}

TEST(Merge, ShapeMismatch) {
  Add add({.name = "add"});
  test::expect_value_error([&] { add.build_for({Shape{-1, 3}, Shape{-1, 4}}); },
                           {"Add 'add': inputs must have compatible shapes, got (None, 3), (None, 4)"});
  EXPECT_FALSE(add.built());
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({3, 3});
  test::expect_value_error([&] { Average({.name = "avg_b"})({a, b}); },
                           {"Average 'avg_b'", "same batch size", "(2, 3)", "(3, 3)"});
  // Built layers check later calls against the built shapes (the batch dim is free).
  Maximum mx({.name = "mx"});
  mx({a, a});
  EXPECT_EQ(mx({Tensor::ones({5, 3}), Tensor::ones({5, 3})}).shape(), (Shape{5, 3}));
  test::expect_value_error([&] { mx({Tensor::ones({2, 1}), a}); },
                           {"Maximum 'mx'", "expected inputs of shapes (None, 3), (None, 3)",
                            "(2, 1)"});
  test::expect_value_error([&] { Add()({Tensor(), a}); }, {"undefined"});
}

TEST(Merge, ConfigRoundTrip) {
  Add add({.name = "my_add"});
  auto c = add.get_config();
  EXPECT_EQ(c["name"], "my_add");
  EXPECT_EQ(c["trainable"], true);
  EXPECT_EQ(c.size(), 3u);  // name, trainable, dtype: Keras' merge layers have no own arguments
  EXPECT_EQ(Add::from_config(c)->get_config(), c);
  EXPECT_EQ(Subtract::from_config(Subtract().get_config())->class_name(), "Subtract");
  for (const char* cls : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}) {
    LayerPtr l = layer_from_config({{"class_name", cls}, {"config", {{"name", "m"}}}});
    EXPECT_EQ(l->class_name(), cls);
    EXPECT_EQ(l->name(), "m");
    EXPECT_NE(std::dynamic_pointer_cast<Merge>(l), nullptr);
  }
}
