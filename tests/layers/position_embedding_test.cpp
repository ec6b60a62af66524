// PositionEmbedding: weight shape and name, output = first T rows broadcast over the batch,
// gradients, masking pass-through, variable T, errors, the keras_hub config round trip and a
// trained token + position model saved and reloaded as .keras.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "strata/api/model.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/global_pooling.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/merge.hpp"
#include "strata/layers/position_embedding.hpp"
#include "strata/optimizers/optimizers.hpp"
#include "strata/saving/saving.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"
#include "support/model_files.hpp"

using namespace strata;

TEST(PositionEmbedding, BuildsGlorotTableOfSequenceLengthByFeatures) {
  set_random_seed(1);
  PositionEmbedding pe(10);
  pe.build(Shape{-1, 6, 4});
  ASSERT_EQ(pe.weight_entries().size(), 1u);
  EXPECT_EQ(pe.weight_entries()[0].name, "embeddings");
  EXPECT_TRUE(pe.weight_entries()[0].trainable);
  EXPECT_EQ(pe.embeddings().shape(), (Shape{10, 4}));
  EXPECT_EQ(pe.count_params(), 40);
  EXPECT_EQ(pe.output_shape(), (Shape{-1, 6, 4}));
  // glorot_uniform: limit sqrt(6 / (10 + 4)).
  const float limit = std::sqrt(6.f / 14.f);
  for (float v : pe.embeddings().to_vector()) EXPECT_LE(std::fabs(v), limit);
}

TEST(PositionEmbedding, OutputIsTheFirstRowsForEverySample) {
  PositionEmbedding pe({.sequence_length = 5, .initializer = "ones"});
  Tensor x = test::random_tensor({2, 3, 4}, 3);
  pe.build(x.shape());
  std::vector<float> table(20);
  for (size_t i = 0; i < table.size(); ++i) table[i] = float(i);
  pe.embeddings().copy_(Tensor::from_vector({5, 4}, table));
  Tensor y = pe(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  std::vector<float> want(table.begin(), table.begin() + 12);
  want.insert(want.end(), table.begin(), table.begin() + 12);
  EXPECT_EQ(y.to_vector(), want);
  // A shorter sequence than the built one, and the full length, are both accepted.
  EXPECT_EQ(pe(test::random_tensor({1, 1, 4}, 4)).to_vector(),
            (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(pe(test::random_tensor({1, 5, 4}, 4)).to_vector(), table);
}

TEST(PositionEmbedding, GradcheckThroughTheLayerForShortAndFullSequences) {
  set_random_seed(2);
  PositionEmbedding pe(6);
  Tensor x = test::random_tensor({3, 4, 2}, 5);
  pe.build(x.shape());
  Tensor table = pe.embeddings();
  // gradcheck perturbs `table` in place, so the layer sees every perturbation.
  EXPECT_TRUE(test::gradcheck([&](auto&) { return ops::tanh(ops::add(x, pe(x, true))); },
                              {table}));
  Tensor full = test::random_tensor({2, 6, 2}, 6);
  EXPECT_TRUE(test::gradcheck([&](auto&) { return ops::tanh(ops::add(full, pe(full, true))); },
                              {table}));
  // The summed output's gradient is the batch size on the rows used, zero on the others.
  table.zero_grad();
  ops::sum(pe(x, true)).backward();
  EXPECT_EQ(table.grad().to_vector(),
            (std::vector<float>{3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0}));
}

TEST(PositionEmbedding, PassesTheMaskThrough) {
  PositionEmbedding pe(4);
  EXPECT_TRUE(pe.supports_masking());
  Tensor x = test::random_tensor({2, 3, 2}, 1);
  Tensor mask = Tensor::from_vector({2, 3}, std::vector<float>{1, 1, 0, 1, 0, 0});
  auto out = pe.compute_mask({x}, {mask});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to_vector(), mask.to_vector());
}

TEST(PositionEmbedding, ErrorsNameTheLayer) {
  test::expect_value_error([] { PositionEmbedding(0); }, {"sequence_length", "got 0"});
  PositionEmbedding pe({.sequence_length = 4, .name = "pos"});
  test::expect_value_error([&] { pe.build(Shape{-1, 5, 8}); },
                           {"PositionEmbedding 'pos'", "sequence length 5", "sequence_length=4"});
  test::expect_value_error([&] { pe.build(Shape{-1, 8}); }, {"pos", "rank 3", "(None, 8)"});
  test::expect_value_error([&] { pe.build(Shape{-1, 2, 2, 8}); }, {"pos", "rank 3"});
  pe.build(Shape{-1, 3, 8});
  test::expect_value_error([&] { pe(Tensor::zeros({2, 6, 8})); }, {"pos", "sequence length 6"});
  test::expect_value_error([&] { pe(Tensor::zeros({2, 3, 7})); }, {"pos", "last dimension 8"});
  test::expect_value_error([&] { pe(Tensor::zeros({2, 24})); }, {"pos", "rank 3"});
}

TEST(PositionEmbedding, KerasHubConfigRoundTrip) {
  PositionEmbedding pe({.sequence_length = 7, .name = "pos"});
  auto c = pe.get_config();
  EXPECT_EQ(c["sequence_length"], 7);
  EXPECT_EQ(c["initializer"]["class_name"], "GlorotUniform");
  EXPECT_EQ(c["name"], "pos");
  auto back = std::dynamic_pointer_cast<PositionEmbedding>(
      layer_from_config({{"class_name", "PositionEmbedding"}, {"config", c}}));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->options().sequence_length, 7);
  EXPECT_EQ(back->get_config(), c);
  // keras_hub (Keras 3) spelling of the initializer.
  nlohmann::json k3 = {{"name", "position_embedding"}, {"trainable", false},
                       {"dtype", "float32"}, {"sequence_length", 64},
                       {"initializer", {{"module", "keras.initializers"},
                                        {"class_name", "RandomNormal"},
                                        {"config", {{"mean", 0.0}, {"stddev", 0.02},
                                                    {"seed", nullptr}}},
                                        {"registered_name", nullptr}}}};
  auto hub = std::dynamic_pointer_cast<PositionEmbedding>(
      layer_from_config({{"class_name", "PositionEmbedding"}, {"config", k3}}));
  ASSERT_NE(hub, nullptr);
  EXPECT_EQ(hub->options().sequence_length, 64);
  EXPECT_FALSE(hub->trainable());
  EXPECT_EQ(hub->get_config()["initializer"]["class_name"], "RandomNormal");
  test::expect_value_error(
      [] { layer_from_config({{"class_name", "PositionEmbedding"}, {"config", {{"name", "p"}}}}); },
      {"PositionEmbedding", "sequence_length"});
}

// Keras 3 resolves a layer object by registered_name first, then by module + class_name; a
// keras_hub layer written as module "keras.layers" with no registered_name cannot be found, so
// Keras could not load a Strata .keras archive holding one.
TEST(PositionEmbedding, Keras3ObjectCarriesTheKerasHubRegisteredName) {
  SymbolicTensor x = Input({5, 3});
  Model model(x, PositionEmbedding({.sequence_length = 5, .name = "pos"})(x));
  const nlohmann::json c = model_to_keras3_config(model);
  const nlohmann::json* pos = nullptr;
  for (const auto& l : c["config"]["layers"])
    if (l["config"]["name"] == "pos") pos = &l;
  ASSERT_NE(pos, nullptr);
  EXPECT_EQ((*pos)["class_name"], "PositionEmbedding");
  EXPECT_EQ((*pos)["registered_name"], "keras_hub>PositionEmbedding");
  EXPECT_EQ((*pos)["module"], "keras_hub.src.layers.modeling.position_embedding");
}

TEST(PositionEmbedding, TokenPlusPositionModelTrains) {
  set_random_seed(4);
  // The label is whether token 1 sits at position 0: only position information can tell.
  const int n = 256, t = 6;
  std::vector<int32_t> xs, ys;
  for (int i = 0; i < n; ++i) {
    const int at = (i % 2 == 0) ? 0 : 1 + (i / 2) % (t - 1);
    for (int k = 0; k < t; ++k) xs.push_back(k == at ? 1 : 2 + (i * 7 + k * 3) % 5);
    ys.push_back(at == 0 ? 1 : 0);
  }
  SymbolicTensor in = Input({t}, {.dtype = DType::int32});
  SymbolicTensor tok = Embedding(8, 8)(in);
  SymbolicTensor h = Add()({tok, PositionEmbedding(t)(tok)});
  SymbolicTensor out = Dense(2, "softmax")(GlobalAveragePooling1D()(
      Dense({.units = 16, .activation = "relu"})(h)));
  Model m(in, out);
  m.compile({.optimizer = Adam({.learning_rate = 0.01f}),
             .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  Tensor x = Tensor::from_vector({n, t}, xs), y = Tensor::from_vector({n}, ys);
  m.fit(x, y, {.batch_size = 32, .epochs = 30, .verbose = 0});
  EXPECT_GT(m.evaluate(x, y, {.verbose = 0})["accuracy"], 0.95);

  // A .keras round trip rebuilds the layer through the registry with its trained table.
  const auto path = std::filesystem::temp_directory_path() /
                    ("strata_position_embedding_" + std::to_string(::getpid()) + ".keras");
  save_model(m, path);
  auto back = load_model(path);
  std::filesystem::remove(path);
  test::expect_same_weights(m, *back);
  test::expect_bitwise_equal(m.predict(x), back->predict(x));
}
