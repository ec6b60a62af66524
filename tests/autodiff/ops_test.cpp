// Forward values and finite-difference gradients of every differentiable op.
#include <cmath>

#include <gtest/gtest.h>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::gradcheck;
using test::random_tensor;

namespace {

Tensor param(const Shape& s, uint64_t seed, float lo = -1.f, float hi = 1.f,
             std::vector<float> kinks = {}) {
  Tensor t = random_tensor(s, seed, lo, hi, std::move(kinks));
  t.set_requires_grad(true);
  return t;
}

std::vector<float> apply_host(const Tensor& x, float (*f)(float)) {
  auto v = x.to_vector<float>();
  for (auto& e : v) e = f(e);
  return v;
}

}  // namespace

TEST(Ops, BinaryForwardBroadcasts) {
  Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({3}, std::vector<float>{10, 20, 30});
  EXPECT_EQ(ops::add(a, b).to_vector(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(ops::sub(b, a).to_vector(), (std::vector<float>{9, 18, 27, 6, 15, 24}));
  EXPECT_EQ(ops::mul(a, b).to_vector(), (std::vector<float>{10, 40, 90, 40, 100, 180}));
  Tensor c = Tensor::from_vector({2, 1}, std::vector<float>{2, 4});
  EXPECT_EQ(ops::div(c, a).shape(), (Shape{2, 3}));
  EXPECT_FLOAT_EQ(ops::div(c, a).to_vector()[2], 2.f / 3.f);
}

TEST(Ops, BinaryRejectsIncompatibleShapes) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  try {
    ops::add(a, b);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(4,)"), std::string::npos);
  }
}

TEST(Ops, BinaryGradients) {
  auto f2 = [](Tensor (*op)(const Tensor&, const Tensor&)) {
    return [op](const std::vector<Tensor>& in) { return op(in[0], in[1]); };
  };
  // Same shapes, and both operands broadcast.
  for (auto op : {static_cast<Tensor (*)(const Tensor&, const Tensor&)>(ops::add),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(ops::sub),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(ops::mul)}) {
    EXPECT_TRUE(gradcheck(f2(op), {param({2, 3}, 1), param({2, 3}, 2)}));
    EXPECT_TRUE(gradcheck(f2(op), {param({2, 1, 3}, 3), param({4, 1}, 4)}));
  }
  auto div = static_cast<Tensor (*)(const Tensor&, const Tensor&)>(ops::div);
  EXPECT_TRUE(gradcheck(f2(div), {param({2, 3}, 5), param({3}, 6, 0.5f, 2.f)}));
  EXPECT_TRUE(gradcheck(f2(div), {param({1, 3}, 7), param({2, 3}, 8, 0.5f, 2.f)}));
}

TEST(Ops, AffineAndScalarOps) {
  Tensor x = Tensor::from_vector({3}, std::vector<float>{1, 2, 3});
  EXPECT_EQ(ops::affine(x, 2.f, 1.f).to_vector(), (std::vector<float>{3, 5, 7}));
  EXPECT_EQ(ops::neg(x).to_vector(), (std::vector<float>{-1, -2, -3}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::affine(in[0], -1.5f, 0.3f); },
                        {param({2, 3}, 9)}));
}

TEST(Ops, MatmulForwardAndAllTransposes) {
  Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector({3, 2}, std::vector<float>{7, 8, 9, 10, 11, 12});
  EXPECT_EQ(ops::matmul(a, b).to_vector(), (std::vector<float>{58, 64, 139, 154}));
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Shape sa = ta ? Shape{4, 3} : Shape{3, 4};
      Shape sb = tb ? Shape{5, 4} : Shape{4, 5};
      EXPECT_TRUE(gradcheck([ta, tb](auto& in) { return ops::matmul(in[0], in[1], ta, tb); },
                            {param(sa, 10), param(sb, 11)}))
          << "trans_a=" << ta << " trans_b=" << tb;
    }
}

TEST(Ops, BatchedMatmulBroadcastsBatch) {
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::matmul(in[0], in[1]); },
                        {param({2, 3, 4}, 12), param({1, 4, 2}, 13)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::matmul(in[0], in[1]); },
                        {param({2, 3, 4}, 14), param({4, 2}, 15)}));
  EXPECT_THROW(ops::matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 2})), ValueError);
}

TEST(Ops, LinearFusedActivationsAndGradients) {
  Tensor x = Tensor::from_vector({1, 2}, std::vector<float>{1, -2});
  Tensor w = Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3, 4});
  Tensor b = Tensor::from_vector({2}, std::vector<float>{0.5f, -10});
  EXPECT_EQ(ops::linear(x, w, b).to_vector(), (std::vector<float>{-4.5f, -16}));
  EXPECT_EQ(ops::linear(x, w, b, {EltwiseAlg::relu, 0.f}).to_vector(),
            (std::vector<float>{0, 0}));
  for (Eltwise act : {Eltwise{}, Eltwise{EltwiseAlg::relu, 0.f}, Eltwise{EltwiseAlg::tanh},
                      Eltwise{EltwiseAlg::elu, 1.f}, Eltwise{EltwiseAlg::logistic}}) {
    EXPECT_TRUE(gradcheck([act](auto& in) { return ops::linear(in[0], in[1], in[2], act); },
                          {param({4, 3}, 16), param({3, 5}, 17), param({5}, 18)}));
  }
  // Rank-3 input multiplies along its last axis; no bias.
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::linear(in[0], in[1], Tensor()); },
                        {param({2, 3, 4}, 19), param({4, 2}, 20)}));
  EXPECT_THROW(ops::linear(Tensor::zeros({2, 3}), Tensor::zeros({4, 2}), Tensor()), ValueError);
  EXPECT_THROW(ops::linear(x, w, b, {EltwiseAlg::gelu_erf}), ValueError);
}

TEST(Ops, ReductionsForwardAndGradients) {
  Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  EXPECT_FLOAT_EQ(ops::sum(x).item(), 21.f);
  EXPECT_FLOAT_EQ(ops::mean(x).item(), 3.5f);
  EXPECT_EQ(ops::sum(x, {0}).to_vector(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(ops::sum(x, {0}).shape(), (Shape{3}));
  EXPECT_EQ(ops::mean(x, {-1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(ops::mean(x, {-1}, true).to_vector(), (std::vector<float>{2, 5}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::sum(in[0]); }, {param({2, 3}, 21)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::mean(in[0], {1}); }, {param({2, 3, 2}, 22)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::sum(in[0], {0, 2}, true); },
                        {param({2, 3, 2}, 23)}));
  EXPECT_THROW(ops::sum(x, {2}), ValueError);
}

TEST(Ops, ReshapeTransposeFlatten) {
  Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  EXPECT_EQ(ops::reshape(x, {3, -1}).shape(), (Shape{3, 2}));
  EXPECT_EQ(ops::transpose(x, {1, 0}).to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(ops::flatten(Tensor::zeros({4, 2, 3})).shape(), (Shape{4, 6}));
  EXPECT_THROW(ops::reshape(x, {4, -1}), ValueError);
  EXPECT_THROW(ops::transpose(x, {0, 0}), ValueError);
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::mul(ops::reshape(in[0], {3, 2}), ops::reshape(in[0], {3, 2})); },
                        {param({2, 3}, 24)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::transpose(in[0], {2, 0, 1}); },
                        {param({2, 3, 4}, 25)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::flatten(in[0]); }, {param({2, 3, 2}, 26)}));
}

TEST(Ops, ActivationValuesMatchFormulas) {
  Tensor x = random_tensor({16}, 27, -3.f, 3.f);
  auto close = [&](const Tensor& y, float (*f)(float)) {
    return test::max_abs_diff(y.to_vector(), apply_host(x, f)) < 1e-5;
  };
  EXPECT_TRUE(close(ops::relu(x), [](float v) { return v > 0 ? v : 0.f; }));
  EXPECT_TRUE(close(ops::leaky_relu(x, 0.3f), [](float v) { return v > 0 ? v : 0.3f * v; }));
  EXPECT_TRUE(close(ops::sigmoid(x), [](float v) { return 1.f / (1.f + std::exp(-v)); }));
  EXPECT_TRUE(close(ops::tanh(x), [](float v) { return std::tanh(v); }));
  EXPECT_TRUE(close(ops::elu(x, 1.f), [](float v) { return v > 0 ? v : std::exp(v) - 1.f; }));
  EXPECT_TRUE(close(ops::selu(x), [](float v) {
    return 1.0507009873554805f * (v > 0 ? v : 1.6732632423543772f * (std::exp(v) - 1.f));
  }));
  EXPECT_TRUE(close(ops::gelu(x), [](float v) {
    return 0.5f * v * (1.f + std::erf(v / std::sqrt(2.f)));
  }));
  EXPECT_TRUE(close(ops::gelu(x, true), [](float v) {
    return 0.5f * v * (1.f + std::tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
  }));
  EXPECT_TRUE(close(ops::softplus(x), [](float v) { return std::log1p(std::exp(v)); }));
  EXPECT_TRUE(close(ops::softsign(x), [](float v) { return v / (1.f + std::abs(v)); }));
  EXPECT_TRUE(close(ops::exp(x), [](float v) { return std::exp(v); }));
  EXPECT_TRUE(close(ops::thresholded_relu(x, 1.f, 0.f), [](float v) { return v > 1.f ? v : 0.f; }));
  Tensor p = random_tensor({16}, 28, 0.1f, 3.f);
  EXPECT_LT(test::max_abs_diff(ops::log(p).to_vector(), apply_host(p, [](float v) { return std::log(v); })), 1e-5);
}

TEST(Ops, ActivationGradients) {
  std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> fns = {
      {"relu", [](const Tensor& x) { return ops::relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return ops::leaky_relu(x, 0.3f); }},
      {"sigmoid", [](const Tensor& x) { return ops::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return ops::tanh(x); }},
      {"elu", [](const Tensor& x) { return ops::elu(x, 1.3f); }},
      {"selu", [](const Tensor& x) { return ops::selu(x); }},
      {"gelu", [](const Tensor& x) { return ops::gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return ops::gelu(x, true); }},
      {"softplus", [](const Tensor& x) { return ops::softplus(x); }},
      {"softsign", [](const Tensor& x) { return ops::softsign(x); }},
      {"exp", [](const Tensor& x) { return ops::exp(x); }},
      {"abs", [](const Tensor& x) { return ops::abs(x); }},
      {"square", [](const Tensor& x) { return ops::square(x); }},
      {"clip", [](const Tensor& x) { return ops::clip(x, -0.5f, 0.5f); }},
      {"thresholded_relu", [](const Tensor& x) { return ops::thresholded_relu(x, 0.5f, 0.1f); }},
  };
  for (auto& [name, fn] : fns)
    EXPECT_TRUE(gradcheck([&fn](auto& in) { return fn(in[0]); },
                          {param({3, 5}, 29, -2.f, 2.f, {0.f, -0.5f, 0.5f})}))
        << name;
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::log(in[0]); }, {param({3, 4}, 30, 0.5f, 2.f)}));
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::sqrt(in[0]); }, {param({3, 4}, 31, 0.5f, 2.f)}));
}

TEST(Ops, SoftmaxAndLogSoftmax) {
  Tensor x = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 1, 1, 1});
  auto y = ops::softmax(x).to_vector();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(y[2], std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(y[4], 1.0 / 3, 1e-6);
  EXPECT_NEAR(ops::log_softmax(x).to_vector()[0], 1.0 - std::log(z), 1e-5);
  EXPECT_NEAR(ops::softmax(x, 0).to_vector()[0], 0.5, 1e-6);
  for (int axis : {-1, 0, 1}) {
    EXPECT_TRUE(gradcheck([axis](auto& in) { return ops::softmax(in[0], axis); },
                          {param({3, 4, 2}, 32, -2.f, 2.f)}));
    EXPECT_TRUE(gradcheck([axis](auto& in) { return ops::log_softmax(in[0], axis); },
                          {param({3, 4, 2}, 33, -2.f, 2.f)}));
  }
}

TEST(Ops, DropoutMaskIsSeededAndScaled) {
  Tensor x = Tensor::ones({1000});
  auto a = ops::dropout(x, 0.25f, 7, 0).to_vector();
  auto b = ops::dropout(x, 0.25f, 7, 0).to_vector();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, ops::dropout(x, 0.25f, 7, 1000).to_vector());
  int zeros = 0;
  for (float v : a) {
    EXPECT_TRUE(v == 0.f || std::abs(v - 1.f / 0.75f) < 1e-6);
    zeros += v == 0.f;
  }
  EXPECT_NEAR(zeros / 1000.0, 0.25, 0.05);
  EXPECT_TRUE(gradcheck([](auto& in) { return ops::dropout(in[0], 0.5f, 3, 0); },
                        {param({4, 5}, 34)}));
  EXPECT_THROW(ops::dropout(x, 1.f, 0, 0), ValueError);
}

TEST(Ops, OneHotRejectsOutOfRangeLabels) {
  Tensor y = Tensor::from_vector({3}, std::vector<int32_t>{2, 0, 1});
  EXPECT_EQ(ops::one_hot(y, 3).to_vector(), (std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0}));
  Tensor bad = Tensor::from_vector({2}, std::vector<int64_t>{1, 5});
  EXPECT_THROW(ops::one_hot(bad, 3), ValueError);
}

TEST(Ops, RejectsNonFloatInputs) {
  Tensor i = Tensor::from_vector({2}, std::vector<int32_t>{1, 2});
  EXPECT_THROW(ops::relu(i), ValueError);
  EXPECT_THROW(ops::add(i, i), ValueError);
}

// An empty batch gives empty outputs and zero weight gradients (the contraction over the batch is
// an empty sum), never a crash.
TEST(Ops, MatmulAndLinearOnAnEmptyBatch) {
  Tensor x = Tensor::zeros({0, 4}).set_requires_grad(true);
  Tensor w = Tensor::ones({4, 3}).set_requires_grad(true);
  Tensor b = Tensor::ones({3}).set_requires_grad(true);
  ops::sum(ops::matmul(x, w)).backward();
  EXPECT_EQ(w.grad().to_vector(), std::vector<float>(12, 0.f));
  w.zero_grad();
  Tensor y = ops::linear(x, w, b, {EltwiseAlg::relu, 0.f});
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  ops::sum(y).backward();
  EXPECT_EQ(w.grad().to_vector(), std::vector<float>(12, 0.f));
  EXPECT_EQ(b.grad().to_vector(), std::vector<float>(3, 0.f));
  // K = 0 in the forward direction: the product is the bias alone, through the activation.
  Tensor a0 = Tensor::zeros({2, 0}), w0 = Tensor::zeros({0, 3});
  Tensor bias = Tensor::from_vector({3}, std::vector<float>{-1, 0.5f, 2});
  EXPECT_EQ(ops::linear(a0, w0, bias, {EltwiseAlg::relu, 0.f}).to_vector(),
            (std::vector<float>{0, 0.5f, 2, 0, 0.5f, 2}));
}
