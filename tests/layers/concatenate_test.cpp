// Concatenate: values along each axis, gradients, errors, config.
#include <gtest/gtest.h>

#include "strata/layers/concatenate.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(Concatenate, LastAxis) {
  Tensor a = Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3, 4});
  Tensor b = Tensor::from_vector({2, 3}, std::vector<float>{5, 6, 7, 8, 9, 10});
  Concatenate cat;
  Tensor y = cat({a, b});
  EXPECT_EQ(y.shape(), (Shape{2, 5}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 2, 5, 6, 7, 3, 4, 8, 9, 10}));
  EXPECT_EQ(cat.output_shape(), (Shape{-1, 5}));
}

TEST(Concatenate, MiddleAxisAndThreeInputs) {
  // (1, 1, 2), (1, 2, 2), (1, 1, 2) along axis 1 -> (1, 4, 2)
  Tensor a = Tensor::from_vector({1, 1, 2}, std::vector<float>{1, 2});
  Tensor b = Tensor::from_vector({1, 2, 2}, std::vector<float>{3, 4, 5, 6});
  Tensor c = Tensor::from_vector({1, 1, 2}, std::vector<float>{7, 8});
  Concatenate cat({.axis = 1});
  EXPECT_EQ(cat.build_for({Shape{-1, 1, 2}, Shape{-1, 2, 2}, Shape{-1, 1, 2}}),
            (std::vector<Shape>{{-1, 4, 2}}));
  EXPECT_EQ(cat({a, b, c}).to_vector(), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  // -2 is the same axis for rank 3.
  EXPECT_EQ(Concatenate(-2)({a, b, c}).to_vector(), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(Concatenate, Gradients) {
  auto p = [](const Shape& s, uint64_t seed) {
    Tensor t = test::random_tensor(s, seed);
    t.set_requires_grad(true);
    return t;
  };
  for (int axis : {1, 2, -1}) {
    Concatenate cat({.axis = axis});
    Shape sa{2, 3, 2}, sb{2, 3, 2};
    sb[axis < 0 ? 2 : axis] = 4;
    EXPECT_TRUE(test::gradcheck([&cat](auto& in) { return cat(in); },
                                {p(sa, 1), p(sb, 2), p(sa, 3)}))
        << "axis " << axis;
  }
  // An input that needs no gradient gets none; the others still do.
  Tensor fixed = test::random_tensor({2, 3}, 4);
  Tensor x = p({2, 2}, 5);
  Concatenate cat;
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return cat({fixed, in[0]}); }, {x}));
}

TEST(Concatenate, Errors) {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({2, 4, 1});
  test::expect_value_error([&] { Concatenate({.axis = 0, .name = "cat0"})({a, a}); },
                           {"Concatenate 'cat0'", "batch axis"});
  test::expect_value_error([&] { Concatenate({.axis = -2, .name = "catm"})({a, a}); },
                           {"Concatenate 'catm'", "batch axis"});
  test::expect_value_error([&] { Concatenate({.axis = 2, .name = "cat2"})({a, a}); },
                           {"Concatenate 'cat2'", "out of range", "(None, 3)"});
  test::expect_value_error([&] { Concatenate({.name = "catr"})({a, b}); },
                           {"Concatenate 'catr'", "same rank", "(None, 3), (None, 4, 1)"});
  test::expect_value_error(
      [&] { Concatenate({.axis = 1, .name = "catd"}).build_for({Shape{-1, 2, 3}, Shape{-1, 2, 4}}); },
      {"Concatenate 'catd'", "matching shapes except on the concatenation axis",
       "(None, 2, 3), (None, 2, 4)"});
  test::expect_value_error([&] { Concatenate({.name = "cat1"})(a); },
                           {"Concatenate 'cat1'", "at least 2 inputs"});
}

TEST(Concatenate, ConfigRoundTrip) {
  Concatenate cat({.axis = 1, .name = "joined"});
  auto c = cat.get_config();
  EXPECT_EQ(c["axis"], 1);
  EXPECT_EQ(c["name"], "joined");
  EXPECT_EQ(Concatenate::from_config(c)->get_config(), c);
  LayerPtr l = layer_from_config(
      {{"class_name", "Concatenate"}, {"config", {{"name", "cc"}, {"trainable", true}}}});
  auto cc = std::dynamic_pointer_cast<Concatenate>(l);
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->axis(), -1);  // Keras' default
}
