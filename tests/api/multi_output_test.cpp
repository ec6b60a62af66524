// Models with several inputs and outputs: per-output losses (by position and by name),
// loss_weights, Keras' log names, list forms of fit/evaluate/predict/train_on_batch, bad input.
#include <random>

#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/expect_error.hpp"

using namespace strata;

namespace {

// Two inputs; the targets are a regression score (a·1 - b·1) and a class (sign of a[0]).
struct TwoTower {
  std::vector<Tensor> x;
  std::vector<Tensor> y;
};

TwoTower data(int n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> a, b, score;
  std::vector<int32_t> kind;
  for (int i = 0; i < n; ++i) {
    float sa = 0, sb = 0;
    for (int j = 0; j < 3; ++j) a.push_back(g(rng)), sa += a.back();
    for (int j = 0; j < 2; ++j) b.push_back(g(rng)), sb += b.back();
    score.push_back(sa - sb);
    kind.push_back(a[static_cast<size_t>(i) * 3] > 0 ? 1 : 0);
  }
  return {{Tensor::from_vector({n, 3}, a), Tensor::from_vector({n, 2}, b)},
          {Tensor::from_vector({n, 1}, score), Tensor::from_vector({n}, kind)}};
}

std::shared_ptr<Model> two_tower() {
  SymbolicTensor a = Input({3}, {.name = "a"});
  SymbolicTensor b = Input({2}, {.name = "b"});
  SymbolicTensor ha = Dense({.units = 16, .activation = "relu"})(a);
  SymbolicTensor hb = Dense({.units = 16, .activation = "relu"})(b);
  SymbolicTensor joined = Concatenate()({ha, hb});
  SymbolicTensor score = Dense({.units = 1, .name = "score"})(joined);
  SymbolicTensor kind = Dense({.units = 2, .activation = "softmax", .name = "kind"})(ha);
  return std::make_shared<Model>(SymbolicTensors{a, b}, SymbolicTensors{score, kind}, "towers");
}

std::vector<Tensor> rows(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  for (const auto& t : ts) out.push_back(t.slice_rows(0, 16));
  return out;
}

}  // namespace

TEST(MultiOutput, TwoInputsTwoOutputsTrainEndToEnd) {
  set_random_seed(7);
  auto model = two_tower();
  EXPECT_EQ(model->output_names(), (std::vector<std::string>{"score", "kind"}));
  model->compile({.optimizer = Adam({.learning_rate = 0.01}),
                  .loss = {{"score", "mse"}, {"kind", "sparse_categorical_crossentropy"}},
                  .loss_weights = {1.0, 0.5},
                  .output_metrics = {{"kind", {"accuracy"}}}});
  TwoTower train = data(512, 1), test = data(256, 2);
  History h = model->fit(train.x, train.y,
                         {.batch_size = 32, .epochs = 12, .verbose = 0,
                          .validation_data = {test.x, test.y}});
  for (const char* key : {"loss", "score_loss", "kind_loss", "kind_accuracy", "val_loss",
                          "val_score_loss", "val_kind_loss", "val_kind_accuracy"})
    EXPECT_EQ(h.history.count(key), 1u) << key;
  EXPECT_LT(h.history.at("score_loss").back(), 0.3 * h.history.at("score_loss").front());
  Logs r = model->evaluate(test.x, test.y, {.verbose = 0});
  EXPECT_GT(r["kind_accuracy"], 0.9);
  EXPECT_NEAR(r["loss"], r["score_loss"] + 0.5 * r["kind_loss"], 1e-4);

  auto p = model->predict(test.x);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].shape(), (Shape{256, 1}));
  EXPECT_EQ(p[1].shape(), (Shape{256, 2}));
  Logs step = model->train_on_batch(rows(test.x), rows(test.y));
  EXPECT_EQ(step.items().size(), 4u);
}

TEST(MultiOutput, LossByPositionAndAnUntrainedOutput) {
  set_random_seed(8);
  auto model = two_tower();
  TwoTower d = data(64, 3);
  // Only the score output has a loss; its target alone is needed.
  model->compile({.optimizer = "sgd", .loss = {{"score", "mse"}}});
  Logs r = model->evaluate(d.x, {d.y[0], Tensor()}, {.verbose = 0});
  EXPECT_EQ(r.items().size(), 2u);  // loss, score_loss
  EXPECT_NEAR(r["loss"], r["score_loss"], 1e-6);
  model->compile({.optimizer = "sgd", .loss = {"mse", "sparse_categorical_crossentropy"}});
  EXPECT_TRUE(model->evaluate(d.x, d.y, {.verbose = 0}).items().size() == 3u);
}

TEST(MultiOutput, BadOptionsAndArraysAreNamed) {
  auto model = two_tower();
  test::expect_value_error(
      [&] { model->compile({.loss = {"mse"}}); }, {"loss has 1 entries", "2 outputs", "'score'"});
  test::expect_value_error([&] { model->compile({.loss = {{"scor", "mse"}}}); },
                           {"'scor'", "'score', 'kind'"});
  test::expect_value_error([&] { model->compile({.loss = "mse", .output_metrics = {{"x", {"mae"}}}}); },
                           {"output_metrics", "'x'"});
  test::expect_value_error(
      [&] { model->compile({.loss = "mse", .loss_weights = {1.0, std::nan("")}}); },
      {"loss_weights", "'kind'", "not finite"});
  model->compile({.loss = {"mse", "sparse_categorical_crossentropy"}});
  TwoTower d = data(16, 4);
  test::expect_value_error([&] { model->fit(d.x[0], d.y[0], {.verbose = 0}); }, {"2 inputs", "1 arrays"});
  test::expect_value_error([&] { model->fit(d.x, {d.y[0]}, {.verbose = 0}); },
                           {"2 outputs", "1 target"});
  Tensor bad_kind = Tensor::from_vector({16}, std::vector<int32_t>(16, 5));
  test::expect_value_error([&] { model->fit(d.x, {d.y[0], bad_kind}, {.verbose = 0}); },
                           {"output 'kind'", "label 5", "sample 0"});
  test::expect_value_error([&] { model->fit({d.x[0], d.x[1].slice_rows(0, 8)}, d.y, {.verbose = 0}); },
                           {"same number of samples", "input 1 has 8"});
  test::expect_value_error([&] { model->predict(d.x[0]); }, {"2 inputs"});
}
