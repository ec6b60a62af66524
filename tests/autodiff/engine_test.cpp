// The reverse pass itself: ordering, fan-out accumulation, NoGrad, single-use graphs.
#include <gtest/gtest.h>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

using namespace strata;

TEST(Engine, FanOutGradientsAccumulate) {
  Tensor x = Tensor::from_vector({2}, std::vector<float>{3, -2});
  x.set_requires_grad(true);
  // y = x*x + 3x uses x three times: dy/dx = 2x + 3.
  Tensor y = ops::sum(ops::add(ops::mul(x, x), ops::mul(x, 3.f)));
  y.backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{9, -1}));
}

TEST(Engine, DiamondGraphRunsEachNodeOnce) {
  Tensor x = Tensor::from_vector({1}, std::vector<float>{2});
  x.set_requires_grad(true);
  Tensor a = ops::mul(x, 2.f);      // 2x
  Tensor b = ops::mul(a, a);        // 4x²
  Tensor c = ops::add(a, b);        // 2x + 4x²  -> d/dx = 2 + 8x = 18
  ops::sum(c).backward();
  EXPECT_FLOAT_EQ(x.grad().item(), 18.f);
}

TEST(Engine, LeafGradientsAccumulateAcrossPassesUntilZeroed) {
  Tensor x = Tensor::from_vector({1}, std::vector<float>{1});
  x.set_requires_grad(true);
  ops::sum(ops::mul(x, 5.f)).backward();
  ops::sum(ops::mul(x, 5.f)).backward();
  EXPECT_FLOAT_EQ(x.grad().item(), 10.f);
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, NoGradRecordsNothing) {
  Tensor x = Tensor::ones({2});
  x.set_requires_grad(true);
  Tensor y;
  {
    NoGrad guard;
    EXPECT_FALSE(grad_enabled());
    y = ops::mul(x, x);
  }
  EXPECT_TRUE(grad_enabled());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_THROW(ops::sum(y).backward(), ValueError);
}

TEST(Engine, GraphIsSingleUse) {
  Tensor x = Tensor::ones({2});
  x.set_requires_grad(true);
  Tensor y = ops::sum(ops::tanh(x));
  y.backward();
  EXPECT_THROW(y.backward(), ValueError);
}

TEST(Engine, BackwardNeedsScalarOrSeed) {
  Tensor x = Tensor::ones({2});
  x.set_requires_grad(true);
  Tensor y = ops::mul(x, 2.f);
  EXPECT_THROW(y.backward(), ValueError);
  EXPECT_THROW(y.backward(Tensor::ones({3})), ValueError);
  y.backward(Tensor::from_vector({2}, std::vector<float>{1, 10}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2, 20}));
}

TEST(Engine, LongChainsDoNotOverflowTheStack) {
  Tensor x = Tensor::ones({1});
  x.set_requires_grad(true);
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = ops::add(y, 0.f);
  ops::sum(y).backward();
  EXPECT_FLOAT_EQ(x.grad().item(), 1.f);
}

TEST(Engine, InputsWithoutGradGetNone) {
  Tensor x = Tensor::ones({2});
  Tensor w = Tensor::ones({2});
  w.set_requires_grad(true);
  ops::sum(ops::mul(x, w)).backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_TRUE(w.grad().defined());
}

TEST(Engine, OnlyFloatTensorsRequireGrad) {
  Tensor i = Tensor::from_vector({2}, std::vector<int32_t>{1, 2});
  EXPECT_THROW(i.set_requires_grad(true), ValueError);
}
