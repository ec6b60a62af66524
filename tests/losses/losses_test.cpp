// Losses against hand computations in double, Keras' documented values, gradient checks for
// every path, the recorded-logits (fused) path, and the error cases.
#include "strata/losses/losses.hpp"

#include <gtest/gtest.h>

#include "support/expect_error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "support/gradcheck.hpp"

namespace strata {
using strata::test::expect_value_error;

namespace {

using Vec = std::vector<float>;
using test::gradcheck;
using test::random_tensor;

Tensor F(const Shape& s, const Vec& v) { return Tensor::from_vector(s, v); }
Tensor I32(const Shape& s, const std::vector<int32_t>& v) { return Tensor::from_vector(s, v); }
Tensor I64(const Shape& s, const std::vector<int64_t>& v) { return Tensor::from_vector(s, v); }

// The clip bounds as float32 holds them (1 - 1e-7 rounds to 1 - 1.19e-7), as in Keras.
const double kLo = static_cast<double>(1e-7f);
const double kHi = static_cast<double>(1.f - 1e-7f);

void expect_close(double actual, double expected, double rel = 2e-5) {
  EXPECT_NEAR(actual, expected, rel * std::max(1.0, std::abs(expected)));
}


// ---- host references (double) -----------------------------------------------------------------

double ref_bce_probs(const Vec& y, const Vec& p, double ls = 0) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double t = y[i] * (1 - ls) + 0.5 * ls;
    double q = std::clamp<double>(p[i], kLo, kHi);
    s += -(t * std::log(q) + (1 - t) * std::log(1 - q));
  }
  return s / static_cast<double>(y.size());
}

double ref_bce_logits(const Vec& y, const Vec& z, double ls = 0) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double t = y[i] * (1 - ls) + 0.5 * ls;
    double x = z[i];
    s += std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x)));
  }
  return s / static_cast<double>(y.size());
}

std::vector<double> ref_log_softmax_row(const float* z, int64_t c) {
  double m = *std::max_element(z, z + c), sum = 0;
  for (int64_t j = 0; j < c; ++j) sum += std::exp(z[j] - m);
  std::vector<double> out(static_cast<size_t>(c));
  for (int64_t j = 0; j < c; ++j) out[j] = z[j] - m - std::log(sum);
  return out;
}

std::vector<double> ref_log_probs_row(const float* p, int64_t c) {
  double sum = 0;
  for (int64_t j = 0; j < c; ++j) sum += p[j];
  std::vector<double> out(static_cast<size_t>(c));
  for (int64_t j = 0; j < c; ++j) out[j] = std::log(std::clamp(p[j] / sum, kLo, kHi));
  return out;
}

// Categorical crossentropy of rows of width c; `logits` picks log-softmax over clipped probs.
double ref_cce(const Vec& y, const Vec& pred, int64_t c, bool logits, double ls = 0) {
  const size_t rows = pred.size() / static_cast<size_t>(c);
  double s = 0;
  for (size_t r = 0; r < rows; ++r) {
    const float* row = pred.data() + r * c;
    auto lp = logits ? ref_log_softmax_row(row, c) : ref_log_probs_row(row, c);
    for (int64_t j = 0; j < c; ++j) {
      double t = y[r * c + j] * (1 - ls) + ls / static_cast<double>(c);
      s -= t * lp[j];
    }
  }
  return s / static_cast<double>(rows);
}

Vec one_hot(const std::vector<int>& labels, int c) {
  Vec out(labels.size() * c, 0.f);
  for (size_t i = 0; i < labels.size(); ++i) out[i * c + labels[i]] = 1.f;
  return out;
}

// ---- MeanSquaredError / MeanAbsoluteError -----------------------------------------------------

TEST(MeanSquaredError, MatchesHandComputation) {
  Vec y{1, 2, 3, 4, 5, 6}, p{1.5f, 1.f, 3.f, 2.f, 7.f, 5.5f};
  double ref = 0;
  for (size_t i = 0; i < y.size(); ++i) ref += (y[i] - p[i]) * (y[i] - p[i]);
  ref /= 6;
  expect_close(MeanSquaredError()(F({2, 3}, y), F({2, 3}, p)).item(), ref);
}

TEST(MeanSquaredError, ExpandsRankOneTargetsAndConvertsIntTargets) {
  Tensor p = F({3, 1}, {0.5f, 2.f, 2.f});
  const double ref = (0.25 + 0.0 + 1.0) / 3;
  expect_close(MeanSquaredError()(F({3}, {1, 2, 3}), p).item(), ref);
  expect_close(MeanSquaredError()(I32({3}, {1, 2, 3}), p).item(), ref);
  expect_close(MeanSquaredError()(I64({3, 1}, {1, 2, 3}), p).item(), ref);
  // y_pred (N,) with y_true (N, 1) is expanded the same way.
  expect_close(MeanSquaredError()(F({3, 1}, {1, 2, 3}), F({3}, {0.5f, 2.f, 2.f})).item(), ref);
}

TEST(MeanSquaredError, MismatchedShapesNameLossAndShapes) {
  expect_value_error(
      [] {
        MeanSquaredError()(F({2, 3}, Vec(6, 0)), F({2, 2}, Vec(4, 0)));
      },
      {"MeanSquaredError", "(2, 3)", "(2, 2)"});
  // Keras would broadcast (4, 1) against (4, 2); we refuse instead of guessing.
  expect_value_error(
      [] {
        MeanSquaredError()(F({4, 1}, Vec(4, 0)), F({4, 2}, Vec(8, 0)));
      },
      {"MeanSquaredError", "(4, 1)", "(4, 2)"});
}

TEST(MeanSquaredError, GradientMatchesFiniteDifferences) {
  Tensor y = random_tensor({4, 3}, 11);
  Tensor p = random_tensor({4, 3}, 12).set_requires_grad(true);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return MeanSquaredError()(y, in[0]); }, {p}));
}

TEST(MeanAbsoluteError, MatchesHandComputation) {
  Vec y{1, 2, 3, 4}, p{1.5f, 1.f, 3.25f, 2.f};
  expect_close(MeanAbsoluteError()(F({4}, y), F({4, 1}, p)).item(), (0.5 + 1 + 0.25 + 2) / 4);
}

TEST(MeanAbsoluteError, GradientMatchesFiniteDifferences) {
  Tensor y = F({2, 3}, {0.f, 0.f, 0.f, 0.f, 0.f, 0.f});
  // |p - y| has a kink at p == y: keep p away from 0.
  Tensor p = random_tensor({2, 3}, 13, -1.f, 1.f, {0.f}, 0.1f).set_requires_grad(true);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return MeanAbsoluteError()(y, in[0]); }, {p}));
}

TEST(MeanAbsoluteError, MismatchedShapesThrow) {
  expect_value_error([] { MeanAbsoluteError()(F({3}, Vec(3, 0)), F({2}, Vec(2, 0))); },
                     {"MeanAbsoluteError", "(3,)", "(2,)"});
}

// ---- BinaryCrossentropy ------------------------------------------------------------------------

TEST(BinaryCrossentropy, KerasDocumentedValue) {
  // keras.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) = [0.916, 0.714]
  Tensor l = BinaryCrossentropy()(F({2, 2}, {0, 1, 0, 0}), F({2, 2}, {0.6f, 0.4f, 0.4f, 0.6f}));
  EXPECT_NEAR(l.item(), (0.916 + 0.714) / 2, 1e-3);
}

TEST(BinaryCrossentropy, ProbabilitiesMatchHandComputation) {
  Vec y{0, 1, 1, 0, 1, 0}, p{0.1f, 0.8f, 0.3f, 0.55f, 0.99f, 0.02f};
  expect_close(BinaryCrossentropy()(F({3, 2}, y), F({3, 2}, p)).item(), ref_bce_probs(y, p));
  // Probabilities at 0 and 1 are clipped to [1e-7, 1 - 1e-7], not infinite.
  Vec y2{1, 0}, p2{0.f, 1.f};
  expect_close(BinaryCrossentropy()(F({2}, y2), F({2}, p2)).item(), ref_bce_probs(y2, p2));
}

TEST(BinaryCrossentropy, LogitsMatchHandComputation) {
  Vec y{0, 1, 1, 0, 1, 0}, z{-2.f, 0.5f, -0.3f, 3.f, 7.f, -40.f};
  BinaryCrossentropy bce({.from_logits = true});
  expect_close(bce(F({6}, y), F({6, 1}, z)).item(), ref_bce_logits(y, z));
}

TEST(BinaryCrossentropy, LabelSmoothingBothPaths) {
  Vec y{0, 1, 1, 0}, p{0.1f, 0.8f, 0.3f, 0.55f}, z{-2.f, 0.5f, -0.3f, 3.f};
  BinaryCrossentropy probs({.label_smoothing = 0.2f});
  BinaryCrossentropy logits({.from_logits = true, .label_smoothing = 0.2f});
  expect_close(probs(F({4}, y), F({4}, p)).item(), ref_bce_probs(y, p, 0.2));
  expect_close(logits(F({4}, y), F({4}, z)).item(), ref_bce_logits(y, z, 0.2));
}

TEST(BinaryCrossentropy, SigmoidOutputUsesItsLogits) {
  Vec y{0, 1, 1, 0, 1};
  Tensor z = F({5, 1}, {-2.f, 0.5f, -0.3f, 3.f, 1.f});
  Tensor fused = BinaryCrossentropy()(F({5}, y), ops::sigmoid(z));
  Tensor logits = BinaryCrossentropy({.from_logits = true})(F({5}, y), z);
  EXPECT_NEAR(fused.item(), logits.item(), 1e-6);
}

TEST(BinaryCrossentropy, SaturatedSigmoidStaysExactAndFinite) {
  // Wrong answers with confidence 100: the loss is 100, where the clipped path stops at
  // -log(1e-7) = 16.1.
  Tensor y = F({2}, {0, 1});
  Tensor z = F({2}, {100.f, -100.f});
  Tensor p = ops::sigmoid(z);
  const float fused = BinaryCrossentropy()(y, p).item();
  EXPECT_TRUE(std::isfinite(fused));
  EXPECT_NEAR(fused, 100.f, 1e-3);
  EXPECT_NEAR(BinaryCrossentropy({.from_logits = true})(y, z).item(), 100.f, 1e-3);
  // The same probabilities without the recorded logits take the clipped path.
  EXPECT_NEAR(BinaryCrossentropy()(y, p.detach()).item(), ref_bce_probs({0, 1}, {1, 0}), 1e-3);
  EXPECT_LT(ref_bce_probs({0, 1}, {1, 0}), 17.0);
  // Evaluation (NoGrad) takes the same stable path.
  NoGrad guard;
  EXPECT_NEAR(BinaryCrossentropy()(y, ops::sigmoid(z)).item(), 100.f, 1e-3);
}

TEST(BinaryCrossentropy, SigmoidOfRankOnePredictionWithColumnTargets) {
  // y_pred (N,) is expanded to (N, 1): the recorded logits must follow it.
  Tensor z = F({2}, {100.f, -100.f});
  EXPECT_NEAR(BinaryCrossentropy()(F({2, 1}, {0, 1}), ops::sigmoid(z)).item(), 100.f, 1e-3);
}

TEST(BinaryCrossentropy, GradientAtZeroLogitIsSigmoidMinusTarget) {
  // d/dz = (sigmoid(z) - y) / n. At z == 0 a relu/abs formulation can get -y instead.
  Tensor z = F({2}, {0.f, 0.f}).set_requires_grad(true);
  BinaryCrossentropy({.from_logits = true})(F({2}, {1, 0}), z).backward();
  auto g = z.grad().to_vector();
  EXPECT_NEAR(g[0], (0.5 - 1.0) / 2, 1e-6);
  EXPECT_NEAR(g[1], (0.5 - 0.0) / 2, 1e-6);
}

TEST(BinaryCrossentropy, GradientsMatchFiniteDifferences) {
  Tensor y = F({3, 2}, {0, 1, 1, 0, 1, 1});
  Tensor p = random_tensor({3, 2}, 21, 0.15f, 0.85f).set_requires_grad(true);
  Tensor z = random_tensor({3, 2}, 22, -3.f, 3.f).set_requires_grad(true);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return BinaryCrossentropy()(y, in[0]); }, {p}));
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) { return BinaryCrossentropy({.label_smoothing = 0.1f})(y, in[0]); },
      {p}));
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) { return BinaryCrossentropy({.from_logits = true})(y, in[0]); }, {z}));
  EXPECT_TRUE(
      gradcheck([&](const auto& in) { return BinaryCrossentropy()(y, ops::sigmoid(in[0])); }, {z}));
}

TEST(BinaryCrossentropy, ConfigAndErrors) {
  BinaryCrossentropy bce({.from_logits = true, .label_smoothing = 0.1f});
  auto c = bce.get_config();
  EXPECT_EQ(c["name"], "binary_crossentropy");
  EXPECT_EQ(c["reduction"], "sum_over_batch_size");
  EXPECT_EQ(c["from_logits"], true);
  EXPECT_EQ(c["label_smoothing"].get<double>(), 0.1);
  EXPECT_EQ(c["axis"], -1);
  expect_value_error([] { BinaryCrossentropy({.label_smoothing = 1.5f}); },
                     {"BinaryCrossentropy", "label_smoothing"});
  expect_value_error([] { BinaryCrossentropy({.axis = 1}); }, {"BinaryCrossentropy", "axis"});
  expect_value_error(
      [] {
        BinaryCrossentropy()(F({4, 1}, Vec(4, 0)), F({4, 2}, Vec(8, .5f)));
      },
      {"BinaryCrossentropy", "(4, 1)", "(4, 2)"});
}

// ---- CategoricalCrossentropy -------------------------------------------------------------------

TEST(CategoricalCrossentropy, KerasDocumentedValue) {
  // keras.losses.CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]],
  //                                       [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]) = 1.177
  Tensor l = CategoricalCrossentropy()(F({2, 3}, {0, 1, 0, 0, 0, 1}),
                                       F({2, 3}, {0.05f, 0.95f, 0.f, 0.1f, 0.8f, 0.1f}));
  EXPECT_NEAR(l.item(), 1.177, 1e-3);
}

TEST(CategoricalCrossentropy, ProbabilitiesAreNormalisedAndClipped) {
  // Rows summing to 2 and a zero probability on the target class.
  Vec y = one_hot({0, 2}, 3), p{0.4f, 1.2f, 0.4f, 1.f, 1.f, 0.f};
  expect_close(CategoricalCrossentropy()(F({2, 3}, y), F({2, 3}, p)).item(),
               ref_cce(y, p, 3, false));
}

TEST(CategoricalCrossentropy, LogitsMatchHandComputation) {
  Vec y = one_hot({1, 0, 3}, 4), z{0.5f, -1.f, 2.f, 0.f, 3.f, 1.f, -2.f, 0.5f, -1.f, 0.f, 1.f, 4.f};
  expect_close(CategoricalCrossentropy({.from_logits = true})(F({3, 4}, y), F({3, 4}, z)).item(),
               ref_cce(y, z, 4, true));
  // Soft targets and int one-hot targets are accepted too.
  Vec soft{0.2f, 0.8f, 0.f, 0.f, 0.5f, 0.25f, 0.25f, 0.f, 0.f, 0.f, 0.f, 1.f};
  expect_close(CategoricalCrossentropy({.from_logits = true})(F({3, 4}, soft), F({3, 4}, z)).item(),
               ref_cce(soft, z, 4, true));
  std::vector<int32_t> yi(y.begin(), y.end());
  expect_close(CategoricalCrossentropy({.from_logits = true})(I32({3, 4}, yi), F({3, 4}, z)).item(),
               ref_cce(y, z, 4, true));
}

TEST(CategoricalCrossentropy, LabelSmoothingBothPaths) {
  Vec y = one_hot({1, 2}, 3), p{0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f};
  Vec z{0.5f, -1.f, 2.f, 0.f, 3.f, 1.f};
  expect_close(
      CategoricalCrossentropy({.label_smoothing = 0.3f})(F({2, 3}, y), F({2, 3}, p)).item(),
      ref_cce(y, p, 3, false, 0.3));
  expect_close(CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.3f})(F({2, 3}, y),
                                                                                       F({2, 3}, z))
                   .item(),
               ref_cce(y, z, 3, true, 0.3));
}

TEST(CategoricalCrossentropy, SoftmaxOutputUsesItsLogits) {
  Vec y = one_hot({1, 0}, 3);
  Tensor z = F({2, 3}, {0.5f, -1.f, 2.f, 0.f, 3.f, 1.f});
  EXPECT_NEAR(CategoricalCrossentropy()(F({2, 3}, y), ops::softmax(z)).item(),
              CategoricalCrossentropy({.from_logits = true})(F({2, 3}, y), z).item(), 1e-6);

  // A confidently wrong softmax: loss 200, not the clip's 16.1, and finite.
  Tensor big = F({1, 3}, {100.f, -100.f, 0.f});
  Tensor target = F({1, 3}, {0, 1, 0});
  const float fused = CategoricalCrossentropy()(target, ops::softmax(big)).item();
  EXPECT_TRUE(std::isfinite(fused));
  EXPECT_NEAR(fused, 200.f, 1e-3);
  EXPECT_NEAR(CategoricalCrossentropy()(target, ops::softmax(big).detach()).item(), -std::log(1e-7),
              1e-3);
  NoGrad guard;
  EXPECT_NEAR(CategoricalCrossentropy()(target, ops::softmax(big)).item(), 200.f, 1e-3);
}

TEST(CategoricalCrossentropy, SoftmaxOverAnotherAxisIsTreatedAsProbabilities) {
  Tensor z = F({3, 2}, {0.5f, -1.f, 2.f, 0.f, 3.f, 1.f});
  Tensor p = ops::softmax(z, 0);
  EXPECT_EQ(p.impl()->logits, nullptr);
  Vec y = one_hot({1, 0, 1}, 2);
  EXPECT_NEAR(CategoricalCrossentropy()(F({3, 2}, y), p).item(),
              ref_cce(y, p.to_vector(), 2, false), 1e-5);
}

TEST(CategoricalCrossentropy, GradientsMatchFiniteDifferences) {
  Tensor y = F({3, 4}, {0, 1, 0, 0, 1, 0, 0, 0, 0.25f, 0.25f, 0.5f, 0});
  Tensor p = random_tensor({3, 4}, 31, 0.2f, 1.f).set_requires_grad(true);
  Tensor z = random_tensor({3, 4}, 32, -2.f, 2.f).set_requires_grad(true);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return CategoricalCrossentropy()(y, in[0]); }, {p}));
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) {
        return CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.1f})(y, in[0]);
      },
      {z}));
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) { return CategoricalCrossentropy()(y, ops::softmax(in[0])); }, {z}));
}

TEST(CategoricalCrossentropy, ConfigAndErrors) {
  auto c = CategoricalCrossentropy({.label_smoothing = 0.25f}).get_config();
  EXPECT_EQ(c["name"], "categorical_crossentropy");
  EXPECT_EQ(c["reduction"], "sum_over_batch_size");
  EXPECT_EQ(c["from_logits"], false);
  EXPECT_EQ(c["label_smoothing"].get<double>(), 0.25);
  EXPECT_EQ(c["axis"], -1);
  expect_value_error([] { CategoricalCrossentropy({.label_smoothing = -0.1f}); },
                     {"CategoricalCrossentropy", "label_smoothing"});
  expect_value_error([] { CategoricalCrossentropy({.axis = 0}); },
                     {"CategoricalCrossentropy", "axis"});
  // Sparse labels given to the one-hot loss.
  expect_value_error(
      [] {
        CategoricalCrossentropy()(F({2}, {0, 1}), F({2, 3}, Vec(6, 1.f / 3)));
      },
      {"CategoricalCrossentropy", "(2,)", "(2, 3)"});
}

// ---- SparseCategoricalCrossentropy -------------------------------------------------------------

TEST(SparseCategoricalCrossentropy, KerasDocumentedValue) {
  // keras.losses.SparseCategoricalCrossentropy()([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
  Tensor p = F({2, 3}, {0.05f, 0.95f, 0.f, 0.1f, 0.8f, 0.1f});
  EXPECT_NEAR(SparseCategoricalCrossentropy()(I32({2}, {1, 2}), p).item(), 1.177, 1e-3);
}

TEST(SparseCategoricalCrossentropy, LabelDtypesAndShapesAgree) {
  Vec z{0.5f, -1.f, 2.f, 0.f, 3.f, 1.f, -2.f, 0.5f, -1.f};
  const double ref = ref_cce(one_hot({2, 0, 1}, 3), z, 3, true);
  SparseCategoricalCrossentropy scce({.from_logits = true});
  Tensor logits = F({3, 3}, z);
  expect_close(scce(I32({3}, {2, 0, 1}), logits).item(), ref);
  expect_close(scce(I64({3}, {2, 0, 1}), logits).item(), ref);
  expect_close(scce(F({3}, {2, 0, 1}), logits).item(), ref);
  expect_close(scce(I32({3, 1}, {2, 0, 1}), logits).item(), ref);
}

TEST(SparseCategoricalCrossentropy, ProbabilitiesMatchHandComputation) {
  Vec p{0.2f, 0.5f, 0.3f, 0.6f, 0.3f, 0.3f};  // second row sums to 1.2
  expect_close(SparseCategoricalCrossentropy()(I32({2}, {2, 0}), F({2, 3}, p)).item(),
               ref_cce(one_hot({2, 0}, 3), p, 3, false));
}

TEST(SparseCategoricalCrossentropy, HigherRankPredictionsAverageOverEveryRow) {
  // (batch 2, time 3, classes 4) with labels (2, 3): the mean over the 6 rows.
  Tensor z = random_tensor({2, 3, 4}, 41, -2.f, 2.f);
  std::vector<int> labels{0, 3, 1, 2, 2, 0};
  expect_close(
      SparseCategoricalCrossentropy({.from_logits = true})(I32({2, 3}, {0, 3, 1, 2, 2, 0}), z)
          .item(),
      ref_cce(one_hot(labels, 4), z.to_vector(), 4, true));
}

TEST(SparseCategoricalCrossentropy, SoftmaxOutputUsesItsLogits) {
  Tensor z = F({2, 3}, {0.5f, -1.f, 2.f, 0.f, 3.f, 1.f});
  Tensor y = I32({2}, {1, 0});
  EXPECT_NEAR(SparseCategoricalCrossentropy()(y, ops::softmax(z)).item(),
              SparseCategoricalCrossentropy({.from_logits = true})(y, z).item(), 1e-6);
  Tensor big = F({1, 3}, {100.f, -100.f, 0.f});
  const float fused = SparseCategoricalCrossentropy()(I32({1}, {1}), ops::softmax(big)).item();
  EXPECT_TRUE(std::isfinite(fused));
  EXPECT_NEAR(fused, 200.f, 1e-3);
  EXPECT_NEAR(SparseCategoricalCrossentropy()(I32({1}, {1}), ops::softmax(big).detach()).item(),
              -std::log(1e-7), 1e-3);
}

TEST(SparseCategoricalCrossentropy, IgnoreClassMasksEntriesOut) {
  Vec z{0.5f, -1.f, 2.f, 0.f, 3.f, 1.f, -2.f, 0.5f, -1.f, 1.f, 1.f, 1.f};
  SparseCategoricalCrossentropy scce({.from_logits = true, .ignore_class = -1});
  // Rows 1 and 3 are ignored: the mean is over rows 0 and 2 only.
  Vec valid_rows{0.5f, -1.f, 2.f, -2.f, 0.5f, -1.f};
  const double ref = ref_cce(one_hot({2, 1}, 3), valid_rows, 3, true);
  Tensor logits = F({4, 3}, z);
  logits.set_requires_grad(true);
  Tensor l = scce(I32({4}, {2, -1, 1, -1}), logits);
  expect_close(l.item(), ref);
  l.backward();
  auto g = logits.grad().to_vector();
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(g[3 + j], 0.f);
    EXPECT_EQ(g[9 + j], 0.f);
    EXPECT_NE(g[j], 0.f);
  }
  // A "void" label outside the class range (255) is fine when ignored.
  SparseCategoricalCrossentropy void_class({.from_logits = true, .ignore_class = 255});
  expect_close(void_class(I32({4}, {2, 255, 1, 255}), F({4, 3}, z)).item(), ref);
  // Every entry ignored: 0, as Keras' divide_no_nan gives.
  EXPECT_EQ(scce(I32({2}, {-1, -1}), F({2, 3}, Vec(6, 1.f))).item(), 0.f);
  // Probabilities take the same mask.
  SparseCategoricalCrossentropy probs({.ignore_class = 0});
  Vec p{0.2f, 0.5f, 0.3f, 0.6f, 0.3f, 0.1f};
  expect_close(probs(I32({2}, {0, 1}), F({2, 3}, p)).item(), -std::log(0.3));
}

TEST(SparseCategoricalCrossentropy, GradientsMatchFiniteDifferences) {
  Tensor y = I32({4}, {2, 0, 1, 2});
  Tensor p = random_tensor({4, 3}, 51, 0.2f, 1.f).set_requires_grad(true);
  Tensor z = random_tensor({4, 3}, 52, -2.f, 2.f).set_requires_grad(true);
  EXPECT_TRUE(
      gradcheck([&](const auto& in) { return SparseCategoricalCrossentropy()(y, in[0]); }, {p}));
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) {
        return SparseCategoricalCrossentropy({.from_logits = true})(y, in[0]);
      },
      {z}));
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) { return SparseCategoricalCrossentropy()(y, ops::softmax(in[0])); },
      {z}));
  Tensor masked = I32({4}, {2, 7, 1, 7});
  EXPECT_TRUE(gradcheck(
      [&](const auto& in) {
        return SparseCategoricalCrossentropy({.from_logits = true, .ignore_class = 7})(masked,
                                                                                       in[0]);
      },
      {z}));
}

TEST(SparseCategoricalCrossentropy, BadLabelsAndShapesThrow) {
  Tensor p = F({2, 3}, Vec(6, 1.f / 3));
  expect_value_error(
      [&] {
        SparseCategoricalCrossentropy()(I32({2}, {0, 3}), p);
      },
      {"SparseCategoricalCrossentropy"});
  expect_value_error(
      [&] {
        SparseCategoricalCrossentropy()(I32({2}, {-1, 0}), p);
      },
      {"SparseCategoricalCrossentropy"});
  expect_value_error(
      [&] {
        SparseCategoricalCrossentropy()(F({2}, {0.5f, 1.f}), p);
      },
      {"SparseCategoricalCrossentropy"});
  expect_value_error(
      [&] {
        SparseCategoricalCrossentropy()(I32({3}, {0, 1, 2}), p);
      },
      {"SparseCategoricalCrossentropy", "(3,)", "(2, 3)"});
  // One-hot labels given to the sparse loss.
  expect_value_error(
      [&] {
        SparseCategoricalCrossentropy()(F({2, 3}, Vec(6, 0.f)), p);
      },
      {"SparseCategoricalCrossentropy", "(2, 3)"});
  expect_value_error([] { SparseCategoricalCrossentropy({.axis = 1}); },
                     {"SparseCategoricalCrossentropy", "axis"});
}

TEST(SparseCategoricalCrossentropy, Config) {
  auto c = SparseCategoricalCrossentropy().get_config();
  EXPECT_EQ(c["name"], "sparse_categorical_crossentropy");
  EXPECT_EQ(c["reduction"], "sum_over_batch_size");
  EXPECT_EQ(c["from_logits"], false);
  EXPECT_TRUE(c["ignore_class"].is_null());
  EXPECT_EQ(c["axis"], -1);
  EXPECT_EQ(SparseCategoricalCrossentropy({.ignore_class = 255}).get_config()["ignore_class"], 255);
}

// ---- no-grad evaluation, registry, LossSpec ----------------------------------------------------

TEST(Losses, NoGradGivesTheSameValueWithoutAGraph) {
  Tensor z = random_tensor({3, 4}, 61).set_requires_grad(true);
  Tensor y = I32({3}, {0, 3, 1});
  const float with_grad = SparseCategoricalCrossentropy()(y, ops::softmax(z)).item();
  NoGrad guard;
  Tensor l = SparseCategoricalCrossentropy()(y, ops::softmax(z));
  EXPECT_FALSE(l.requires_grad());
  EXPECT_FLOAT_EQ(l.item(), with_grad);
}

TEST(GetLoss, ResolvesKerasAliasesAndClassNames) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"mse", "MeanSquaredError"},
      {"MSE", "MeanSquaredError"},
      {"mean_squared_error", "MeanSquaredError"},
      {"MeanSquaredError", "MeanSquaredError"},
      {"mae", "MeanAbsoluteError"},
      {"mean_absolute_error", "MeanAbsoluteError"},
      {"MeanAbsoluteError", "MeanAbsoluteError"},
      {"binary_crossentropy", "BinaryCrossentropy"},
      {"BinaryCrossentropy", "BinaryCrossentropy"},
      {"categorical_crossentropy", "CategoricalCrossentropy"},
      {"CategoricalCrossentropy", "CategoricalCrossentropy"},
      {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
      {"SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy"},
  };
  for (const auto& [name, cls] : cases) {
    LossPtr l = get_loss(name);
    ASSERT_NE(l, nullptr) << name;
    EXPECT_EQ(l->class_name(), cls) << name;
  }
  EXPECT_EQ(get_loss("mse")->name(), "mean_squared_error");
  EXPECT_EQ(get_loss("mse")->get_config(),
            nlohmann::json({{"name", "mean_squared_error"}, {"reduction", "sum_over_batch_size"}}));
  expect_value_error([] { get_loss("hinge"); },
                     {"hinge", "mse", "binary_crossentropy", "sparse_categorical_crossentropy",
                      "MeanAbsoluteError"});
}

struct CompileLike {
  LossSpec loss;
};

TEST(LossSpec, AcceptsStringsObjectsAndPointers) {
  CompileLike a{.loss = "mse"};
  EXPECT_EQ(a.loss.identifier(), "mse");
  EXPECT_EQ(a.loss.resolve()->class_name(), "MeanSquaredError");

  CompileLike b{.loss = SparseCategoricalCrossentropy({.from_logits = true})};
  LossPtr lb = b.loss.resolve();
  auto* scce = dynamic_cast<SparseCategoricalCrossentropy*>(lb.get());
  ASSERT_NE(scce, nullptr);
  EXPECT_TRUE(scce->options().from_logits);
  EXPECT_EQ(b.loss.resolve(), lb);  // the same object each time

  auto shared = std::make_shared<BinaryCrossentropy>();
  CompileLike c{.loss = shared};
  EXPECT_EQ(c.loss.resolve(), shared);
  CompileLike d{.loss = std::string("categorical_crossentropy")};
  EXPECT_EQ(d.loss.resolve()->class_name(), "CategoricalCrossentropy");

  expect_value_error([] { CompileLike{}.loss.resolve(); }, {"compile: no loss given"});
  expect_value_error([] { LossSpec("nope").resolve(); }, {"nope", "mse"});
}

}  // namespace
}  // namespace strata
