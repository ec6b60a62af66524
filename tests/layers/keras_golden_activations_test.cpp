// Golden check against real Keras: the hls4ml fixtures hold one-layer activation models written
// by Keras 2.13 with recorded inputs and outputs. Each layer is built from the file's own config
// and must reproduce Keras' predictions.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "strata/layers/activation_layers.hpp"
#include "support/fixtures.hpp"

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
  // ThresholdedReLU(theta) is ReLU(threshold=theta) with no slope.
  if (cls == "ThresholdedReLU") return std::make_shared<ReLU>(ReLUOptions{.threshold = c["theta"].get<float>()});
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
