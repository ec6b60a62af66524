// Input, Flatten, Reshape, Dropout: shapes, values, errors.
#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/layers/dropout.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/reshape.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(ShapeLayers, Flatten) {
  Flatten f;
  EXPECT_EQ(f.compute_output_shape(Shape{-1, 28, 28, 1}), (Shape{-1, 784}));
  Tensor x = test::random_tensor({2, 3, 4}, 1).set_requires_grad(true);
  EXPECT_EQ(f(x).shape(), (Shape{2, 12}));
  EXPECT_TRUE(test::gradcheck([&f](auto& in) { return f(in[0]); }, {x}));
}

TEST(ShapeLayers, ReshapeInfersOneDimension) {
  Reshape r({4, -1});
  EXPECT_EQ(r.compute_output_shape(Shape{-1, 12}), (Shape{-1, 4, 3}));
  Tensor x = test::random_tensor({2, 12}, 2).set_requires_grad(true);
  EXPECT_EQ(r(x).shape(), (Shape{2, 4, 3}));
  EXPECT_TRUE(test::gradcheck([&r](auto& in) { return r(in[0]); }, {x}));
  EXPECT_THROW(Reshape({5, -1}).build(Shape{-1, 12}), ValueError);
  EXPECT_THROW(Reshape({-1, -1}), ValueError);
  EXPECT_THROW(Reshape({0, 3}), ValueError);
}

TEST(ShapeLayers, InputDeclaresBatchShape) {
  InputLayer in(Shape{28, 28, 1});
  EXPECT_EQ(in.batch_shape(), (Shape{-1, 28, 28, 1}));
  EXPECT_EQ(in.get_config()["batch_input_shape"][0], nullptr);
  EXPECT_EQ(Input({28, 28, 1}).shape(), (Shape{-1, 28, 28, 1}));
  EXPECT_THROW(Input({0, 3}), ValueError);
}

TEST(ShapeLayers, DropoutOnlyInTraining) {
  Dropout d({.rate = 0.5f, .seed = 3});
  Tensor x = Tensor::ones({4, 100});
  EXPECT_EQ(d(x, false).to_vector(), x.to_vector());
  auto first = d(x, true).to_vector();
  auto second = d(x, true).to_vector();
  EXPECT_NE(first, second);  // a fresh mask per call
  int kept = 0;
  for (float v : first) kept += v != 0.f;
  EXPECT_NEAR(kept / 400.0, 0.5, 0.08);
  // The same seed replays the same masks.
  Dropout again({.rate = 0.5f, .seed = 3});
  EXPECT_EQ(again(x, true).to_vector(), first);
  EXPECT_THROW(Dropout(1.f), ValueError);
  EXPECT_THROW(Dropout(-0.1f), ValueError);
}

TEST(ShapeLayers, DropoutGradientUsesTheMask) {
  Dropout d({.rate = 0.3f, .seed = 9});
  Tensor x = test::random_tensor({3, 4}, 4).set_requires_grad(true);
  // gradcheck re-runs the function: fix the mask by re-seeding a fresh layer each evaluation.
  EXPECT_TRUE(test::gradcheck([](auto& in) {
    Dropout fixed({.rate = 0.3f, .seed = 9, .name = "fixed"});
    return fixed(in[0], true);
  }, {x}));
}
