// ops::maximum, ops::minimum and ops::concat: forward values, broadcasting, gradients, errors.
#include <gtest/gtest.h>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::gradcheck;

namespace {

Tensor param(const Shape& s, uint64_t seed) {
  Tensor t = test::random_tensor(s, seed);
  t.set_requires_grad(true);
  return t;
}

// a ± 0.3 (sign alternating), so no pair of elements is within the finite-difference step.
Tensor apart(const Tensor& a, float gap = 0.3f) {
  auto v = a.to_vector();
  for (size_t i = 0; i < v.size(); ++i) v[i] += (i % 2 ? gap : -gap);
  Tensor t = Tensor::from_vector(a.shape(), v);
  t.set_requires_grad(true);
  return t;
}

Tensor values(const Shape& s, std::vector<float> v) {
  Tensor t = Tensor::from_vector(s, v);
  t.set_requires_grad(true);
  return t;
}

}  // namespace

TEST(OpsMerge, MaximumMinimumForwardBroadcasts) {
  Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 5, -2, 0, 3, 9});
  Tensor b = Tensor::from_vector({3}, std::vector<float>{2, 2, 2});
  EXPECT_EQ(ops::maximum(a, b).to_vector(), (std::vector<float>{2, 5, 2, 2, 3, 9}));
  EXPECT_EQ(ops::minimum(a, b).to_vector(), (std::vector<float>{1, 2, -2, 0, 2, 2}));
  EXPECT_EQ(ops::maximum(b, a).shape(), (Shape{2, 3}));
  // The float overload (clip from above) still resolves.
  EXPECT_EQ(ops::minimum(a, 1.f).to_vector(), (std::vector<float>{1, 1, -2, 0, 1, 1}));
  test::expect_value_error([&] { ops::maximum(a, Tensor::zeros({4})); },
                           {"maximum", "(2, 3)", "(4,)"});
}

TEST(OpsMerge, MaximumMinimumGradients) {
  // Operands kept apart, so the step never flips which one is chosen.
  for (auto op : {static_cast<Tensor (*)(const Tensor&, const Tensor&)>(ops::maximum),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(ops::minimum)}) {
    Tensor a = param({3, 4}, 1);
    EXPECT_TRUE(gradcheck([op](auto& in) { return op(in[0], in[1]); }, {a, apart(a)}));
    // Broadcast both ways: every pair of (3, 1) and (4,) values differs by at least 0.25.
    EXPECT_TRUE(gradcheck([op](auto& in) { return op(in[0], in[1]); },
                          {values({3, 1}, {-0.9f, 0.1f, 0.95f}),
                           values({4}, {-0.5f, 0.4f, 0.7f, -0.2f})}));
  }
}

TEST(OpsMerge, MaximumTiesGoToTheFirstOperand) {
  Tensor a = Tensor::from_vector({3}, std::vector<float>{1, 2, 3}).set_requires_grad(true);
  Tensor b = Tensor::from_vector({3}, std::vector<float>{1, 1, 4}).set_requires_grad(true);
  ops::maximum(a, b).backward(Tensor::ones({3}));
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{1, 1, 0}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{0, 0, 1}));
  Tensor c = Tensor::from_vector({3}, std::vector<float>{1, 2, 3}).set_requires_grad(true);
  Tensor d = Tensor::from_vector({3}, std::vector<float>{1, 1, 4}).set_requires_grad(true);
  ops::minimum(c, d).backward(Tensor::ones({3}));
  EXPECT_EQ(c.grad().to_vector(), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(d.grad().to_vector(), (std::vector<float>{0, 1, 0}));
}

TEST(OpsMerge, ConcatForward) {
  Tensor a = Tensor::from_vector({2, 1}, std::vector<float>{1, 2});
  Tensor b = Tensor::from_vector({2, 2}, std::vector<float>{3, 4, 5, 6});
  EXPECT_EQ(ops::concat({a, b}, 1).to_vector(), (std::vector<float>{1, 3, 4, 2, 5, 6}));
  EXPECT_EQ(ops::concat({a, b}, -1).shape(), (Shape{2, 3}));
  Tensor c = Tensor::from_vector({1, 2}, std::vector<float>{7, 8});
  EXPECT_EQ(ops::concat({b, c}, 0).to_vector(), (std::vector<float>{3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(ops::concat({a}, 0).to_vector(), a.to_vector());
}

TEST(OpsMerge, ConcatGradients) {
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::concat(in, 0); },
                        {param({1, 3}, 1), param({2, 3}, 2)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::concat(in, 1); },
                        {param({2, 2, 3}, 3), param({2, 1, 3}, 4), param({2, 3, 3}, 5)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::concat(in, -1); },
                        {param({2, 2, 1}, 6), param({2, 2, 4}, 7)}));
}

TEST(OpsMerge, ConcatErrors) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3, 4});
  test::expect_value_error([&] { ops::concat({a, b}, 1); }, {"concat", "(2, 3), (3, 4)"});
  test::expect_value_error([&] { ops::concat({a, a}, 2); }, {"concat", "out of range"});
  test::expect_value_error([&] { ops::concat({a, Tensor::zeros({2, 3, 1})}, 1); },
                           {"concat", "(2, 3, 1)"});
  test::expect_value_error([] { ops::concat({}, 0); }, {"concat"});
}
