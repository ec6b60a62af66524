// Keras 3's `.keras` archives and `.weights.h5` files: Strata's archives round-trip bit for bit
// (optimizer state included), have the layout Keras 3 writes (stored zip entries, metadata.json,
// config.json with module / registered_name / build_config and dict-form inbound nodes,
// layers/<snake_class>/vars/<i> weights), a hand-written Keras 3 archive loads, and damaged or
// mismatched inputs give clear IOError / ValueError, never a crash.
#include "strata/saving/keras_v3.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "strata/io/zip.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/strata.hpp"
#include "support/model_files.hpp"
#include "support/expect_error.hpp"

using namespace strata;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("strata_keras_v3_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}
fs::path temp_file(const std::string& name) { return temp_dir() / name; }



#define EXPECT_CONTAINS(hay, needle) \
  EXPECT_NE(std::string(hay).find(needle), std::string::npos) << "message: " << (hay)

std::unique_ptr<Sequential> small_cnn() {
  return std::make_unique<Sequential>(std::vector<LayerRef>{
      Input({6, 6, 2}),
      Conv2D({.filters = 3, .kernel_size = 3, .activation = "relu"}),
      BatchNormalization(),
      MaxPooling2D({.pool_size = 2}),
      Flatten(),
      Dense({.units = 4, .activation = "softmax"}),
  });
}

// A Functional model with a nested Functional model, a nested Sequential, a shared layer and
// merges.
std::unique_ptr<Model> nested_functional() {
  SymbolicTensor in = Input({8}, {.name = "features"});
  SymbolicTensor ii = Input({8}, {.name = "enc_in"});
  SymbolicTensor ih = BatchNormalization({.name = "enc_bn"})(
      Dense({.units = 6, .activation = "tanh", .name = "enc_dense"})(ii));
  auto encoder = std::make_shared<Model>(ii, ih, "encoder");
  auto head = std::make_shared<Sequential>(
      std::vector<LayerRef>{Input({12}), Dense({.units = 5, .activation = "relu", .name = "head_dense"})},
      "head");
  auto shared = std::make_shared<Dense>(DenseOptions{.units = 6, .name = "shared"});
  SymbolicTensor e = (*encoder)(in);
  SymbolicTensor side = (*shared)(in);
  SymbolicTensor side2 = (*shared)(Dense({.units = 8, .name = "pre"})(in));
  SymbolicTensor sum = Add({.name = "sum"})({e, side, side2});
  SymbolicTensor cat = Concatenate({.name = "cat"})({sum, e});
  SymbolicTensor out = Dense({.units = 3, .name = "out"})((*head)(cat));
  return std::make_unique<Model>(in, out, "outer");
}

std::unique_ptr<Sequential> mlp() {
  return std::make_unique<Sequential>(std::vector<LayerRef>{
      Input({16}),
      Dense({.units = 8, .activation = "relu"}),
      BatchNormalization(),
      Dense({.units = 3, .activation = "softmax"}),
  });
}

// ---------------------------------------------------------------- config writer

TEST(Keras3Config, SequentialShapeAndRoundTrip) {
  auto m = small_cnn();
  const json c = model_to_keras3_config(*m);
  EXPECT_EQ(c["module"], "keras");
  EXPECT_EQ(c["class_name"], "Sequential");
  EXPECT_TRUE(c["registered_name"].is_null());
  EXPECT_EQ(c["build_config"]["input_shape"], json::parse("[null, 6, 6, 2]"));
  EXPECT_EQ(c["config"]["dtype"]["class_name"], "DTypePolicy");
  EXPECT_EQ(c["config"]["build_input_shape"], json::parse("[null, 6, 6, 2]"));
  const json& layers = c["config"]["layers"];
  ASSERT_EQ(layers.size(), 6u);
  EXPECT_EQ(layers[0]["class_name"], "InputLayer");
  EXPECT_EQ(layers[0]["config"]["batch_shape"], json::parse("[null, 6, 6, 2]"));
  EXPECT_FALSE(layers[0].contains("build_config"));
  const json& conv = layers[1];
  EXPECT_EQ(conv["module"], "keras.layers");
  EXPECT_EQ(conv["class_name"], "Conv2D");
  EXPECT_TRUE(conv["registered_name"].is_null());
  EXPECT_EQ(conv["build_config"]["input_shape"], json::parse("[null, 6, 6, 2]"));
  EXPECT_EQ(conv["config"]["dtype"],
            json::parse(R"({"module": "keras", "class_name": "DTypePolicy",
                            "config": {"name": "float32"}, "registered_name": null})"));
  EXPECT_EQ(conv["config"]["kernel_initializer"]["module"], "keras.initializers");
  EXPECT_EQ(conv["config"]["kernel_initializer"]["class_name"], "GlorotUniform");
  EXPECT_TRUE(conv["config"]["kernel_initializer"]["registered_name"].is_null());
  EXPECT_EQ(conv["config"]["activation"], "relu");
  EXPECT_EQ(layers[5]["build_config"]["input_shape"], json::parse("[null, 12]"));

  auto copy = model_from_config(c);
  EXPECT_EQ(model_to_config(*copy), model_to_config(*m));
  EXPECT_EQ(model_to_keras3_config(*copy), c);
}

TEST(Keras3Config, FunctionalDictNodesAndRoundTrip) {
  auto m = nested_functional();
  const json c = model_to_keras3_config(*m);
  EXPECT_EQ(c["class_name"], "Functional");
  EXPECT_EQ(c["module"], "keras.src.models.functional");
  EXPECT_EQ(c["registered_name"], "Functional");
  EXPECT_EQ(c["config"]["input_layers"], json::parse(R"([["features", 0, 0]])"));
  std::map<std::string, json> by_name;
  for (const auto& l : c["config"]["layers"]) by_name[l["name"]] = l;
  ASSERT_TRUE(by_name.count("shared"));
  const json& shared = by_name["shared"]["inbound_nodes"];
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(shared[0]["args"][0]["class_name"], "__keras_tensor__");
  EXPECT_EQ(shared[0]["args"][0]["config"]["keras_history"], json::parse(R"(["features", 0, 0])"));
  EXPECT_EQ(shared[0]["args"][0]["config"]["shape"], json::parse("[null, 8]"));
  EXPECT_EQ(shared[0]["args"][0]["config"]["dtype"], "float32");
  EXPECT_EQ(shared[1]["args"][0]["config"]["keras_history"], json::parse(R"(["pre", 0, 0])"));
  EXPECT_EQ(shared[0]["kwargs"], json::object());
  // A merge layer's args[0] is the list of its inputs.
  const json& sum_args = by_name["sum"]["inbound_nodes"][0]["args"];
  ASSERT_EQ(sum_args.size(), 1u);
  ASSERT_TRUE(sum_args[0].is_array());
  ASSERT_EQ(sum_args[0].size(), 3u);
  EXPECT_EQ(sum_args[0][2]["config"]["keras_history"], json::parse(R"(["shared", 1, 0])"));
  EXPECT_EQ(by_name["sum"]["build_config"]["input_shape"], json::parse("[[null, 6], [null, 6], [null, 6]]"));
  EXPECT_EQ(by_name["features"]["inbound_nodes"], json::array());
  EXPECT_EQ(by_name["encoder"]["class_name"], "Functional");
  EXPECT_EQ(by_name["head"]["class_name"], "Sequential");
  EXPECT_EQ(by_name["head"]["module"], "keras");

  auto copy = model_from_config(c);
  EXPECT_EQ(model_to_config(*copy), model_to_config(*m));
  EXPECT_EQ(model_to_keras3_config(*copy), c);
  // model_to_keras3_config output is JSON text a reader can parse again.
  auto again = model_from_json(to_keras3_json(*m));
  EXPECT_EQ(model_to_config(*again), model_to_config(*m));
}

TEST(Keras3Config, MoreLayersRoundTrip) {
  Sequential m({Input({8, 8, 3}), ZeroPadding2D(), DepthwiseConv2D({.kernel_size = 3}),
                SeparableConv2D({.filters = 4, .kernel_size = 3}), LeakyReLU(), UpSampling2D(),
                GlobalAveragePooling2D(), LayerNormalization(), Dropout(0.3),
                Dense({.units = 2, .activation = "hard_sigmoid"})});
  const json c = model_to_keras3_config(m);
  auto copy = model_from_config(c);
  EXPECT_EQ(model_to_keras3_config(*copy), c);
}

TEST(Keras3Config, RefusesKeras2OnlyThings) {
  Sequential legacy({Input({4}), Dense({.units = 2, .activation = "hard_sigmoid_legacy", .name = "old"})});
  test::expect_value_error([&] { model_to_keras3_config(legacy); },
                           {"'old'", "Keras 2", "hard_sigmoid"});
  Sequential thr({Input({4}), ThresholdedReLU({.theta = 0.5f, .name = "thr"})});
  test::expect_value_error([&] { model_to_keras3_config(thr); }, {"'thr'", "ThresholdedReLU", "Keras 3"});
  // save_keras refuses before creating anything.
  const fs::path p = temp_file("refused.keras");
  fs::remove(p);
  test::expect_value_error([&] { save_keras(thr, p); }, {"ThresholdedReLU"});
  EXPECT_FALSE(fs::exists(p));
}

// ---------------------------------------------------------------- archives

TEST(KerasV3, SequentialCnnRoundTripIsBitExact) {
  auto m = small_cnn();
  test::randomize_weights(*m, 1);
  const fs::path p = temp_file("cnn.keras");
  save_keras(*m, p);
  auto copy = load_keras(p);
  EXPECT_EQ(model_to_config(*copy), model_to_config(*m));
  const Tensor x = test::random_input(Shape{5, 6, 6, 2}, 2);
  test::expect_bitwise_equal(copy->predict(x), m->predict(x));
  test::expect_same_weights(*copy, *m);
  EXPECT_FALSE(copy->compiled());
}

TEST(KerasV3, NestedFunctionalRoundTripIsBitExact) {
  auto m = nested_functional();
  test::randomize_weights(*m, 3);
  const fs::path p = temp_file("nested.keras");
  save_keras(*m, p);
  auto copy = load_keras(p);
  EXPECT_EQ(model_to_config(*copy), model_to_config(*m));
  const Tensor x = test::random_input(Shape{7, 8}, 4);
  test::expect_bitwise_equal(copy->predict(x), m->predict(x));
  test::expect_same_weights(*copy, *m);

  // Nested models' weights live under layers/functional/... and layers/sequential/...
  io::ZipReader z(p);
  const fs::path h5p = temp_file("nested.weights.h5.extracted");
  z.extract("model.weights.h5", h5p);
  h5::File f = h5::File::open(h5p.string());
  EXPECT_TRUE(f.has_group("layers/input_layer/vars"));
  EXPECT_EQ(f.open_group("layers/functional/vars").read_string_attr("name"), "encoder");
  EXPECT_TRUE(f.has_dataset("layers/functional/layers/dense/vars/1"));
  EXPECT_TRUE(f.has_dataset("layers/functional/layers/batch_normalization/vars/3"));
  EXPECT_TRUE(f.has_dataset("layers/sequential/layers/dense/vars/0"));
  EXPECT_EQ(f.open_group("layers/sequential/layers/dense/vars").read_string_attr("name"), "head_dense");
}

TEST(KerasV3, CompiledAdamStateResumesExactly) {
  auto m = mlp();
  test::randomize_weights(*m, 5);
  m->compile({.optimizer = Adam({.learning_rate = 0.01}), .loss = "sparse_categorical_crossentropy",
              .metrics = {"accuracy"}});
  const Tensor x = test::random_input(Shape{16, 16}, 6);
  std::vector<int32_t> labels(16);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % 3);
  const Tensor y = Tensor::from_vector(Shape{16}, labels);
  m->train_on_batch(x, y);
  m->train_on_batch(x, y);
  const fs::path p = temp_file("compiled.keras");
  save_keras(*m, p);
  auto copy = load_keras(p);
  ASSERT_TRUE(copy->compiled());
  EXPECT_EQ(copy->optimizer()->iterations(), 2);
  EXPECT_FLOAT_EQ(copy->optimizer()->learning_rate(), 0.01f);
  test::expect_same_weights(*copy, *m);
  m->train_on_batch(x, y);
  copy->train_on_batch(x, y);
  test::expect_same_weights(*copy, *m);
  test::expect_bitwise_equal(copy->predict(x), m->predict(x));
}

TEST(KerasV3, ArchiveStructure) {
  auto m = std::make_unique<Sequential>(std::vector<LayerRef>{
      Input({16}), Dense({.units = 64, .activation = "relu"}), BatchNormalization(),
      Dense({.units = 10, .activation = "softmax"})}, "sequential_k3");
  m->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  m->train_on_batch(test::random_input(Shape{4, 16}, 1),
                    Tensor::from_vector(Shape{4}, std::vector<int32_t>{0, 1, 2, 3}));
  const fs::path p = temp_file("structure.keras");
  save_keras(*m, p);

  io::ZipReader z(p);
  EXPECT_EQ(z.names(), (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
  for (const auto& e : z.entries()) EXPECT_EQ(e.method, 0) << e.name;

  const json meta = json::parse(z.read("metadata.json"));
  EXPECT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta["keras_version"], kKeras3Version);
  const std::string date = meta["date_saved"];
  ASSERT_EQ(date.size(), 19u) << date;  // 2026-05-18@07:39:02
  EXPECT_EQ(date[4], '-');
  EXPECT_EQ(date[10], '@');
  EXPECT_EQ(date[13], ':');

  const json config = json::parse(z.read("config.json"));
  EXPECT_EQ(config["module"], "keras");
  EXPECT_TRUE(config.contains("registered_name"));
  EXPECT_EQ(config["build_config"]["input_shape"], json::parse("[null, 16]"));
  EXPECT_EQ(config["config"]["layers"][1]["build_config"]["input_shape"], json::parse("[null, 16]"));
  EXPECT_EQ(config["compile_config"]["optimizer"]["class_name"], "Adam");
  EXPECT_EQ(config["compile_config"]["optimizer"]["module"], "keras.optimizers");

  const fs::path h5p = temp_file("structure.weights.h5.extracted");
  z.extract("model.weights.h5", h5p);
  h5::File f = h5::File::open(h5p.string());
  EXPECT_EQ(f.open_group("vars").read_string_attr("name"), "sequential_k3");
  EXPECT_EQ(f.open_group("vars").children().size(), 0u);
  std::set<std::string> datasets;
  std::function<void(const h5::Group&, const std::string&)> collect = [&](const h5::Group& g,
                                                                           const std::string& pre) {
    for (const auto& c : g.children()) {
      if (g.has_group(c)) collect(g.open_group(c), pre + c + "/");
      else datasets.insert(pre + c);
    }
  };
  collect(f, "");
  std::set<std::string> expected = {
      "layers/dense/vars/0", "layers/dense/vars/1",
      "layers/batch_normalization/vars/0", "layers/batch_normalization/vars/1",
      "layers/batch_normalization/vars/2", "layers/batch_normalization/vars/3",
      "layers/dense_1/vars/0", "layers/dense_1/vars/1"};
  for (int i = 0; i < 14; ++i) expected.insert("optimizer/vars/" + std::to_string(i));
  EXPECT_EQ(datasets, expected);
  EXPECT_EQ(f.open_group("layers/dense/vars").read_string_attr("name"), m->layers()[0]->name());
  EXPECT_EQ(f.dataset_info("layers/dense/vars/0").shape, (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(f.dataset_info("layers/batch_normalization/vars/3").shape, (std::vector<int64_t>{64}));
  EXPECT_EQ(f.dataset_info("optimizer/vars/0").type.cls, h5::TypeClass::integer);
  EXPECT_EQ(f.open_group("optimizer/vars").read_int64_dataset("0"), (std::vector<int64_t>{1}));
  // BatchNormalization: gamma, beta, moving_mean, moving_variance.
  const auto bn = f.open_group("layers/batch_normalization/vars");
  EXPECT_EQ(bn.read_dataset("3").values, m->layers()[1]->weight_entries()[3].value.to_vector<float>());
  EXPECT_EQ(bn.read_dataset("0").values, m->layers()[1]->weight_entries()[0].value.to_vector<float>());
}

TEST(KerasV3, UnzippedDirectoryForm) {
  auto m = mlp();
  test::randomize_weights(*m, 9);
  const fs::path p = temp_file("zipped.keras");
  save_keras(*m, p);
  const fs::path dir = temp_file("unzipped_model");
  fs::remove_all(dir);
  fs::create_directories(dir);
  io::ZipReader z(p);
  for (const auto& n : z.names()) z.extract(n, dir / n);
  auto copy = load_keras(dir);
  const Tensor x = test::random_input(Shape{3, 16}, 1);
  test::expect_bitwise_equal(copy->predict(x), m->predict(x));
}

TEST(KerasV3, StandaloneWeightsFile) {
  auto m = nested_functional();
  test::randomize_weights(*m, 11);
  const fs::path p = temp_file("model.weights.h5");
  save_weights_keras3(*m, p);
  auto other = nested_functional();
  load_weights_keras3(*other, p);
  test::expect_same_weights(*other, *m);
  test::expect_value_error([&] { save_weights_keras3(*m, temp_file("model.h5")); }, {".weights.h5"});
  test::expect_value_error([&] { load_weights_keras3(*m, temp_file("model.h5")); }, {".weights.h5"});
  // A legacy weights file under the right suffix is pointed at the legacy loader.
  const fs::path legacy = temp_file("legacy.weights.h5");
  save_weights_h5(*m, legacy);
  EXPECT_CONTAINS(test::error_of<IOError>([&] { load_weights_keras3(*other, legacy); }), "load_weights_h5");
}

// A literal Keras 3 config.json (as Keras 3.x writes for Dense(64)-Dense(10)) with hand-built
// weights, zipped by the test.
TEST(KerasV3, HandWrittenKeras3ArchiveLoads) {
  const std::string config = R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 784], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 64, "activation": "relu", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 784]}}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 10, "activation": "softmax", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 64]}}], "build_input_shape": [null, 784]}, "registered_name": null, "build_config": {"input_shape": [null, 784]}, "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}, "registered_name": null}, "loss": "sparse_categorical_crossentropy", "loss_weights": null, "metrics": ["accuracy"], "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}})";
  // Weights: kernel[i][j] = (i + j) % 7 / 100, bias[j] = j / 10 (and likewise for dense_1).
  auto fill = [](int64_t rows, int64_t cols) {
    std::vector<float> v(static_cast<size_t>(rows * cols));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) v[static_cast<size_t>(i * cols + j)] = static_cast<float>((i + j) % 7) / 100.f;
    return v;
  };
  auto bias = [](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) v[static_cast<size_t>(j)] = static_cast<float>(j) / 10.f;
    return v;
  };
  const fs::path h5p = temp_file("hand.weights.h5.tmp");
  {
    h5::File f = h5::File::create(h5p.string());
    f.create_group("vars").write_string_attr("name", "sequential");
    h5::Group d0 = f.create_group("layers/dense/vars");
    d0.write_string_attr("name", "dense");
    d0.write_dataset("0", {784, 64}, fill(784, 64));
    d0.write_dataset("1", {64}, bias(64));
    h5::Group d1 = f.create_group("layers/dense_1/vars");
    d1.write_string_attr("name", "dense_1");
    d1.write_dataset("0", {64, 10}, fill(64, 10));
    d1.write_dataset("1", {10}, bias(10));
    h5::Group opt = f.create_group("optimizer/vars");
    const int64_t iteration = 0;
    opt.write_dataset("0", {}, &iteration);
    opt.write_scalar("1", 0.001f);
    f.close();
  }
  const fs::path p = temp_file("hand.keras");
  {
    io::ZipWriter w(p);
    w.add("metadata.json", R"({"keras_version": "3.14.1", "date_saved": "2026-05-18@07:39:02"})", false);
    w.add("config.json", config, false);
    w.add("model.weights.h5", test::read_bytes(h5p), false);
    w.close();
  }
  auto m = load_keras(p);
  ASSERT_TRUE(m->compiled());
  ASSERT_EQ(m->layers().size(), 2u);
  EXPECT_EQ(m->layers()[0]->name(), "dense");
  EXPECT_EQ(m->layers()[1]->name(), "dense_1");
  // Expected output by hand for one input.
  std::vector<float> xin(784);
  for (size_t i = 0; i < xin.size(); ++i) xin[i] = static_cast<float>(i % 5) / 10.f;
  const auto k0 = fill(784, 64), b0 = bias(64), k1 = fill(64, 10), b1 = bias(10);
  std::vector<double> h(64), o(10);
  for (int j = 0; j < 64; ++j) {
    double s = b0[static_cast<size_t>(j)];
    for (int i = 0; i < 784; ++i) s += xin[static_cast<size_t>(i)] * k0[static_cast<size_t>(i * 64 + j)];
    h[static_cast<size_t>(j)] = std::max(0.0, s);
  }
  double z = 0;
  for (int j = 0; j < 10; ++j) {
    double s = b1[static_cast<size_t>(j)];
    for (int i = 0; i < 64; ++i) s += h[static_cast<size_t>(i)] * k1[static_cast<size_t>(i * 10 + j)];
    o[static_cast<size_t>(j)] = std::exp(s);
    z += o[static_cast<size_t>(j)];
  }
  const auto pred = m->predict(Tensor::from_vector(Shape{1, 784}, xin)).to_vector();
  for (int j = 0; j < 10; ++j) EXPECT_NEAR(pred[static_cast<size_t>(j)], o[static_cast<size_t>(j)] / z, 1e-4);

  // The same archive without optimizer state and without compile_config loads too.
  json c = json::parse(config);
  c.erase("compile_config");
  const fs::path p2 = temp_file("hand_uncompiled.keras");
  {
    io::ZipWriter w(p2);
    w.add("config.json", c.dump(), true);  // deflated entries are read too
    w.add("model.weights.h5", test::read_bytes(h5p), false);
    w.close();
  }
  auto m2 = load_keras(p2);
  EXPECT_FALSE(m2->compiled());
  test::expect_same_weights(*m2, *m);
}

// ---------------------------------------------------------------- bad input

// An archive with the given entries.
fs::path make_zip(const std::string& name, const std::vector<std::pair<std::string, std::string>>& entries) {
  const fs::path p = temp_file(name);
  io::ZipWriter w(p);
  for (const auto& [n, b] : entries) w.add(n, b, false);
  w.close();
  return p;
}

TEST(KerasV3, BadArchives) {
  auto m = mlp();
  const fs::path good = temp_file("good.keras");
  save_keras(*m, good);
  io::ZipReader z(good);
  const std::string config = z.read("config.json"), weights = z.read("model.weights.h5");

  EXPECT_CONTAINS(test::error_of<IOError>([&] { load_keras(make_zip("noconfig.keras", {{"model.weights.h5", weights}})); }),
                  "not a Keras archive");
  EXPECT_CONTAINS(test::error_of<IOError>([&] { load_keras(make_zip("noconfig.keras", {{"model.weights.h5", weights}})); }),
                  "noconfig.keras");
  const std::string bad_json = test::error_of<ValueError>(
      [&] { load_keras(make_zip("badjson.keras", {{"config.json", "{\"class_name\": "}, {"model.weights.h5", weights}})); });
  EXPECT_CONTAINS(bad_json, "badjson.keras");
  EXPECT_CONTAINS(bad_json, "config.json");
  EXPECT_CONTAINS(bad_json, "JSON");
  EXPECT_CONTAINS(test::error_of<IOError>([&] { load_keras(make_zip("noweights.keras", {{"config.json", config}})); }),
                  "model.weights.h5");
  EXPECT_CONTAINS(test::error_of<ValueError>([&] {
                    load_keras(make_zip("unknown.keras", {{"config.json", R"({"class_name": "Nope", "config": {}})"},
                                                          {"model.weights.h5", weights}}));
                  }),
                  "unknown.keras");
  EXPECT_CONTAINS(test::error_of<IOError>([&] { load_keras(temp_file("does_not_exist.keras")); }), "does_not_exist");

  // Random bytes.
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  const fs::path rnd = temp_file("random.keras");
  test::write_bytes(rnd, noise);
  test::error_of<IOError>([&] { load_keras(rnd); });

  // A legacy .h5 model.
  const fs::path legacy = temp_file("legacy.h5");
  save_h5(*m, legacy);
  const std::string msg = test::error_of<IOError>([&] { load_keras(legacy); });
  EXPECT_CONTAINS(msg, "legacy");
  EXPECT_CONTAINS(msg, "load_h5_model");
}

TEST(KerasV3, MismatchedWeights) {
  auto m = mlp();
  const fs::path good = temp_file("mm.keras");
  save_keras(*m, good);
  io::ZipReader z(good);
  const std::string config = z.read("config.json");

  auto archive_with = [&](const std::string& name, const std::function<void(h5::File&)>& build) {
    const fs::path h5p = temp_file(name + ".h5tmp");
    {
      h5::File f = h5::File::create(h5p.string());
      build(f);
      f.close();
    }
    return make_zip(name, {{"config.json", config}, {"model.weights.h5", test::read_bytes(h5p)}});
  };
  auto write_layer = [](h5::File& f, const std::string& path, const std::vector<std::vector<int64_t>>& shapes) {
    h5::Group g = f.create_group(path);
    for (size_t i = 0; i < shapes.size(); ++i) {
      int64_t n = 1;
      for (auto d : shapes[i]) n *= d;
      g.write_dataset(std::to_string(i), shapes[i], std::vector<float>(static_cast<size_t>(n), 0.5f));
    }
  };
  // batch_normalization missing.
  const fs::path missing = archive_with("missing.keras", [&](h5::File& f) {
    write_layer(f, "layers/dense/vars", {{16, 8}, {8}});
    write_layer(f, "layers/dense_1/vars", {{8, 3}, {3}});
  });
  const std::string e1 = test::error_of<ValueError>([&] { load_keras(missing); });
  EXPECT_CONTAINS(e1, "layers/batch_normalization/vars");
  EXPECT_CONTAINS(e1, "no weights");
  // Wrong kernel shape.
  const fs::path shape = archive_with("shape.keras", [&](h5::File& f) {
    write_layer(f, "layers/dense/vars", {{16, 8}, {8}});
    write_layer(f, "layers/batch_normalization/vars", {{8}, {8}, {8}, {8}});
    write_layer(f, "layers/dense_1/vars", {{8, 4}, {3}});
  });
  const std::string e2 = test::error_of<ValueError>([&] { load_keras(shape); });
  EXPECT_CONTAINS(e2, "layers/dense_1/vars");
  EXPECT_CONTAINS(e2, "(8, 3)");
  EXPECT_CONTAINS(e2, "(8, 4)");
  // Wrong count.
  const fs::path count = archive_with("count.keras", [&](h5::File& f) {
    write_layer(f, "layers/dense/vars", {{16, 8}});
    write_layer(f, "layers/batch_normalization/vars", {{8}, {8}, {8}, {8}});
    write_layer(f, "layers/dense_1/vars", {{8, 3}, {3}});
  });
  const std::string e3 = test::error_of<ValueError>([&] { load_keras(count); });
  EXPECT_CONTAINS(e3, "layers/dense/vars");
  EXPECT_CONTAINS(e3, "expects 2");
  // A corrupt model.weights.h5 inside a valid zip.
  const fs::path corrupt =
      make_zip("corrupt_h5.keras", {{"config.json", config}, {"model.weights.h5", std::string(2048, 'x')}});
  EXPECT_CONTAINS(test::error_of<IOError>([&] { load_keras(corrupt); }), "corrupt_h5.keras");
}

TEST(KerasV3, DamagedArchivesNeverCrash) {
  Sequential m({Input({3}), Dense({.units = 2}), BatchNormalization()});
  m.compile({.optimizer = "adam", .loss = "mse"});
  m.train_on_batch(test::random_input(Shape{2, 3}, 1), test::random_input(Shape{2, 2}, 2));
  const fs::path good = temp_file("fuzz.keras");
  save_keras(m, good);
  const std::string bytes = test::read_bytes(good);
  const fs::path p = temp_file("fuzz_copy.keras");
  int loaded = 0, failed = 0;
  auto attempt = [&](const std::string& b) {
    test::write_bytes(p, b);
    try {
      auto copy = load_keras(p);
      ++loaded;
    } catch (const IOError&) {
      ++failed;
    } catch (const ValueError&) {
      ++failed;
    }
  };
  for (size_t i = 0; i < bytes.size(); i += 97) {
    std::string b = bytes;
    b[i] = static_cast<char>(b[i] ^ 0x5A);
    attempt(b);
  }
  for (size_t n : {size_t{0}, size_t{1}, size_t{30}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 22,
                   bytes.size() - 1})
    attempt(bytes.substr(0, n));
  EXPECT_GT(failed, 0);
  std::cout << "damaged archives: " << loaded << " loaded, " << failed << " refused\n";
}

}  // namespace
