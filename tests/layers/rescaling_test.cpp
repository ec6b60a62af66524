// Rescaling: values, gradient, config, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/layers/rescaling.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(Rescaling, ScalesAndOffsets) {
  Tensor x = Tensor::from_vector({1, 3}, std::vector<float>{0, 127.5f, 255});
  // Float rounding of 127.5 * (1 / 127.5) leaves ~6e-8 in the middle.
  EXPECT_LT(test::max_abs_diff(Rescaling({.scale = 1.f / 127.5f, .offset = -1.f})(x).to_vector(),
                               {-1, 0, 1}),
            1e-6);
  auto y = Rescaling(1.f / 255)(x).to_vector();
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  EXPECT_FLOAT_EQ(y[2], 1.f);
  EXPECT_EQ(Rescaling(2.f).compute_output_shape(Shape{-1, 4, 4, 3}), (Shape{-1, 4, 4, 3}));
  EXPECT_EQ(Rescaling(2.f).count_params(), 0);
}

TEST(Rescaling, GradientAndConfig) {
  Tensor x = test::random_tensor({2, 3}, 1).set_requires_grad(true);
  Rescaling r(0.5f, 3.f);
  EXPECT_TRUE(test::gradcheck([&](auto& in) { return r(in[0]); }, {x}));
  auto c = Rescaling({.scale = 0.1f}).get_config();
  EXPECT_EQ(c["scale"], 0.1);
  EXPECT_EQ(c["offset"], 0.0);
}

TEST(Rescaling, RejectsNonFiniteValues) {
  test::expect_value_error([] { Rescaling({.scale = NAN, .name = "rs"}); },
                           {"Rescaling 'rs'", "finite"});
  test::expect_value_error([] { Rescaling(1.f, INFINITY); }, {"offset"});
}
