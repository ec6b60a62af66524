// Permute: values, shapes, gradients, errors, config round trips.
#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(Permute, SwapsAxes) {
  Permute p({2, 1});
  // x[n, a, b] with a = 2, b = 3.
  Tensor x = Tensor::from_vector({1, 2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor y = p(x);
  EXPECT_EQ(y.shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(p.compute_output_shape(Shape{-1, 10, 64}), (Shape{-1, 64, 10}));
}

TEST(Permute, ThreeAxes) {
  Permute p({3, 1, 2});
  EXPECT_EQ(p.compute_output_shape(Shape{-1, 2, 3, 4}), (Shape{-1, 4, 2, 3}));
  Tensor x = test::random_tensor({2, 2, 3, 4}, 5);
  Tensor y = p(x);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 2, 3}));
  auto xv = x.to_vector(), yv = y.to_vector();
  // y[n, k, i, j] = x[n, i, j, k]
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 4; ++k)
          EXPECT_EQ(yv[((n * 4 + k) * 2 + i) * 3 + j], xv[((n * 2 + i) * 3 + j) * 4 + k]);
}

TEST(Permute, Gradient) {
  Permute p({3, 1, 2});
  Tensor x = test::random_tensor({2, 3, 2, 4}, 6).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&p](auto& in) { return p(in[0]); }, {x}));
}

TEST(Permute, ShapesInModels) {
  Sequential seq({Input({5, 3}), Permute({2, 1}), Dense({.units = 4})});
  EXPECT_EQ(seq.output_shape(), (Shape{-1, 3, 4}));
  EXPECT_EQ(seq.predict(Tensor::ones({2, 5, 3})).shape(), (Shape{2, 3, 4}));
  SymbolicTensor in = Input({5, 3});
  SymbolicTensor out = Permute({2, 1})(in);
  EXPECT_EQ(out.shape(), (Shape{-1, 3, 5}));
}

TEST(Permute, BadDims) {
  test::expect_value_error([] { Permute({.dims = {1, 1}, .name = "pp"}); },
                           {"Permute 'pp'", "permutation", "(1, 1)"});
  test::expect_value_error([] { Permute({0, 1}); }, {"Permute", "permutation", "(0, 1)"});
  test::expect_value_error([] { Permute({1, 3}); }, {"Permute", "permutation"});
  test::expect_value_error([] { Permute(std::vector<int>{}); }, {"Permute", "permutation"});
  // Wrong length for the input's rank.
  test::expect_value_error([] { Permute({.dims = {2, 1}, .name = "p2"}).build(Shape{-1, 2, 3, 4}); },
                           {"Permute 'p2'", "rank 3", "(None, 2, 3, 4)"});
  EXPECT_THROW(
      {
        Sequential s({Input({2, 3, 4}), Permute({2, 1})});
        s.predict(Tensor::ones({1, 2, 3, 4}));
      },
      ValueError);
}

TEST(Permute, ConfigRoundTrip) {
  Permute p({.dims = {3, 1, 2}, .name = "perm"});
  auto c = p.get_config();
  EXPECT_EQ(c["dims"], (nlohmann::json{3, 1, 2}));
  LayerPtr back = layer_from_config(layer_to_config(p));
  EXPECT_EQ(back->name(), "perm");
  EXPECT_EQ(back->get_config(), c);
  test::expect_value_error(
      [] { layer_from_config({{"class_name", "Permute"}, {"config", {{"dims", {2, 2}}}}}); },
      {"Permute", "permutation"});

  Sequential seq({Input({2, 3}), Permute({2, 1})});
  auto copy = model_from_config(model_to_config(seq));
  EXPECT_EQ(copy->output_shape(), (Shape{-1, 3, 2}));
  Tensor x = test::random_tensor({2, 2, 3}, 3);
  EXPECT_EQ(copy->predict(x).to_vector(), seq.predict(x).to_vector());
}
