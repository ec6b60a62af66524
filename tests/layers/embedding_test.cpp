// Embedding: lookup values and shapes, gradients w.r.t. the table, bad ids, config round trip,
// and a tiny token model trained end to end on integer x.
#include <gtest/gtest.h>

#include <random>

#include "strata/api/sequential.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/optimizers/optimizers.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

std::vector<float> row(const std::vector<float>& table, int64_t width, int64_t r) {
  return {table.begin() + r * width, table.begin() + (r + 1) * width};
}

}  // namespace

TEST(Embedding, BuildsKerasShapedTableWithUniformDefault) {
  Embedding e(50, 8);
  e.build(Shape{-1, 3});
  ASSERT_EQ(e.weight_entries().size(), 1u);
  EXPECT_EQ(e.weight_entries()[0].name, "embeddings");
  EXPECT_EQ(e.embeddings().shape(), (Shape{50, 8}));
  EXPECT_EQ(e.count_params(), 400);
  EXPECT_EQ(e.output_shape(), (Shape{-1, 3, 8}));
  float lo = 1, hi = -1;
  for (float v : e.embeddings().to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, -0.05f);
  EXPECT_LE(hi, 0.05f);
  EXPECT_LT(lo, -0.04f);
  EXPECT_GT(hi, 0.04f);
}

TEST(Embedding, OutputRowsAreTableRowsForRank2And3Inputs) {
  Embedding e(10, 3);
  Tensor ids = Tensor::from_vector({2, 4}, std::vector<int32_t>{0, 9, 3, 3, 7, 1, 0, 9});
  Tensor y = e(ids);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(y.dtype(), DType::float32);
  const auto table = e.embeddings().to_vector();
  const auto out = y.to_vector();
  const std::vector<int32_t> flat{0, 9, 3, 3, 7, 1, 0, 9};
  for (size_t i = 0; i < flat.size(); ++i)
    EXPECT_EQ(std::vector<float>(out.begin() + i * 3, out.begin() + (i + 1) * 3),
              row(table, 3, flat[i]))
        << i;

  Embedding e3(6, 2);
  std::vector<int64_t> ids3(2 * 3 * 4);
  for (size_t i = 0; i < ids3.size(); ++i) ids3[i] = static_cast<int64_t>((i * 5) % 6);
  Tensor y3 = e3(Tensor::from_vector({2, 3, 4}, ids3));
  EXPECT_EQ(y3.shape(), (Shape{2, 3, 4, 2}));
  EXPECT_EQ(e3.output_shape(), (Shape{-1, 3, 4, 2}));
  const auto t3 = e3.embeddings().to_vector();
  const auto o3 = y3.to_vector();
  for (size_t i = 0; i < ids3.size(); ++i)
    EXPECT_EQ(std::vector<float>(o3.begin() + i * 2, o3.begin() + (i + 1) * 2),
              row(t3, 2, ids3[i]));
}

TEST(Embedding, GradientIsScatterAddIncludingRepeatedIds) {
  set_random_seed(5);
  Tensor table = test::random_tensor({7, 4}, 11).set_requires_grad(true);
  Tensor ids = Tensor::from_vector({3, 4}, std::vector<int32_t>{1, 1, 6, 0, 3, 1, 6, 6, 2, 0, 1, 5});
  EXPECT_TRUE(test::gradcheck(
      [&](auto& in) { return ops::tanh(ops::embedding_lookup(in[0], ids)); }, {table}));
  Tensor ids64 = Tensor::from_vector({2, 2, 2}, std::vector<int64_t>{4, 4, 4, 0, 6, 2, 4, 0});
  EXPECT_TRUE(
      test::gradcheck([&](auto& in) { return ops::embedding_lookup(in[0], ids64); }, {table}));

  // Through the layer: the summed output's gradient counts how often each row was used.
  Embedding e(5, 2);
  Tensor x = Tensor::from_vector({1, 4}, std::vector<int32_t>{3, 3, 0, 3});
  e.build(x.shape());
  Tensor w = e.embeddings();
  Tensor loss = ops::sum(e(x, true));
  loss.backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{1, 1, 0, 0, 0, 0, 3, 3, 0, 0}));
}

TEST(Embedding, OutOfRangeAndNegativeIdsNameLayerValueAndPosition) {
  Embedding e({.input_dim = 10, .output_dim = 2, .name = "tokens"});
  test::expect_value_error(
      [&] { e(Tensor::from_vector({2, 3}, std::vector<int32_t>{1, 2, 3, 4, 12, 5})); },
      {"tokens", "index 12", "position (1, 1)", "[0, 10)"});
  test::expect_value_error(
      [&] { e(Tensor::from_vector({2, 3}, std::vector<int64_t>{0, -1, 3, 3, 3, 3})); },
      {"tokens", "index -1", "position (0, 1)"});
  // The backend op checks too.
  Tensor table = Tensor::zeros({4, 2});
  test::expect_value_error(
      [&] { ops::embedding_lookup(table, Tensor::from_vector({3}, std::vector<int32_t>{0, 4, 1})); },
      {"index 4", "position 1"});
}

TEST(Embedding, WholeNumberFloatIdsAsKeras2FilesFeedThem) {
  Embedding e({.input_dim = 10, .output_dim = 2, .name = "tokens"});
  Tensor ints = Tensor::from_vector({2, 2}, std::vector<int32_t>{1, 9, 0, 3});
  Tensor floats = Tensor::from_vector({2, 2}, std::vector<float>{1, 9, 0, 3});
  EXPECT_EQ(e(floats).to_vector<float>(), e(ints).to_vector<float>());
  test::expect_value_error([&] { e(Tensor::from_vector({1, 2}, std::vector<float>{1, 2.5f})); },
                           {"tokens", "2.5", "position (0, 1)", "not a whole number"});
  test::expect_value_error([&] { e(Tensor::from_vector({1, 2}, std::vector<float>{1, 12})); },
                           {"tokens", "index 12", "out of range"});
}

TEST(Embedding, BadArgumentsRefused) {
  test::expect_value_error([] { Embedding(0, 4); }, {"input_dim"});
  test::expect_value_error([] { Embedding(4, 0); }, {"output_dim"});
  test::expect_value_error([] { Embedding(4, 2).build(Shape{-1}); }, {"rank >= 2"});
}

TEST(Embedding, ConfigRoundTripThroughTheRegistry) {
  Embedding e({.input_dim = 30, .output_dim = 6, .name = "emb"});
  auto c = e.get_config();
  EXPECT_EQ(c["input_dim"], 30);
  EXPECT_EQ(c["output_dim"], 6);
  EXPECT_EQ(c["mask_zero"], false);
  EXPECT_EQ(c["embeddings_initializer"]["class_name"], "RandomUniform");
  EXPECT_EQ(c["name"], "emb");
  LayerPtr l = layer_from_config({{"class_name", "Embedding"}, {"config", c}});
  auto* back = dynamic_cast<Embedding*>(l.get());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->options().input_dim, 30);
  EXPECT_EQ(back->options().output_dim, 6);
  EXPECT_EQ(back->get_config(), c);
  // A Keras 2 config with input_length and mask_zero=true.
  nlohmann::json k2 = {{"name", "e"}, {"input_dim", 5}, {"output_dim", 2}, {"input_length", 4},
                       {"mask_zero", true}, {"embeddings_initializer", "uniform"}};
  auto masked = std::dynamic_pointer_cast<Embedding>(
      layer_from_config({{"class_name", "Embedding"}, {"config", k2}}));
  ASSERT_NE(masked, nullptr);
  EXPECT_TRUE(masked->options().mask_zero);
  EXPECT_EQ(masked->name(), "e");
}

TEST(Embedding, TinyTokenModelLearnsWhetherToken3Occurs) {
  set_random_seed(7);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> tok(0, 19);
  const int n = 512;
  std::vector<int32_t> xs, ys;
  for (int i = 0; i < n; ++i) {
    bool has3 = false;
    for (int t = 0; t < 5; ++t) {
      int32_t v = tok(rng);
      if (i % 2 == 0 && v == 3) v = 4;  // balance the classes: even samples never contain 3
      has3 |= v == 3;
      xs.push_back(v);
    }
    if (i % 2 == 1 && !has3) xs[xs.size() - 1 - static_cast<size_t>(i % 5)] = 3, has3 = true;
    ys.push_back(has3 ? 1 : 0);
  }
  Tensor x = Tensor::from_vector({n, 5}, xs), y = Tensor::from_vector({n}, ys);
  Sequential m({Input({5}, {.dtype = DType::int32}), Embedding(20, 4), Flatten(),
                Dense(2, "softmax")});
  m.compile({.optimizer = Adam({.learning_rate = 0.02f}),
             .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  m.fit(x, y, {.batch_size = 32, .epochs = 15, .verbose = 0});
  Logs r = m.evaluate(x, y, {.verbose = 0});
  EXPECT_GT(r["accuracy"], 0.9);
  EXPECT_EQ(m.predict(x).shape(), (Shape{n, 2}));
  // Float x for an int32 input is refused up front, naming both dtypes.
  test::expect_value_error([&] { m.fit(Tensor::zeros({4, 5}), Tensor::zeros({4}, DType::int32), {.verbose = 0}); },
                           {"x must be int32", "float32"});
  test::expect_value_error([&] { m(Tensor::zeros({4, 5})); }, {"expects dtype int32", "float32"});
}
