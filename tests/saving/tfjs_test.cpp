// TensorFlow.js layers models: model.json + shards written by the test (float32, uint8/uint16
// quantized, float16, a weight split across shards), the real tfjs fixture, and bad files.
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "strata/layers/bidirectional.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/saving/tfjs.hpp"
#include "strata/serialization/model_config.hpp"
#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/fixtures.hpp"

using namespace strata;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A scratch folder per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("strata_tfjs_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Input(3) -> Dense(2, name "dense") as tfjs saves it: the bare Keras config as modelTopology.
json topology() {
  Sequential m({Input({3}), Dense({.units = 2, .name = "dense"})});
  json t = model_to_config(m);
  t["keras_version"] = "tfjs-layers 4.22.0";
  t["backend"] = "tensor_flow.js";
  return t;
}

json model_json(const json& weights, const std::vector<std::string>& paths) {
  return {{"format", "layers-model"},
          {"generatedBy", "TensorFlow.js tfjs-layers v4.22.0"},
          {"convertedBy", nullptr},
          {"modelTopology", topology()},
          {"weightsManifest", json::array({{{"paths", paths}, {"weights", weights}}})}};
}

const std::vector<float> kKernel{1, 2, 3, 4, 5, 6};  // (3, 2)
const std::vector<float> kBias{0.5f, -0.5f};

}  // namespace

TEST(Tfjs, Float32WeightsAcrossTwoShards) {
  TempDir dir;
  const std::string all = bytes_of(kKernel) + bytes_of(kBias);
  // The kernel's bytes run over the shard boundary, as the 4 MiB shard size allows.
  write(dir.path / "group1-shard1of2.bin", all.substr(0, 10));
  write(dir.path / "group1-shard2of2.bin", all.substr(10));
  json weights = json::array({{{"name", "dense/kernel"}, {"shape", {3, 2}}, {"dtype", "float32"}},
                              {{"name", "dense/bias"}, {"shape", {2}}, {"dtype", "float32"}}});
  write(dir.path / "model.json",
        model_json(weights, {"group1-shard1of2.bin", "group1-shard2of2.bin"}).dump());
  auto model = load_tfjs_model(dir.path / "model.json");
  Tensor y = model->predict(Tensor::from_vector({1, 3}, std::vector<float>{1.f, 1.f, 1.f}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{9.5f, 11.5f}));
}

TEST(Tfjs, QuantizedWeightsAreDequantized) {
  TempDir dir;
  // kernel as uint8 with scale 0.5, min -1: q = (v + 1) / 0.5; bias as float16; both checked.
  std::vector<uint8_t> q8{4, 6, 8, 10, 12, 14};          // -> 1, 2, 3, 4, 5, 6
  std::vector<uint16_t> h{0x3800, 0xB800};                // 0.5, -0.5
  write(dir.path / "w.bin", bytes_of(q8) + bytes_of(h));
  json weights = json::array(
      {{{"name", "dense/kernel"}, {"shape", {3, 2}}, {"dtype", "float32"},
        {"quantization", {{"dtype", "uint8"}, {"scale", 0.5}, {"min", -1.0}}}},
       {{"name", "dense/bias"}, {"shape", {2}}, {"dtype", "float32"},
        {"quantization", {{"dtype", "float16"}}}}});
  write(dir.path / "model.json", model_json(weights, {"w.bin"}).dump());
  auto model = load_tfjs_model(dir.path / "model.json");
  auto w = model->get_weights();
  EXPECT_EQ(w[0].to_vector<float>(), kKernel);
  EXPECT_EQ(w[1].to_vector<float>(), kBias);

  std::vector<uint16_t> q16{2, 4, 6, 8, 10, 12};  // scale 0.5, min 0 -> 1..6
  write(dir.path / "w16.bin", bytes_of(q16) + bytes_of(kBias));
  weights[0]["quantization"] = {{"dtype", "uint16"}, {"scale", 0.5}, {"min", 0.0}};
  weights[1].erase("quantization");
  write(dir.path / "model.json", model_json(weights, {"w16.bin"}).dump());
  EXPECT_EQ(load_tfjs_model(dir.path / "model.json")->get_weights()[0].to_vector<float>(), kKernel);
}

TEST(Tfjs, BadFilesAreRefusedByName) {
  TempDir dir;
  const fs::path mj = dir.path / "model.json";
  json weights = json::array({{{"name", "dense/kernel"}, {"shape", {3, 2}}, {"dtype", "float32"}},
                              {{"name", "dense/bias"}, {"shape", {2}}, {"dtype", "float32"}}});
  auto expect_io = [&](const std::vector<std::string>& parts) {
    try {
      load_tfjs_model(mj);
      ADD_FAILURE() << "expected an error";
    } catch (const std::exception& e) {
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  };
  write(dir.path / "w.bin", (bytes_of(kKernel) + bytes_of(kBias)).substr(0, 20));  // truncated
  write(mj, model_json(weights, {"w.bin"}).dump());
  expect_io({"model.json", "end inside", "dense/kernel"});
  write(dir.path / "w.bin", bytes_of(kKernel) + bytes_of(kBias) + "xx");  // extra bytes
  expect_io({"hold 34 bytes", "describes 32"});
  write(mj, model_json(weights, {"missing.bin"}).dump());
  expect_io({"cannot open", "missing.bin"});
  write(dir.path / "w.bin", bytes_of(kKernel) + bytes_of(kBias));
  json renamed = weights;
  renamed[1]["name"] = "dense/biass";
  write(mj, model_json(renamed, {"w.bin"}).dump());
  expect_io({"no weight 'dense/bias'", "Dense 'dense'"});
  json wrong_shape = weights;
  wrong_shape[0]["shape"] = {2, 3};
  write(mj, model_json(wrong_shape, {"w.bin"}).dump());
  expect_io({"Dense 'dense'", "kernel", "(3, 2)", "(2, 3)"});
  json strings = weights;
  strings[1]["dtype"] = "string";
  write(mj, model_json(strings, {"w.bin"}).dump());
  expect_io({"dense/bias", "dtype string"});
  json graph = model_json(weights, {"w.bin"});
  graph["format"] = "graph-model";
  write(mj, graph.dump());
  expect_io({"graph-model", "not a tfjs layers model"});
  write(mj, "{\"modelTopology\": [1, 2");
  expect_io({"model.json", "not valid JSON", "byte"});
  write(mj, "{}");
  expect_io({"no 'modelTopology'"});
  expect_io({"model.json"});
  fs::remove(mj);
  expect_io({"cannot open"});
}

TEST(Tfjs, RealFixtureReproducesTheRecordedOutput) {
  const fs::path mj = test::fixture_path("tfjs/tfjs_e2e_load_predict_layers_model/model.json");
  if (!fs::exists(mj)) GTEST_SKIP() << "fixtures not found at " << mj;
  // Embedding(100, 20) -> GRU(4, go_backwards, Keras 2 hard_sigmoid, reset_after false).
  auto model = load_tfjs_model(mj);
  auto gru = std::dynamic_pointer_cast<GRU>(model->layers().back());
  ASSERT_NE(gru, nullptr);
  EXPECT_TRUE(gru->options().go_backwards);
  EXPECT_FALSE(gru->options().reset_after);
  EXPECT_EQ(gru->options().recurrent_activation, "hard_sigmoid_legacy");
  const Tensor ids = Tensor::from_vector({1, 10}, std::vector<float>{86, 11, 62, 40, 36, 75, 82, 94, 67, 75});
  const auto y = model->predict(ids).to_vector();
  const std::vector<float> want{-0.003578941337764263f, 0.0028922036290168762f,
                                -0.002957976423203945f, 0.00955402385443449f};
  ASSERT_EQ(y.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-6) << "output " << i;
}

// tfjs builds a Bidirectional's directions in its name scope: "bi/forward_lstm/kernel".
TEST(Tfjs, BidirectionalWeightsAreFoundInTheWrappersScope) {
  TempDir dir;
  Sequential m({Input({2, 1}), Bidirectional(LSTM({.units = 1, .name = "lstm"}), {.merge_mode = "sum", .name = "bi"})});
  json topo = model_to_config(m);
  topo["keras_version"] = "tfjs-layers 4.22.0";
  topo["backend"] = "tensor_flow.js";
  std::string bytes;
  json weights = json::array();
  float next = 0.1f;
  std::vector<std::vector<float>> values;
  for (const char* dir_name : {"forward_lstm", "backward_lstm"})
    for (const auto& [w, n] : std::vector<std::pair<std::string, int>>{{"kernel", 4}, {"recurrent_kernel", 4}, {"bias", 4}}) {
      std::vector<float> v;
      for (int i = 0; i < n; ++i) v.push_back(next += 0.1f);
      values.push_back(v);
      bytes += bytes_of(v);
      weights.push_back({{"name", std::string("bi/") + dir_name + "/" + w},
                         {"shape", w == "bias" ? json::array({4}) : json::array({1, 4})},
                         {"dtype", "float32"}});
    }
  write(dir.path / "w.bin", bytes);
  write(dir.path / "model.json",
        json({{"format", "layers-model"}, {"modelTopology", topo},
              {"weightsManifest", json::array({{{"paths", {"w.bin"}}, {"weights", weights}}})}})
            .dump());
  auto model = load_tfjs_model(dir.path / "model.json");
  auto bi = std::dynamic_pointer_cast<Bidirectional>(model->layers().back());
  ASSERT_NE(bi, nullptr);
  EXPECT_EQ(bi->forward_layer()->kernel().to_vector(), values[0]);
  EXPECT_EQ(bi->backward_layer()->recurrent_kernel().to_vector(), values[4]);
  EXPECT_EQ(bi->backward_layer()->bias().to_vector(), values[5]);
  // A weight under the wrong scope is not silently skipped.
  weights[3]["name"] = "bi/backward/kernel";
  write(dir.path / "model.json",
        json({{"format", "layers-model"}, {"modelTopology", topo},
              {"weightsManifest", json::array({{{"paths", {"w.bin"}}, {"weights", weights}}})}})
            .dump());
  test::expect_value_error([&] { load_tfjs_model(dir.path / "model.json"); },
                           {"bi/backward_lstm/kernel", "LSTM 'backward_lstm'"});
}

// Files converted from tf.keras 2 keep the recurrent cell's scope: "gru/gru_cell/kernel".
TEST(Tfjs, RecurrentWeightsMayCarryTheirCellScope) {
  TempDir dir;
  Sequential m({Input({3, 2}), GRU({.units = 1, .reset_after = false, .name = "gru"})});
  json topo = model_to_config(m);
  topo["keras_version"] = "tfjs-layers 4.22.0";
  topo["backend"] = "tensor_flow.js";
  std::string bytes;
  json weights = json::array();
  std::vector<std::vector<float>> values{{.1f, .2f, .3f, .4f, .5f, .6f}, {.7f, .8f, .9f}, {1, 2, 3}};
  const char* names[] = {"kernel", "recurrent_kernel", "bias"};
  const json shapes[] = {json::array({2, 3}), json::array({1, 3}), json::array({3})};
  for (int i = 0; i < 3; ++i) {
    bytes += bytes_of(values[size_t(i)]);
    weights.push_back({{"name", std::string("gru/gru_cell/") + names[i]}, {"shape", shapes[i]},
                       {"dtype", "float32"}});
  }
  write(dir.path / "w.bin", bytes);
  write(dir.path / "model.json",
        json({{"format", "layers-model"}, {"modelTopology", topo},
              {"weightsManifest", json::array({{{"paths", {"w.bin"}}, {"weights", weights}}})}})
            .dump());
  auto model = load_tfjs_model(dir.path / "model.json");
  auto gru = std::dynamic_pointer_cast<GRU>(model->layers().back());
  ASSERT_NE(gru, nullptr);
  EXPECT_EQ(gru->kernel().to_vector(), values[0]);
  EXPECT_EQ(gru->bias().to_vector(), values[2]);
}
