// Sequential end to end: building, shape errors, compile/fit/evaluate/predict, weights, summary.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "strata/strata.hpp"

using namespace strata;

namespace {

// Two Gaussian blobs in 2-D, linearly separable with a margin.
Dataset blobs(int n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> noise(0.f, 0.5f);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < n; ++i) {
    int c = i % 2;
    x.push_back((c ? 2.f : -2.f) + noise(rng));
    x.push_back((c ? -1.f : 1.f) + noise(rng));
    y.push_back(c);
  }
  return {Tensor::from_vector({n, 2}, x), Tensor::from_vector({n}, y)};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "<no ValueError>";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

Sequential classifier() {
  return Sequential({Input({2}), Dense({.units = 16, .activation = "relu"}),
                     Dense({.units = 2, .activation = "softmax"})});
}

}  // namespace

TEST(Sequential, InputBuildsEveryLayerAtConstruction) {
  Sequential m({Input({28, 28, 1}), Flatten(), Dense({.units = 32, .activation = "relu"}),
                Dense(10)});
  EXPECT_TRUE(m.built());
  EXPECT_EQ(m.layers().size(), 3u);
  EXPECT_EQ(m.output_shape(), (Shape{-1, 10}));
  EXPECT_EQ(m.count_params(), 784 * 32 + 32 + 32 * 10 + 10);
}

TEST(Sequential, ShapeMismatchAtAddNamesLayerAndShapes) {
  auto msg = error_of([] { Sequential m({Input({10}), Reshape({3, -1})}); });
  EXPECT_TRUE(has(msg, "Reshape")) << msg;
  EXPECT_TRUE(has(msg, "(None, 10)")) << msg;
  auto prebuilt = std::make_shared<Dense>(DenseOptions{.units = 4, .name = "pre"});
  prebuilt->build(Shape{-1, 5});
  msg = error_of([&] { Sequential m({Input({7}), prebuilt}); });
  EXPECT_TRUE(has(msg, "Dense 'pre'")) << msg;
  EXPECT_TRUE(has(msg, "(None, 7)")) << msg;
  EXPECT_TRUE(has(msg, "5")) << msg;
  msg = error_of([] { Sequential m({Dense(3), Input({2})}); });
  EXPECT_TRUE(has(msg, "first layer")) << msg;
}

TEST(Sequential, AddPopAndLazyBuild) {
  Sequential m;
  m.add(Dense(4));
  m.add(Dense(2));
  EXPECT_FALSE(m.built());
  Tensor y = m(Tensor::ones({3, 5}));
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(m.input_shape(), (Shape{-1, 5}));
  m.pop();
  EXPECT_EQ(m.output_shape(), (Shape{-1, 4}));
  m.pop();
  EXPECT_THROW(m.pop(), ValueError);
  EXPECT_THROW(m(Tensor::ones({3, 6})), ValueError);
}

TEST(Sequential, SummaryLooksLikeKeras) {
  Sequential m({Input({784}), Dense({.units = 64, .activation = "relu", .name = "hidden"}),
                Dense({.units = 10, .name = "out"})},
               "mlp");
  m.layers()[1]->set_trainable(false);
  std::string s = m.summary_string();
  EXPECT_TRUE(has(s, "Model: \"mlp\"")) << s;
  EXPECT_TRUE(has(s, "Layer (type)")) << s;
  EXPECT_TRUE(has(s, "hidden (Dense)")) << s;
  EXPECT_TRUE(has(s, "(None, 64)")) << s;
  EXPECT_TRUE(has(s, "50,240")) << s;
  EXPECT_TRUE(has(s, "Total params: 50,890 (198.79 KB)")) << s;
  EXPECT_TRUE(has(s, "Trainable params: 50,240")) << s;
  EXPECT_TRUE(has(s, "Non-trainable params: 650 (2.54 KB)")) << s;
}

TEST(Sequential, CompileRejectsUnknownNames) {
  auto m = classifier();
  EXPECT_TRUE(has(error_of([&] { m.compile({.optimizer = "adamm", .loss = "mse"}); }), "adam"));
  EXPECT_TRUE(has(error_of([&] { m.compile({.optimizer = "sgd", .loss = "msee"}); }),
                  "mean_squared_error"));
  EXPECT_TRUE(has(error_of([&] { m.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"acuracy"}}); }),
                  "accuracy"));
}

TEST(Sequential, FitConvergesOnSeparableData) {
  set_random_seed(1);
  auto m = classifier();
  m.compile({.optimizer = SGD({.learning_rate = 0.1f}),
             .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto train = blobs(512, 2), test = blobs(256, 3);
  History h = m.fit(train.x, train.y, {.batch_size = 32, .epochs = 8, .verbose = 0});
  ASSERT_EQ(h["loss"].size(), 8u);
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  EXPECT_GT(h["accuracy"].back(), 0.97);
  Logs r = m.evaluate(test.x, test.y, {.verbose = 0});
  EXPECT_GT(r["accuracy"], 0.97);
  EXPECT_LT(r["loss"], 0.2);
  Tensor p = m.predict(test.x);
  EXPECT_EQ(p.shape(), (Shape{256, 2}));
  auto pv = p.to_vector();
  EXPECT_NEAR(pv[0] + pv[1], 1.f, 1e-5);
}

TEST(Sequential, EveryOptimizerAndLossTrains) {
  auto train = blobs(256, 4);
  std::vector<float> onehot;
  for (int32_t c : train.y.to_vector<int32_t>()) onehot.push_back(float(c == 0)), onehot.push_back(float(c == 1));
  Tensor y_cat = Tensor::from_vector({256, 2}, onehot);
  for (const char* opt : {"sgd", "adam", "rmsprop"}) {
    for (const char* loss : {"sparse_categorical_crossentropy", "categorical_crossentropy", "mse"}) {
      set_random_seed(3);
      auto m = classifier();
      m.compile({.optimizer = opt, .loss = loss, .metrics = {"accuracy"}});
      const Tensor& y = std::string(loss) == "sparse_categorical_crossentropy" ? train.y : y_cat;
      auto h = m.fit(train.x, y, {.batch_size = 16, .epochs = 6, .verbose = 0});
      EXPECT_LT(h["loss"].back(), h["loss"].front()) << opt << " " << loss;
      EXPECT_GT(h["accuracy"].back(), 0.9) << opt << " " << loss;
    }
  }
}

TEST(Sequential, ValidationSplitAndDataReportValLogs) {
  auto m = classifier();
  m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto d = blobs(100, 5), v = blobs(40, 6);
  auto h = m.fit(d.x, d.y, {.epochs = 2, .verbose = 0, .validation_split = 0.2});
  EXPECT_EQ(h["val_loss"].size(), 2u);
  EXPECT_EQ(h["val_accuracy"].size(), 2u);
  h = m.fit(d.x, d.y, {.epochs = 1, .verbose = 0, .validation_data = {v.x, v.y}});
  EXPECT_EQ(h["val_loss"].size(), 1u);
  EXPECT_THROW(m.fit(d.x, d.y, {.verbose = 0, .validation_split = 1.0}), ValueError);
  EXPECT_THROW(h["val_nope"], ValueError);
}

TEST(Sequential, SeededTrainingIsReproducible) {
  auto run = [] {
    set_random_seed(77);
    Sequential m({Input({2}), Dense({.units = 8, .activation = "relu"}), Dropout(0.3f),
                  Dense({.units = 2, .activation = "softmax"})});
    m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    auto d = blobs(64, 8);
    return m.fit(d.x, d.y, {.batch_size = 8, .epochs = 3, .verbose = 0})["loss"];
  };
  EXPECT_EQ(run(), run());
}

TEST(Sequential, BadDataIsRejectedWithClearMessages) {
  auto m = classifier();
  auto d = blobs(10, 9);
  EXPECT_TRUE(has(error_of([&] { m.fit(d.x, d.y); }), "compile"));
  m.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  auto msg = error_of([&] { m.fit(d.x, Tensor::zeros({9}, DType::int32), {.verbose = 0}); });
  EXPECT_TRUE(has(msg, "10") && has(msg, "9")) << msg;
  msg = error_of([&] { m.fit(Tensor::zeros({0, 2}), Tensor::zeros({0}, DType::int32), {.verbose = 0}); });
  EXPECT_TRUE(has(msg, "empty")) << msg;
  std::vector<float> xs = d.x.to_vector();
  xs[7] = NAN;
  msg = error_of([&] { m.fit(Tensor::from_vector({10, 2}, xs), d.y, {.verbose = 0}); });
  EXPECT_TRUE(has(msg, "sample 3")) << msg;
  std::vector<int32_t> ys(10, 0);
  ys[4] = 2;
  msg = error_of([&] { m.fit(d.x, Tensor::from_vector({10}, ys), {.verbose = 0}); });
  EXPECT_TRUE(has(msg, "label 2 at sample 4")) << msg;
  msg = error_of([&] { m.fit(Tensor::zeros({10, 3}), d.y, {.verbose = 0}); });
  EXPECT_TRUE(has(msg, "(None, 2)") && has(msg, "(10, 3)")) << msg;
  EXPECT_THROW(m.fit(d.x, d.y, {.batch_size = 0}), ValueError);
  EXPECT_THROW(m.predict(Tensor::zeros({4, 5})), ValueError);
}

TEST(Sequential, WeightsRoundTrip) {
  auto a = classifier(), b = classifier();
  auto w = a.get_weights();
  ASSERT_EQ(w.size(), 4u);
  b.set_weights(w);
  Tensor x = blobs(4, 10).x;
  EXPECT_EQ(a.predict(x).to_vector(), b.predict(x).to_vector());
  w.pop_back();
  EXPECT_THROW(b.set_weights(w), ValueError);
  w.push_back(Tensor::zeros({3}));
  auto msg = error_of([&] { b.set_weights(w); });
  EXPECT_TRUE(has(msg, "bias") && has(msg, "(2,)") && has(msg, "(3,)")) << msg;
}

TEST(Sequential, TrainOnBatchAndProgressLines) {
  auto m = classifier();
  m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto d = blobs(64, 11);
  Logs l = m.train_on_batch(d.x, d.y);
  EXPECT_TRUE(l.contains("loss") && l.contains("accuracy"));
  testing::internal::CaptureStdout();
  m.fit(d.x, d.y, {.batch_size = 16, .epochs = 2});
  std::string out = testing::internal::GetCapturedStdout();
  // Not a terminal: one line per epoch, no redraws.
  EXPECT_TRUE(has(out, "Epoch 1/2\n4/4 - ")) << out;
  EXPECT_TRUE(has(out, "Epoch 2/2\n4/4 - ")) << out;
  EXPECT_TRUE(has(out, "loss: ")) << out;
  EXPECT_FALSE(has(out, "\r")) << out;
}

TEST(Sequential, SteadyStateTrainingCreatesNothing) {
  // After one epoch every primitive exists and every buffer size sits in the pool: further
  // epochs (same batch sizes, the short last batch included) must reuse them all.
  set_random_seed(12);
  Sequential m({Input({2}), Dense({.units = 32, .activation = "relu"}), Dropout(0.1f),
                Dense({.units = 2, .activation = "softmax"})});
  m.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  auto d = blobs(200, 12);
  m.fit(d.x, d.y, {.batch_size = 64, .epochs = 1, .verbose = 0});
  Backend& be = default_backend();
  const BackendStats before = be.stats();
  m.fit(d.x, d.y, {.batch_size = 64, .epochs = 3, .verbose = 0});
  const BackendStats after = be.stats();
  EXPECT_EQ(after.cached_primitives, before.cached_primitives);
  EXPECT_EQ(after.system_allocations, before.system_allocations);
}

TEST(Sequential, ValidationAndEvaluationLabelsAreCheckedToo) {
  auto m = classifier();
  m.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  auto d = blobs(10, 13);
  std::vector<int32_t> ys(10, 1);
  ys[6] = -1;
  Tensor bad = Tensor::from_vector({10}, ys);
  auto msg = error_of([&] { m.fit(d.x, d.y, {.verbose = 0, .validation_data = {d.x, bad}}); });
  EXPECT_TRUE(has(msg, "validation_data") && has(msg, "sample 6")) << msg;
  msg = error_of([&] { m.evaluate(d.x, bad, {.verbose = 0}); });
  EXPECT_TRUE(has(msg, "evaluate") && has(msg, "label -1 at sample 6")) << msg;
  EXPECT_THROW(m.train_on_batch(d.x, bad), ValueError);
}
