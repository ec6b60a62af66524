// Golden check against real Keras: the hls4ml fixtures hold one-layer activation models written
// by Keras 2.13 with recorded inputs and outputs. Each layer is built from the file's own config
// and must reproduce Keras' predictions. The second test loads whole models with model_from_json
// and their weights from the fixture's HDF5 file (PReLU's alpha, hard_sigmoid's Conv2D).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "strata/layers/activation_layers.hpp"
#include "strata/layers/thresholded_relu.hpp"
#include "strata/saving/legacy_h5.hpp"
#include "strata/serialization/model_config.hpp"
#include "support/expect_error.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::read_rows;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = test::fixture_path("keras/hls4ml");

// The weightless layer classes these fixtures use, from their Keras 2 configs.
std::shared_ptr<Layer> from_config(const nlohmann::json& layer) {
  const std::string cls = layer["class_name"];
  const auto& c = layer["config"];
  if (cls == "ReLU")
    return std::make_shared<ReLU>(ReLUOptions{
        .max_value = c["max_value"].is_null() ? std::nullopt : std::optional<float>(c["max_value"].get<float>()),
        .negative_slope = c["negative_slope"].get<float>(),
        .threshold = c["threshold"].get<float>()});
  // Keras 2 called LeakyReLU's slope `alpha`.
  if (cls == "LeakyReLU") return std::make_shared<LeakyReLU>(LeakyReLUOptions{c["alpha"].get<float>()});
  if (cls == "ELU") return std::make_shared<ELU>(ELUOptions{c["alpha"].get<float>()});
  if (cls == "Softmax") return std::make_shared<Softmax>(SoftmaxOptions{c["axis"].get<int>()});
  if (cls == "ThresholdedReLU") return std::make_shared<ThresholdedReLU>(ThresholdedReLUOptions{c["theta"].get<float>()});
  return nullptr;
}

}  // namespace

TEST(KerasGolden, WeightlessActivationLayersReproduceKeras) {
  if (!fs::exists(kDir)) GTEST_SKIP() << "fixtures not found at " << kDir << " (../shared absent)";
  int checked = 0;
  for (const char* name : {"relu", "relu_no_stream", "leaky_relu", "leaky_relu_no_stream", "elu",
                           "elu_no_stream", "softmax", "softmax_no_stream", "softmax_latency",
                           "softmax_legacy", "thresholded_relu", "thresholded_relu_no_stream"}) {
    const fs::path dir = kDir / name;
    // Each folder holds one architecture file, named after the model it came from.
    fs::path json;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json") json = e.path();
    ASSERT_FALSE(json.empty()) << "no .json in " << dir;
    std::ifstream f(json);
    auto config = nlohmann::json::parse(f);
    auto layer = from_config(config["config"]["layers"][1]);
    ASSERT_NE(layer, nullptr) << name;
    auto inputs = read_rows(dir / "tb_input_features.dat");
    auto outputs = read_rows(dir / "tb_output_predictions.dat");
    ASSERT_EQ(inputs.size(), outputs.size()) << name;
    for (size_t r = 0; r < inputs.size(); ++r) {
      const int64_t n = static_cast<int64_t>(inputs[r].size());
      auto y = (*layer)(Tensor::from_vector({1, n}, inputs[r])).to_vector();
      ASSERT_EQ(y.size(), outputs[r].size()) << name;
      for (size_t i = 0; i < y.size(); ++i)
        EXPECT_NEAR(y[i], outputs[r][i], 1e-5 + 1e-5 * std::abs(outputs[r][i]))
            << name << " row " << r << " element " << i;
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

namespace {

// The folder's architecture file (named after the model it came from, not the folder).
fs::path json_in(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") return e.path();
  return {};
}

// Runs every recorded input row through `model`; the largest deviation from Keras' outputs.
double max_error(Model& model, const fs::path& dir, int64_t* rows = nullptr) {
  auto inputs = read_rows(dir / "tb_input_features.dat");
  auto outputs = read_rows(dir / "tb_output_predictions.dat");
  EXPECT_EQ(inputs.size(), outputs.size()) << dir;
  EXPECT_FALSE(inputs.empty()) << dir;
  Shape in = model.input_shape();
  in[0] = static_cast<int64_t>(inputs.size());
  std::vector<float> x, want;
  for (const auto& r : inputs) x.insert(x.end(), r.begin(), r.end());
  for (const auto& r : outputs) want.insert(want.end(), r.begin(), r.end());
  EXPECT_EQ(static_cast<int64_t>(x.size()), in.numel()) << dir;
  auto y = model.predict(Tensor::from_vector(in, x)).to_vector();
  EXPECT_EQ(y.size(), want.size()) << dir;
  if (y.size() != want.size()) return 1e9;
  if (rows) *rows = static_cast<int64_t>(inputs.size());
  return test::max_abs_diff(y, want);
}

}  // namespace

TEST(KerasGolden, PReLUThresholdedReLUAndLegacyHardSigmoidModelsReproduceKeras) {
  if (!fs::exists(kDir)) GTEST_SKIP() << "fixtures not found at " << kDir << " (../shared absent)";
  for (const char* name : {"prelu", "prelu_no_stream", "thresholded_relu",
                           "thresholded_relu_no_stream", "hard_sigmoid", "hard_sigmoid_no_stream"}) {
    SCOPED_TRACE(name);
    const fs::path dir = kDir / name;
    const fs::path json = json_in(dir);
    ASSERT_FALSE(json.empty()) << "no .json in " << dir;
    // The configs are Keras 2.13's (keras_version "2.13.1"), so hard_sigmoid means slope 0.2.
    // Their Conv2D kernels name a Python-side initializer ("random_kernel"); the weights follow.
    auto model = model_from_json(test::read_text(json), {.placeholder_initializers = true});
    const fs::path weights = dir / (json.stem().string() + "_weights.h5");
    ASSERT_TRUE(fs::exists(weights)) << weights;
    load_weights_h5(*model, weights);
    int64_t rows = 0;
    EXPECT_LT(max_error(*model, dir, &rows), 1e-5);
    EXPECT_GE(rows, 1);
  }
}

TEST(KerasGolden, HardSigmoidFollowsTheWritingKerasVersion) {
  const fs::path dir = kDir / "hard_sigmoid";
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir << " (../shared absent)";
  // A whole-model .h5 file keeps its config and keras_version apart; the loader passes the
  // attribute on as the hint.
  const fs::path h5 = dir / "hard_sigmoid.h5";
  const std::string version = test::h5_root_string_attribute(h5, "keras_version");
  ASSERT_EQ(version.rfind("2.", 0), 0u) << version;
  const std::string config = test::h5_model_config(h5);
  ASSERT_EQ(config.find("keras_version"), std::string::npos);
  auto model = model_from_json(config, {.keras_version = version, .placeholder_initializers = true});
  load_weights_h5(*model, dir / "hard_sigmoid_weights.h5");
  EXPECT_LT(max_error(*model, dir), 1e-5);
  // Without a stamp or hint the config's own layout decides: no module keys, so Keras 2.
  auto inferred = model_from_json(config, {.placeholder_initializers = true});
  load_weights_h5(*inferred, dir / "hard_sigmoid_weights.h5");
  EXPECT_LT(max_error(*inferred, dir), 1e-5);
  // Read as Keras 3 the same config means relu6(x + 3) / 6, which misses Keras 2's outputs
  // (0.88 recorded for a pre-activation of 1.9, where x/6 + 0.5 gives 0.817).
  auto as_keras3 =
      model_from_json(config, {.keras_version = "3.3.3", .placeholder_initializers = true});
  load_weights_h5(*as_keras3, dir / "hard_sigmoid_weights.h5");
  // The placeholder is written back as the file had it.
  EXPECT_NE(to_json(*model).find("random_kernel"), std::string::npos);
  test::expect_value_error([&] { model_from_json(config); }, {"random_kernel", "load_model"});
  EXPECT_GT(max_error(*as_keras3, dir), 0.05);
}
