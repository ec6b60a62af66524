#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/layers/conv_transpose.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(Conv2DTranspose, OutputSizesFollowKerasDeconvLength) {
  auto out = [](Conv2DTransposeOptions o, Shape in) { return Conv2DTranspose(std::move(o)).compute_output_shape(in); };
  EXPECT_EQ(out({.filters = 4, .kernel_size = 3, .strides = 2, .padding = "same"}, Shape{-1, 7, 5, 2}),
            (Shape{-1, 14, 10, 4}));
  EXPECT_EQ(out({.filters = 4, .kernel_size = 3, .strides = 2}, Shape{-1, 7, 5, 2}),
            (Shape{-1, 15, 11, 4}));
  EXPECT_EQ(out({.filters = 1, .kernel_size = 2, .strides = 3}, Shape{-1, 4, 4, 1}),
            (Shape{-1, 12, 12, 1}));
  EXPECT_EQ(out({.filters = 1, .kernel_size = 3, .strides = 2, .padding = "same", .output_padding = IntPair(1)},
                Shape{-1, 4, 4, 1}),
            (Shape{-1, 8, 8, 1}));
}

TEST(Conv2DTranspose, ScattersTheKernelForEachInputPixel) {
  // One input pixel with value 2, stride 2, 2x2 ones kernel: a 2x2 block of 2s per pixel.
  Conv2DTranspose t({.filters = 1, .kernel_size = 2, .strides = 2, .use_bias = false,
                     .kernel_initializer = "ones"});
  auto y = t(Tensor::from_vector({1, 2, 1, 1}, std::vector<float>{2, 3})).to_vector();
  EXPECT_EQ(y, (std::vector<float>{2, 2, 2, 2, 3, 3, 3, 3}));
}

TEST(Conv2DTranspose, Gradients) {
  for (auto o : {Conv2DTransposeOptions{.filters = 2, .kernel_size = 3, .strides = 2, .padding = "same"},
                 Conv2DTransposeOptions{.filters = 2, .kernel_size = 2, .strides = 1},
                 Conv2DTransposeOptions{.filters = 3, .kernel_size = 2, .strides = 3, .activation = "tanh"},
                 Conv2DTransposeOptions{.filters = 1, .kernel_size = 3, .strides = 2, .padding = "valid",
                                        .output_padding = IntPair(1)}}) {
    Conv2DTranspose t(o);
    Tensor x = test::random_tensor({2, 3, 4, 2}, 7).set_requires_grad(true);
    t.build(x.shape());
    auto w = t.weights();
    EXPECT_TRUE(test::gradcheck([&t](auto& in) { return t(in[0]); }, {x, w[0], w[1]}))
        << t.get_config().dump();
  }
}

TEST(Conv2DTranspose, BadArguments) {
  test::expect_value_error([] { Conv2DTranspose({.filters = 2, .kernel_size = 3, .strides = 2, .output_padding = IntPair(2)}); },
                           {"output_padding"});
  test::expect_value_error([] { Conv2DTranspose({.filters = 2, .kernel_size = 3}).build(Shape{-1, 4, 4}); },
                           {"rank 4"});
}
