// Keras' legacy HDF5 format: Strata's files round-trip bit for bit and have the layout tf.keras
// writes; real Keras files (hls4ml, dl4j, kotlindl) load and reproduce their recorded outputs;
// damaged and mismatched files give clear IOError / ValueError, never a crash.
#include "strata/saving/legacy_h5.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/model_files.hpp"
#include "support/fixtures.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("strata_legacy_h5_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}


std::unique_ptr<Sequential> small_cnn(const std::string& prefix = "") {
  auto name = [&](const std::string& n) { return prefix.empty() ? std::string() : prefix + n; };
  return std::make_unique<Sequential>(std::vector<LayerRef>{
      Input({6, 6, 2}),
      Conv2D({.filters = 3, .kernel_size = 3, .activation = "relu", .name = name("conv")}),
      BatchNormalization({.name = name("bn")}),
      MaxPooling2D({.pool_size = 2, .name = name("pool")}),
      Flatten({.name = name("flat")}),
      Dense({.units = 4, .activation = "softmax", .name = name("out")}),
  });
}

// A Functional model with a nested Functional model, a nested Sequential and merges.
std::unique_ptr<Model> nested_functional() {
  SymbolicTensor in = Input({8}, {.name = "features"});
  SymbolicTensor ii = Input({8}, {.name = "enc_in"});
  SymbolicTensor ih = BatchNormalization({.name = "enc_bn"})(
      Dense({.units = 6, .activation = "tanh", .name = "enc_dense"})(ii));
  auto encoder = std::make_shared<Model>(ii, ih, "encoder");
  auto head = std::make_shared<Sequential>(
      std::vector<LayerRef>{Input({12}), Dense({.units = 5, .activation = "relu", .name = "head_dense"})},
      "head");
  SymbolicTensor e = (*encoder)(in);
  SymbolicTensor side = Dense({.units = 6, .name = "side"})(in);
  SymbolicTensor sum = Add({.name = "sum"})({e, side});
  SymbolicTensor cat = Concatenate({.name = "cat"})({sum, e});
  SymbolicTensor out = Dense({.units = 3, .name = "out"})((*head)(cat));
  return std::make_unique<Model>(in, out, "outer");
}

// ---- structure of an HDF5 file: groups, attribute names and kinds, dataset types and shapes.
struct Structure {
  std::map<std::string, std::map<std::string, std::string>> attrs;  // object -> attr -> kind
  std::map<std::string, std::string> datasets;                      // path -> "f4 (3, 5, 1)"
  std::set<std::string> groups;
};

std::string kind(const h5::ObjectInfo& i) {
  std::string k = i.type.cls == h5::TypeClass::string     ? "str"
                  : i.type.cls == h5::TypeClass::floating ? "f" + std::to_string(i.type.size)
                  : i.type.cls == h5::TypeClass::integer  ? "i" + std::to_string(i.type.size)
                                                          : "other";
  return k + (i.scalar ? " scalar" : " array");
}

void walk(const h5::Group& g, Structure& s) {
  s.groups.insert(g.path());
  for (const auto& a : g.attr_names()) s.attrs[g.path()][a] = kind(g.attr_info(a));
  for (const auto& c : g.children()) {
    if (g.has_group(c)) {
      walk(g.open_group(c), s);
    } else {
      const auto info = g.dataset_info(c);
      std::string shape;
      for (auto d : info.shape) shape += std::to_string(d) + ",";
      s.datasets[g.path() + "/" + c] = kind(info) + " (" + shape + ")";
    }
  }
}

Structure structure(const fs::path& p) {
  Structure s;
  walk(h5::File::open(p.string()), s);
  return s;
}

// Reshapes recorded rows into a batch for `model`'s input shape.
Tensor rows_to_batch(const std::vector<std::vector<float>>& rows, const Shape& input_shape) {
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  Shape s = input_shape;
  s[0] = static_cast<int64_t>(rows.size());
  return Tensor::from_vector(s, flat);
}

void expect_reproduces(Model& model, const fs::path& dir, const std::string& what) {
  const auto in = test::read_rows(dir / "tb_input_features.dat");
  const auto out = test::read_rows(dir / "tb_output_predictions.dat");
  ASSERT_EQ(in.size(), out.size()) << what;
  const auto y = model.predict(rows_to_batch(in, model.input_shape())).to_vector();
  size_t i = 0;
  for (size_t r = 0; r < out.size(); ++r)
    for (float expected : out[r]) {
      ASSERT_LT(i, y.size()) << what;
      EXPECT_NEAR(y[i], expected, 1e-5) << what << " row " << r;
      ++i;
    }
  EXPECT_EQ(i, y.size()) << what;
}

}  // namespace

TEST(LegacyH5, SequentialRoundTripIsBitForBit) {
  auto model = small_cnn();
  test::randomize_weights(*model, 1);
  const fs::path p = temp_file("seq.h5");
  save_h5(*model, p);
  auto loaded = load_h5_model(p);
  ASSERT_EQ(loaded->class_name(), "Sequential");
  const Tensor x = test::random_input({5, 6, 6, 2}, 2);
  test::expect_bitwise_equal(model->predict(x), loaded->predict(x));
  const auto a = model->get_weights(), b = loaded->get_weights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) test::expect_bitwise_equal(a[i], b[i]);
}

TEST(LegacyH5, FunctionalWithNestedModelsAndMergesRoundTrips) {
  auto model = nested_functional();
  test::randomize_weights(*model, 3);
  const fs::path p = temp_file("functional.h5");
  save_h5(*model, p);
  auto loaded = load_h5_model(p);
  const Tensor x = test::random_input({7, 8}, 4);
  test::expect_bitwise_equal(model->predict(x), loaded->predict(x));

  // The nested model is one layer group holding its inner layers' weights, trainable first.
  h5::File f = h5::File::open(p.string());
  h5::Group w = f.open_group("model_weights");
  EXPECT_EQ(w.read_keras_string_list("layer_names"),
            (std::vector<std::string>{"features", "encoder", "side", "sum", "cat", "head", "out"}));
  EXPECT_EQ(w.open_group("encoder").read_keras_string_list("weight_names"),
            (std::vector<std::string>{"enc_dense/kernel:0", "enc_dense/bias:0", "enc_bn/gamma:0",
                                      "enc_bn/beta:0", "enc_bn/moving_mean:0",
                                      "enc_bn/moving_variance:0"}));
  EXPECT_TRUE(w.has_dataset("encoder/enc_dense/kernel:0"));
  EXPECT_EQ(w.open_group("head").read_keras_string_list("weight_names"),
            (std::vector<std::string>{"head_dense/kernel:0", "head_dense/bias:0"}));
  EXPECT_TRUE(w.open_group("sum").read_keras_string_list("weight_names").empty());
}

TEST(LegacyH5, WholeModelLayoutMatchesTfKeras) {
  auto model = small_cnn("l_");
  const fs::path p = temp_file("layout.h5");
  save_h5(*model, p);
  h5::File f = h5::File::open(p.string());
  EXPECT_EQ(f.attr_names(), (std::vector<std::string>{"backend", "keras_version", "model_config"}));
  EXPECT_EQ(f.read_string_attr("keras_version"), "2.13.1");
  EXPECT_EQ(f.read_string_attr("backend"), "tensorflow");
  EXPECT_TRUE(f.attr_info("model_config").type.variable_string);
  EXPECT_EQ(nlohmann::json::parse(f.read_string_attr("model_config")), model_to_config(*model));
  h5::Group w = f.open_group("model_weights");
  EXPECT_EQ(w.attr_names(), (std::vector<std::string>{"backend", "keras_version", "layer_names"}));
  EXPECT_FALSE(w.attr_info("layer_names").type.variable_string);  // |S<n> byte strings
  EXPECT_EQ(w.read_keras_string_list("layer_names"),
            (std::vector<std::string>{"l_conv", "l_bn", "l_pool", "l_flat", "l_out"}));
  EXPECT_EQ(w.children(), (std::vector<std::string>{"l_bn", "l_conv", "l_flat", "l_out", "l_pool",
                                                    "top_level_model_weights"}));
  EXPECT_EQ(w.open_group("l_bn").read_keras_string_list("weight_names"),
            (std::vector<std::string>{"l_bn/gamma:0", "l_bn/beta:0", "l_bn/moving_mean:0",
                                      "l_bn/moving_variance:0"}));
  const auto k = w.dataset_info("l_conv/l_conv/kernel:0");
  EXPECT_EQ(k.type.cls, h5::TypeClass::floating);
  EXPECT_EQ(k.type.size, 4u);
  EXPECT_EQ(k.shape, (std::vector<int64_t>{3, 3, 2, 3}));
  EXPECT_EQ(w.open_group("l_pool").attr_info("weight_names").type.cls, h5::TypeClass::floating);
  EXPECT_FALSE(f.exists("optimizer_weights"));

  // The boundary for compile state: training_config and optimizer_weights when provided.
  H5TrainingState state;
  state.training_config = nlohmann::json{{"loss", "mse"}};
  state.optimizer_weights.push_back({"Adam/iter:0", Tensor::scalar(3.f)});
  state.optimizer_weights.push_back({"Adam/l_out/kernel/m:0", Tensor::ones({32, 4})});
  const fs::path p2 = temp_file("with_training.h5");
  save_h5(*model, p2, state);
  const H5TrainingState back = load_h5_training_state(p2);
  ASSERT_TRUE(back.training_config.has_value());
  EXPECT_EQ(*back.training_config, *state.training_config);
  ASSERT_EQ(back.optimizer_weights.size(), 2u);
  EXPECT_EQ(back.optimizer_weights[1].name, "Adam/l_out/kernel/m:0");
  EXPECT_EQ(back.optimizer_weights[1].value.shape(), (Shape{32, 4}));
  EXPECT_EQ(back.optimizer_weights[0].value.item(), 3.f);
  EXPECT_FALSE(load_h5_training_state(p).training_config.has_value());
}

TEST(LegacyH5, WrittenFilesHaveTheStructureOfKerasFiles) {
  for (const char* rel : {"keras/hls4ml/relu/relu.h5", "keras/hls4ml/conv1d_1layer/conv1d_1layer.h5"}) {
    const fs::path fixture = test::fixture_path(rel);
    if (!fs::exists(fixture)) GTEST_SKIP() << "fixtures not found at " << fixture;
    auto model = load_h5_model(fixture);
    const fs::path p = temp_file("structure.h5");
    save_h5(*model, p);
    const Structure keras = structure(fixture), ours = structure(p);
    EXPECT_EQ(ours.groups, keras.groups) << rel;
    EXPECT_EQ(ours.attrs, keras.attrs) << rel;
    EXPECT_EQ(ours.datasets, keras.datasets) << rel;

    // The weights-only file likewise.
    std::string weights = fixture.string();
    weights.replace(weights.size() - 3, 3, "_weights.h5");
    const fs::path pw = temp_file("structure_weights.h5");
    save_weights_h5(*model, pw);
    const Structure kw = structure(weights), ow = structure(pw);
    EXPECT_EQ(ow.groups, kw.groups) << rel;
    EXPECT_EQ(ow.attrs, kw.attrs) << rel;
    EXPECT_EQ(ow.datasets, kw.datasets) << rel;
  }
}

TEST(LegacyH5, WeightsOnlyPositionalAndByName) {
  auto model = small_cnn();
  test::randomize_weights(*model, 5);
  const fs::path p = temp_file("weights.h5");
  save_weights_h5(*model, p);
  {
    h5::File f = h5::File::open(p.string());
    EXPECT_FALSE(f.has_attr("model_config"));
    EXPECT_EQ(f.read_keras_string_list("layer_names").size(), 5u);
  }
  const Tensor x = test::random_input({3, 6, 6, 2}, 6);
  // Positional: a fresh model with other layer names.
  auto other = small_cnn("renamed_");
  load_weights_h5(*other, p);
  test::expect_bitwise_equal(model->predict(x), other->predict(x));
  // A whole-model file also feeds load_weights_h5.
  const fs::path whole = temp_file("whole.h5");
  save_h5(*model, whole);
  auto other2 = small_cnn("again_");
  load_weights_h5(*other2, whole);
  test::expect_bitwise_equal(model->predict(x), other2->predict(x));

  // By name: layers whose names match get their weights, the rest keep theirs.
  auto named = small_cnn("n_");
  test::randomize_weights(*named, 7);
  save_weights_h5(*named, p);
  Sequential target({Input({6, 6, 2}),
                     Conv2D({.filters = 3, .kernel_size = 3, .activation = "relu", .name = "n_conv"}),
                     BatchNormalization({.name = "other_bn"}), Flatten(),
                     Dense({.units = 4, .name = "n_out"})});  // n_out: kernel (48, 4) vs (12, 4)
  const auto bn_before = target.get_layer("other_bn")->weights()[0].to_vector();
  std::string msg = test::error_of<ValueError>([&] { load_weights_h5(target, p, {.by_name = true}); });
  EXPECT_NE(msg.find("n_out"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(12, 4)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(48, 4)"), std::string::npos) << msg;
  EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
  // Nothing was loaded by the failed call.
  EXPECT_NE(target.get_layer("n_conv")->weights()[0].to_vector(),
            named->get_layer("n_conv")->weights()[0].to_vector());

  testing::internal::CaptureStderr();
  load_weights_h5(target, p, {.by_name = true, .skip_mismatch = true});
  const std::string warning = testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("n_out"), std::string::npos) << warning;
  EXPECT_NE(warning.find("WARNING"), std::string::npos) << warning;
  EXPECT_EQ(target.get_layer("n_conv")->weights()[0].to_vector(),
            named->get_layer("n_conv")->weights()[0].to_vector());
  EXPECT_EQ(target.get_layer("n_out")->weights()[1].to_vector(),
            named->get_layer("n_out")->weights()[1].to_vector());  // bias (4,) fits
  EXPECT_EQ(target.get_layer("other_bn")->weights()[0].to_vector(), bn_before);

  msg = test::error_of<ValueError>([&] { load_weights_h5(target, p, {.skip_mismatch = true}); });
  EXPECT_NE(msg.find("by_name"), std::string::npos) << msg;
}

TEST(LegacyH5, MismatchedWeightsAreValueErrors) {
  auto model = small_cnn();
  const fs::path p = temp_file("mismatch.h5");
  save_weights_h5(*model, p);
  // One weighted layer fewer.
  Sequential fewer({Input({6, 6, 2}), Conv2D({.filters = 3, .kernel_size = 3}), Flatten(),
                    Dense({.units = 4})});
  std::string msg = test::error_of<ValueError>([&] { load_weights_h5(fewer, p); });
  EXPECT_NE(msg.find("layer count mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 3"), std::string::npos) << msg;
  // Same layers, a wrong shape.
  Sequential wrong({Input({6, 6, 2}), Conv2D({.filters = 5, .kernel_size = 3, .name = "c5"}),
                    BatchNormalization(), MaxPooling2D({.pool_size = 2}), Flatten(),
                    Dense({.units = 4})});
  msg = test::error_of<ValueError>([&] { load_weights_h5(wrong, p); });
  EXPECT_NE(msg.find("c5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(3, 3, 2, 5)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(3, 3, 2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
  // A layer with a different weight count (Dense without bias).
  Sequential nobias({Input({6, 6, 2}), Conv2D({.filters = 3, .kernel_size = 3}), BatchNormalization(),
                     MaxPooling2D({.pool_size = 2}), Flatten(),
                     Dense({.units = 4, .use_bias = false, .name = "nb"})});
  msg = test::error_of<ValueError>([&] { load_weights_h5(nobias, p); });
  EXPECT_NE(msg.find("nb"), std::string::npos) << msg;
  EXPECT_NE(msg.find("weight count"), std::string::npos) << msg;
}

TEST(LegacyH5, DamagedAndForeignFilesAreCleanErrors) {
  const fs::path fixture = test::fixture_path("keras/kotlindl/mnist_mnist1_hdf5/mnist.h5");
  if (!fs::exists(fixture)) GTEST_SKIP() << "fixtures not found at " << fixture;
  std::ifstream in(fixture, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [](const fs::path& p, const std::string& b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(b.data(), static_cast<std::streamsize>(b.size()));
  };
  auto expect_clean = [&](const fs::path& p, const std::string& what) {
    for (int mode = 0; mode < 2; ++mode) {
      try {
        if (mode == 0) {
          load_h5_model(p);
        } else {
          Sequential m({Input({28, 28}), Flatten(), Dense({.units = 128, .activation = "relu"}),
                        Dense({.units = 10})});
          load_weights_h5(m, p);
        }
        // Damage in unused bytes may leave the file loadable; that is fine.
      } catch (const IOError& e) {
        EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos)
            << what << ": " << e.what();
      } catch (const ValueError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": unexpected exception type: " << e.what();
      }
    }
  };
  // Truncated copies.
  for (double frac : {0.05, 0.3, 0.6, 0.9, 0.999}) {
    const fs::path p = temp_file("truncated.h5");
    write(p, bytes.substr(0, static_cast<size_t>(frac * static_cast<double>(bytes.size()))));
    const std::string msg = test::error_of<IOError>([&] { load_h5_model(p); });
    EXPECT_NE(msg.find("truncated.h5"), std::string::npos) << msg;
  }
  // Bit flips at many places: metadata near the start, the middle, the end.
  std::mt19937 rng(11);
  for (int i = 0; i < 120; ++i) {
    std::string damaged = bytes;
    const size_t at = i < 40 ? rng() % 4096 : rng() % damaged.size();
    for (int j = 0; j < 8 && at + static_cast<size_t>(j) < damaged.size(); ++j)
      damaged[at + static_cast<size_t>(j)] = static_cast<char>(damaged[at + static_cast<size_t>(j)] ^ 0x5a);
    const fs::path p = temp_file("flipped.h5");
    write(p, damaged);
    expect_clean(p, "flip at " + std::to_string(at));
  }
  // Random bytes, an empty file, a missing file.
  std::string junk(20000, '\0');
  for (auto& c : junk) c = static_cast<char>(rng());
  write(temp_file("random.h5"), junk);
  EXPECT_NE(test::error_of<IOError>([&] { load_h5_model(temp_file("random.h5")); }).find("random.h5"),
            std::string::npos);
  write(temp_file("empty.h5"), "");
  EXPECT_NE(test::error_of<IOError>([&] { load_h5_model(temp_file("empty.h5")); }).find("empty.h5"),
            std::string::npos);
  const std::string missing = test::error_of<IOError>([&] { load_h5_model(temp_file("nope.h5")); });
  EXPECT_NE(missing.find("nope.h5"), std::string::npos) << missing;
  EXPECT_NE(missing.find("no such file"), std::string::npos) << missing;

  // A weights-only file has no model_config.
  auto model = small_cnn();
  save_weights_h5(*model, temp_file("only_weights.h5"));
  const std::string no_config = test::error_of<IOError>([&] { load_h5_model(temp_file("only_weights.h5")); });
  EXPECT_NE(no_config.find("model_config"), std::string::npos) << no_config;
  // An HDF5 file that is not a Keras file.
  { h5::File f = h5::File::create(temp_file("plain.h5").string()); f.create_group("data"); }
  const std::string plain = test::error_of<IOError>([&] { load_weights_h5(*model, temp_file("plain.h5")); });
  EXPECT_NE(plain.find("layer_names"), std::string::npos) << plain;
  // A layer group whose weight dataset is missing.
  {
    h5::File f = h5::File::create(temp_file("holes.h5").string());
    f.write_keras_string_list("layer_names", {"conv"});
    f.create_group("conv").write_keras_string_list("weight_names", {"conv/kernel:0"});
  }
  Sequential one({Input({4, 4, 1}), Conv2D({.filters = 1, .kernel_size = 3, .use_bias = false})});
  const std::string holes = test::error_of<IOError>([&] { load_weights_h5(one, temp_file("holes.h5")); });
  EXPECT_NE(holes.find("/conv/conv/kernel:0"), std::string::npos) << holes;
  // Failed saves leave no file behind and name the target.
  const std::string bad_dir = test::error_of<IOError>([&] { save_h5(*model, temp_file("no_dir") / "m.h5"); });
  EXPECT_NE(bad_dir.find("m.h5"), std::string::npos) << bad_dir;
}

// Every hls4ml folder: <name>.h5 (whole model) and <name>.json + <name>_weights.h5 reproduce the
// recorded predictions. PReLU, ThresholdedReLU and Keras 2's hard_sigmoid need those layers.
TEST(LegacyH5Golden, Hls4mlModelsReproduceKeras) {
  const fs::path root = test::fixture_path("keras/hls4ml");
  if (!fs::exists(root)) GTEST_SKIP() << "fixtures not found at " << root;
  int folders = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path dir = entry.path();
    fs::path whole, json, weights;
    for (const auto& f : fs::directory_iterator(dir)) {
      const std::string n = f.path().filename().string();
      if (n.ends_with("_weights.h5")) weights = f.path();
      else if (n.ends_with(".h5")) whole = f.path();
      else if (n.ends_with(".json")) json = f.path();
    }
    const std::string name = dir.filename().string();
    ASSERT_FALSE(whole.empty() || json.empty() || weights.empty()) << name;
    ++folders;
    try {
      auto model = load_h5_model(whole);
      expect_reproduces(*model, dir, name + " (" + whole.filename().string() + ")");
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": " << whole.filename() << ": " << e.what();
    }
    try {
      auto model = model_from_json(test::read_text(json), {.placeholder_initializers = true});
      load_weights_h5(*model, weights);
      expect_reproduces(*model, dir, name + " (json + weights)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": json + " << weights.filename() << ": " << e.what();
    }
  }
  EXPECT_EQ(folders, 30);
}

TEST(LegacyH5Golden, Dl4jMnistMlpReproducesKeras) {
  const fs::path dir = test::fixture_path("keras/dl4j/mnist_mlp");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto model = model_from_json(test::read_text(dir / "mnist_mlp_tf_keras_2_config.json"));
  load_weights_h5(*model, dir / "mnist_mlp_tf_keras_2_weights.h5");
  h5::File io = h5::File::open((dir / "mnist_mlp_tf_keras_2_inputs_and_outputs.h5").string());
  const h5::FloatArray x = io.read_dataset("inputs/dense_1_input");
  const h5::FloatArray y = io.read_dataset("predictions/dense_3");
  const auto p = model->predict(Tensor::from_vector(Shape(x.shape), x.values)).to_vector();
  ASSERT_EQ(p.size(), y.values.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(p[i], y.values[i], 1e-5) << "element " << i;
}

TEST(LegacyH5Golden, KotlindlLenetGivesTheRecordedLogits) {
  const fs::path dir = test::fixture_path("keras/kotlindl/mnist_lenet");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  std::pair<datasets::Dataset, datasets::Dataset> data;
  try {
    data = datasets::fashion_mnist::load();
  } catch (const IOError& e) {
    GTEST_SKIP() << "Fashion-MNIST not installed: " << e.what();
  }
  auto model = model_from_json(test::read_text(dir / "modelConfig.json"));
  load_weights_h5(*model, dir / "mnist_weights_only.h5");
  const Tensor x = data.second.x.slice_rows(0, 2);
  const auto logits = model->predict(x).to_vector();
  const std::vector<float> expected = {
      -1.68143f, -3.75622f, -0.60034f, -1.43451f, -1.59853f, 5.23559f, -2.23609f, 6.97908f, 3.25531f, 8.52760f,
      4.29781f, -2.50388f, 12.78630f, 3.16512f, 7.17773f, -5.31362f, 5.95877f, -7.70678f, 0.53436f, -8.43074f};
  ASSERT_EQ(logits.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(logits[i], expected[i], 1e-4) << i;
  // And the whole test set scores what the fixture's README records.
  model->compile({.loss = SparseCategoricalCrossentropy({.from_logits = true}), .metrics = {"accuracy"}});
  const double accuracy =
      model->evaluate(data.second.x, data.second.y, {.batch_size = 500, .verbose = 0})["accuracy"];
  EXPECT_NEAR(accuracy, 0.8553, 5e-5);
}

// A Keras 1 file (no keras_version): Theano-style channels_first Conv2D kernels (out, in, kh, kw)
// with Keras 1 weight names become Keras 2's (kh, kw, in, out), as preprocess_weights_for_loading.
TEST(LegacyH5, Keras1ChannelsFirstConvKernelsAreTransposed) {
  const fs::path p = temp_file("keras1.h5");
  std::vector<float> theano(2 * 3 * 2 * 2);
  for (size_t i = 0; i < theano.size(); ++i) theano[i] = static_cast<float>(i);
  {
    h5::File f = h5::File::create(p.string());
    f.write_keras_string_list("layer_names", {"convolution2d_1"});
    h5::Group g = f.create_group("convolution2d_1");
    g.write_keras_string_list("weight_names", {"convolution2d_1_W", "convolution2d_1_b"});
    g.write_dataset("convolution2d_1_W", {2, 3, 2, 2}, theano);  // (out, in, kh, kw)
    g.write_dataset("convolution2d_1_b", {2}, std::vector<float>{0.5f, -0.5f});
  }
  Sequential m({Input({3, 4, 4}),
                Conv2D({.filters = 2, .kernel_size = 2, .data_format = "channels_first"})});
  load_weights_h5(m, p);
  const Tensor k = m.layers()[0]->weights()[0];
  ASSERT_EQ(k.shape(), (Shape{2, 2, 3, 2}));
  const auto v = k.to_vector();
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 2; ++y)
        for (int64_t x = 0; x < 2; ++x)
          EXPECT_EQ(v[static_cast<size_t>(((y * 2 + x) * 3 + c) * 2 + o)],
                    theano[static_cast<size_t>(((o * 3 + c) * 2 + y) * 2 + x)]);
  EXPECT_EQ(m.layers()[0]->weights()[1].to_vector(), (std::vector<float>{0.5f, -0.5f}));
}

TEST(LegacyH5, TheanoBackendKernelsAreFlippedAsKeras2Does) {
  // A Keras 2 file written with the Theano backend holds true-convolution kernels; loading them
  // into a correlating backend reverses the spatial axes (conv_utils.convert_kernel).
  Sequential m({Input({4, 4, 1}), Conv2D({.filters = 1, .kernel_size = 2, .name = "conv"}),
                Flatten(), Dense({.units = 1, .name = "head"})});
  std::vector<float> k{1, 2, 3, 4};  // (kh=2, kw=2, in=1, out=1)
  Tensor(m.get_layer("conv")->weights()[0]).copy_(Tensor::from_vector({2, 2, 1, 1}, k));
  const fs::path p = temp_file("theano.h5");
  save_weights_h5(m, p);
  {
    h5::File f = h5::File::open_rw(p.string());
    f.write_string_attr("backend", "theano", h5::StringType::vlen_ascii);
  }
  Sequential fresh({Input({4, 4, 1}), Conv2D({.filters = 1, .kernel_size = 2, .name = "conv"}),
                    Flatten(), Dense({.units = 1, .name = "head"})});
  load_weights_h5(fresh, p);
  EXPECT_EQ(fresh.get_layer("conv")->weights()[0].to_vector(), (std::vector<float>{4, 3, 2, 1}));
  // Dense kernels are not convolutions: unchanged.
  EXPECT_EQ(fresh.get_layer("head")->weights()[0].to_vector(),
            m.get_layer("head")->weights()[0].to_vector());
}
