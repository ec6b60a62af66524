// Finite-difference gradient checks for tests. The scalar checked is L = Σ f(inputs) ⊙ P with a
// fixed random projection P, so one backward pass checks the whole Jacobian-vector product. L is
// evaluated on the host in double to keep float32 rounding out of the differences.
//
//   auto x = test::random_tensor({3, 4}, 1).set_requires_grad(true);
//   EXPECT_TRUE(test::gradcheck([](auto& in) { return ops::tanh(in[0]); }, {x}));
#pragma once

#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "strata/autodiff/tensor.hpp"

namespace strata::test {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-2;   // central-difference step
  double atol = 5e-3;  // |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|)
  double rtol = 2e-2;
};

::testing::AssertionResult gradcheck(const Fn& f, std::vector<Tensor> inputs,
                                     GradcheckOptions opts = {});

// Uniform values in [lo, hi), deterministic in `seed`. Values closer than `avoid` to any point of
// `kinks` are pushed away, so checks never straddle a non-differentiable point (e.g. relu at 0).
Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f,
                     std::vector<float> kinks = {}, float avoid = 0.05f);

// Maximum absolute difference between two host vectors (sizes must match).
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace strata::test
