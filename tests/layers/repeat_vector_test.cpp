// RepeatVector: values, shapes, gradients, errors, config round trips.
#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(RepeatVector, RepeatsAlongNewAxis) {
  RepeatVector r(3);
  Tensor x = Tensor::from_vector({2, 2}, std::vector<float>{1.f, 2.f, 3.f, 4.f});
  Tensor y = r(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(y.to_vector(),
            (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
  EXPECT_EQ(r.compute_output_shape(Shape{-1, 5}), (Shape{-1, 3, 5}));
  EXPECT_EQ(r.count_params(), 0);
}

TEST(RepeatVector, Gradient) {
  RepeatVector r(4);
  Tensor x = test::random_tensor({3, 5}, 11).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&r](auto& in) { return r(in[0]); }, {x}));
}

TEST(RepeatVector, ShapesInModels) {
  Sequential seq({Input({6}), RepeatVector(2), Dense({.units = 3})});
  EXPECT_EQ(seq.output_shape(), (Shape{-1, 2, 3}));
  EXPECT_EQ(seq.predict(Tensor::ones({4, 6})).shape(), (Shape{4, 2, 3}));
  SymbolicTensor in = Input({7});
  SymbolicTensor out = RepeatVector(5)(in);
  EXPECT_EQ(out.shape(), (Shape{-1, 5, 7}));
  Model m(in, out);
  EXPECT_EQ(m.predict(Tensor::ones({2, 7})).shape(), (Shape{2, 5, 7}));
}

TEST(RepeatVector, BadInputs) {
  test::expect_value_error([] { RepeatVector(0); }, {"RepeatVector", "n must be positive"});
  test::expect_value_error([] { RepeatVector({.n = 2, .name = "rv"}).build(Shape{-1, 3, 4}); },
                           {"RepeatVector 'rv'", "rank 2", "(None, 3, 4)"});
}

TEST(RepeatVector, ConfigRoundTrip) {
  RepeatVector r({.n = 3, .name = "rep"});
  auto c = r.get_config();
  EXPECT_EQ(c["n"], 3);
  LayerPtr back = layer_from_config(layer_to_config(r));
  EXPECT_EQ(back->class_name(), "RepeatVector");
  EXPECT_EQ(back->name(), "rep");
  EXPECT_EQ(back->get_config(), c);

  Sequential seq({Input({4}), RepeatVector(3), Dense({.units = 2})});
  auto copy = model_from_config(model_to_config(seq));
  EXPECT_EQ(copy->output_shape(), (Shape{-1, 3, 2}));
  EXPECT_EQ(copy->get_layer(0)->class_name(), "RepeatVector");
}
