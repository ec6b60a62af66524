// Metrics on hand examples (Keras' documented ones where they exist), accumulation over batches,
// reset, errors, and the resolution of "accuracy" and the other strings.
#include "strata/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include "support/expect_error.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/losses/losses.hpp"

namespace strata::metrics {
using strata::test::expect_value_error;

namespace {

using Vec = std::vector<float>;

Tensor F(const Shape& s, const Vec& v) { return Tensor::from_vector(s, v); }
Tensor I32(const Shape& s, const std::vector<int32_t>& v) { return Tensor::from_vector(s, v); }
Tensor I64(const Shape& s, const std::vector<int64_t>& v) { return Tensor::from_vector(s, v); }


TEST(Accuracy, KerasExampleAccumulationAndReset) {
  Accuracy acc;
  EXPECT_EQ(acc.name(), "accuracy");
  EXPECT_EQ(acc.result(), 0.0);  // nothing seen yet
  acc.update_state(F({4, 1}, {1, 2, 3, 4}), F({4, 1}, {0, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
  // A second batch of 2 samples, both right: 5 of 6.
  acc.update_state(F({2}, {7, 8}), F({2, 1}, {7, 8}));
  EXPECT_DOUBLE_EQ(acc.result(), 5.0 / 6.0);
  acc.reset_state();
  EXPECT_EQ(acc.result(), 0.0);
  acc.update_state(I32({2}, {3, 1}), F({2}, {3, 2}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
}

TEST(Accuracy, PerSampleMeanOverLastAxis) {
  Accuracy acc;
  // Sample 0 matches 1 of 2, sample 1 matches 2 of 2: (0.5 + 1) / 2.
  acc.update_state(F({2, 2}, {1, 2, 3, 4}), F({2, 2}, {1, 0, 3, 4}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
}

TEST(BinaryAccuracy, KerasExampleAndThreshold) {
  BinaryAccuracy acc;
  EXPECT_EQ(acc.name(), "binary_accuracy");
  acc.update_state(F({4, 1}, {1, 1, 0, 0}), F({4, 1}, {0.98f, 1.f, 0.f, 0.6f}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
  BinaryAccuracy strict({.threshold = 0.7f});
  strict.update_state(F({4}, {1, 1, 0, 0}), F({4, 1}, {0.98f, 1.f, 0.f, 0.6f}));
  EXPECT_DOUBLE_EQ(strict.result(), 1.0);
  // Exactly at the threshold counts as 0 (y_pred > threshold).
  BinaryAccuracy at;
  at.update_state(F({2}, {0, 1}), F({2}, {0.5f, 0.5f}));
  EXPECT_DOUBLE_EQ(at.result(), 0.5);
}

TEST(BinaryAccuracy, MultiLabelRowsAndAccumulation) {
  BinaryAccuracy acc;
  // Row 0: both right; row 1: one of two right.
  acc.update_state(F({2, 2}, {1, 0, 1, 1}), F({2, 2}, {0.9f, 0.2f, 0.1f, 0.9f}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
  acc.update_state(F({1, 2}, {0, 0}), F({1, 2}, {0.9f, 0.9f}));
  EXPECT_DOUBLE_EQ(acc.result(), 1.5 / 3.0);
  acc.reset_state();
  EXPECT_EQ(acc.result(), 0.0);
}

TEST(BinaryAccuracy, ConfigAndInvalidThreshold) {
  auto c = BinaryAccuracy({.name = "acc", .threshold = 0.7f}).get_config();
  EXPECT_EQ(c["name"], "acc");
  EXPECT_EQ(c["dtype"], "float32");
  EXPECT_EQ(c["threshold"].get<double>(), 0.7);
  expect_value_error([] { BinaryAccuracy({.threshold = 1.f}); }, {"BinaryAccuracy", "threshold"});
  expect_value_error([] { BinaryAccuracy({.threshold = 0.f}); }, {"BinaryAccuracy", "threshold"});
}

TEST(CategoricalAccuracy, KerasExampleTiesAndAccumulation) {
  CategoricalAccuracy acc;
  EXPECT_EQ(acc.name(), "categorical_accuracy");
  acc.update_state(F({2, 3}, {0, 0, 1, 0, 1, 0}), F({2, 3}, {0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0.f}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
  // A tie picks the first maximum, like argmax: class 0 here, which is right.
  acc.update_state(F({1, 3}, {1, 0, 0}), F({1, 3}, {0.4f, 0.4f, 0.2f}));
  EXPECT_DOUBLE_EQ(acc.result(), 2.0 / 3.0);
  acc.reset_state();
  acc.update_state(F({1, 3}, {0, 1, 0}), F({1, 3}, {0.4f, 0.4f, 0.2f}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.0);
}

TEST(CategoricalAccuracy, SequenceOutputsAveragePerSample) {
  CategoricalAccuracy acc;
  // (batch 2, time 2, classes 2): sample 0 gets 2/2 steps right, sample 1 gets 1/2.
  acc.update_state(F({2, 2, 2}, {1, 0, 0, 1, 1, 0, 1, 0}),
                   F({2, 2, 2}, {0.9f, 0.1f, 0.2f, 0.8f, 0.7f, 0.3f, 0.4f, 0.6f}));
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
}

TEST(SparseCategoricalAccuracy, KerasExampleAndLabelForms) {
  SparseCategoricalAccuracy acc;
  EXPECT_EQ(acc.name(), "sparse_categorical_accuracy");
  Tensor p = F({2, 3}, {0.1f, 0.6f, 0.3f, 0.05f, 0.95f, 0.f});
  acc.update_state(F({2, 1}, {2, 1}), p);
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
  acc.update_state(I32({2}, {1, 1}), p);
  EXPECT_DOUBLE_EQ(acc.result(), 0.75);
  acc.update_state(I64({2}, {0, 0}), p);
  EXPECT_DOUBLE_EQ(acc.result(), 0.5);
  acc.reset_state();
  acc.update_state(I32({2}, {1, 1}), p);
  EXPECT_DOUBLE_EQ(acc.result(), 1.0);
}

TEST(MeanSquaredErrorMetric, PerSampleMeanWeightedBySamples) {
  MeanSquaredError mse;
  EXPECT_EQ(mse.name(), "mean_squared_error");
  // Sample errors: ((1 + 0) / 2, (4 + 4) / 2) = (0.5, 4).
  mse.update_state(F({2, 2}, {1, 2, 3, 4}), F({2, 2}, {0, 2, 1, 6}));
  EXPECT_DOUBLE_EQ(mse.result(), 2.25);
  // One more sample with error 9: (0.5 + 4 + 9) / 3, not the mean of the two batch means.
  mse.update_state(F({1}, {0}), F({1, 1}, {3}));
  EXPECT_DOUBLE_EQ(mse.result(), 13.5 / 3.0);
  mse.reset_state();
  EXPECT_EQ(mse.result(), 0.0);
}

TEST(MeanAbsoluteErrorMetric, PerSampleMean) {
  MeanAbsoluteError mae;
  EXPECT_EQ(mae.name(), "mean_absolute_error");
  mae.update_state(F({3}, {1, 2, 3}), F({3, 1}, {0.5f, 2.f, 5.f}));
  EXPECT_DOUBLE_EQ(mae.result(), 2.5 / 3.0);
  mae.update_state(I32({1}, {1}), F({1}, {2}));
  EXPECT_DOUBLE_EQ(mae.result(), 3.5 / 4.0);
}

TEST(Metrics, BadShapesThrowAndLeaveStateAlone) {
  SparseCategoricalAccuracy sparse;
  sparse.update_state(I32({1}, {0}), F({1, 2}, {0.9f, 0.1f}));
  expect_value_error(
      [&] {
        sparse.update_state(I32({3}, {0, 1, 2}), F({2, 3}, Vec(6, 0)));
      },
      {"SparseCategoricalAccuracy", "sparse_categorical_accuracy", "(3,)", "(2, 3)"});
  EXPECT_DOUBLE_EQ(sparse.result(), 1.0);

  CategoricalAccuracy cat;
  expect_value_error(
      [&] {
        cat.update_state(F({2}, {0, 1}), F({2, 3}, Vec(6, 0)));
      },
      {"CategoricalAccuracy", "(2,)", "(2, 3)"});
  MeanSquaredError mse;
  expect_value_error(
      [&] {
        mse.update_state(F({2, 3}, Vec(6, 0)), F({2, 2}, Vec(4, 0)));
      },
      {"MeanSquaredError", "(2, 3)", "(2, 2)"});
  BinaryAccuracy bin;
  expect_value_error(
      [&] {
        bin.update_state(F({4, 1}, Vec(4, 0)), F({4, 2}, Vec(8, 0)));
      },
      {"BinaryAccuracy", "(4, 1)", "(4, 2)"});
  Accuracy acc;
  expect_value_error([&] { acc.update_state(Tensor(), F({1}, {0})); }, {"Accuracy", "y_true"});
}

TEST(Metrics, Configs) {
  EXPECT_EQ(SparseCategoricalAccuracy().get_config(),
            nlohmann::json({{"name", "sparse_categorical_accuracy"}, {"dtype", "float32"}}));
  EXPECT_EQ(MeanSquaredError({.name = "mse"}).get_config(),
            nlohmann::json({{"name", "mse"}, {"dtype", "float32"}}));
  EXPECT_EQ(Accuracy().class_name(), "Accuracy");
  EXPECT_EQ(MeanAbsoluteError().class_name(), "MeanAbsoluteError");
}

// ---- get_metric / MetricSpec -------------------------------------------------------------------

std::string resolved(const std::string& name, const Loss* loss, const Shape& yt, const Shape& yp) {
  return get_metric(name, loss, yt, yp)->class_name();
}

TEST(GetMetric, AccuracyFollowsTheLoss) {
  BinaryCrossentropy bce;
  CategoricalCrossentropy cce;
  SparseCategoricalCrossentropy scce;
  // The loss decides even where the shape rule would say otherwise (multi-label BCE).
  EXPECT_EQ(resolved("accuracy", &bce, {8, 5}, {8, 5}), "BinaryAccuracy");
  EXPECT_EQ(resolved("accuracy", &cce, {8, 5}, {8, 5}), "CategoricalAccuracy");
  EXPECT_EQ(resolved("accuracy", &scce, {8}, {8, 5}), "SparseCategoricalAccuracy");
  // The reported name is the identifier as typed.
  auto m = get_metric("acc", &scce, {8}, {8, 5});
  EXPECT_EQ(m->name(), "acc");
  EXPECT_EQ(m->class_name(), "SparseCategoricalAccuracy");
  EXPECT_EQ(get_metric("accuracy", &bce, {8, 1}, {8, 1})->name(), "accuracy");
  EXPECT_EQ(get_metric("Accuracy", &cce, {8, 5}, {8, 5})->class_name(), "CategoricalAccuracy");
}

TEST(GetMetric, AccuracyShapeRuleForOtherLosses) {
  strata::MeanSquaredError mse_loss;  // the loss, not the metric
  for (const Loss* loss :
       {static_cast<const Loss*>(&mse_loss), static_cast<const Loss*>(nullptr)}) {
    EXPECT_EQ(resolved("accuracy", loss, {8, 1}, {8, 1}), "BinaryAccuracy");
    EXPECT_EQ(resolved("accuracy", loss, {8}, {8, 1}), "BinaryAccuracy");
    EXPECT_EQ(resolved("accuracy", loss, {8}, {8, 5}), "SparseCategoricalAccuracy");
    EXPECT_EQ(resolved("accuracy", loss, {8, 1}, {8, 5}), "SparseCategoricalAccuracy");
    EXPECT_EQ(resolved("accuracy", loss, {8, 5}, {8, 5}), "CategoricalAccuracy");
  }
}

TEST(GetMetric, OtherStringsAndErrors) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"binary_accuracy", "BinaryAccuracy"},
      {"BinaryAccuracy", "BinaryAccuracy"},
      {"categorical_accuracy", "CategoricalAccuracy"},
      {"sparse_categorical_accuracy", "SparseCategoricalAccuracy"},
      {"mse", "MeanSquaredError"},
      {"MSE", "MeanSquaredError"},
      {"mean_squared_error", "MeanSquaredError"},
      {"mae", "MeanAbsoluteError"},
      {"mean_absolute_error", "MeanAbsoluteError"},
      {"MeanAbsoluteError", "MeanAbsoluteError"},
  };
  for (const auto& [name, cls] : cases) {
    auto m = get_metric(name, nullptr, {4, 1}, {4, 1});
    EXPECT_EQ(m->class_name(), cls) << name;
    EXPECT_EQ(m->name(), name);
  }
  expect_value_error(
      [] {
        get_metric("auc", nullptr, {4}, {4, 1});
      },
      {"auc", "accuracy", "binary_accuracy", "mse", "mean_absolute_error"});
}

struct CompileLike {
  std::vector<MetricSpec> metrics;
};

TEST(MetricSpec, StringsObjectsAndPointers) {
  auto shared = std::make_shared<BinaryAccuracy>(BinaryAccuracyOptions{.threshold = 0.3f});
  CompileLike c{
      .metrics = {"accuracy", MeanAbsoluteError({.name = "l1"}), shared, std::string("mse")}};
  SparseCategoricalCrossentropy loss;
  auto m0 = c.metrics[0].resolve(&loss, {4}, {4, 3});
  EXPECT_EQ(m0->class_name(), "SparseCategoricalAccuracy");
  EXPECT_EQ(c.metrics[0].identifier(), "accuracy");
  auto m1 = c.metrics[1].resolve(&loss, {4}, {4, 3});
  EXPECT_EQ(m1->name(), "l1");
  EXPECT_EQ(c.metrics[1].resolve(&loss, {4}, {4, 3}), m1);  // the given object, not a new one
  EXPECT_EQ(c.metrics[2].resolve(&loss, {4}, {4, 3}), shared);
  EXPECT_EQ(c.metrics[3].resolve(&loss, {4}, {4, 3})->name(), "mse");
  expect_value_error([] { MetricSpec("").resolve(nullptr, {1}, {1}); }, {"metric"});
  expect_value_error([] { MetricSpec(MetricPtr()).resolve(nullptr, {1}, {1}); }, {"metric"});
}

}  // namespace
}  // namespace strata::metrics
