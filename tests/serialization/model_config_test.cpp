// Sequential model configs: round trips, every Keras variant of the format, the real configs in
// ../shared/fixtures (whose parameter counts must match their weight files), and bad input.
#include <fstream>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "strata/strata.hpp"
#include "strata/serialization/model_config.hpp"
#include "support/expect_error.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::expect_value_error;
namespace fs = std::filesystem;

TEST(ModelConfig, RoundTripIsStableAndRebuildsTheSameModel) {
  set_random_seed(3);
  Sequential m({Input({12, 12, 1}, {.name = "pixels"}),
                Conv2D({.filters = 4, .kernel_size = 3, .padding = "same", .activation = "relu"}),
                MaxPooling2D({.pool_size = 2}), BatchNormalization(), Flatten(), Dropout(0.3f),
                Dense({.units = 5, .activation = "softmax", .kernel_initializer = "he_normal"})},
               "tiny");
  const std::string text = to_json(m);
  auto copy = model_from_json(text);
  EXPECT_EQ(to_json(*copy), text);
  EXPECT_EQ(copy->name(), "tiny");
  EXPECT_EQ(copy->count_params(), m.count_params());
  EXPECT_EQ(copy->summary_string(), m.summary_string());
  copy->set_weights(m.get_weights());
  Tensor x = test::random_tensor({2, 12, 12, 1}, 4);
  EXPECT_EQ(copy->predict(x).to_vector(), m.predict(x).to_vector());
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["config"]["layers"][0]["config"]["batch_input_shape"], nlohmann::json({nullptr, 12, 12, 1}));
}

TEST(ModelConfig, ReadsEveryKerasSequentialVariant) {
  // Keras 2.0/2.1: the config is the layer list; the first layer carries batch_input_shape.
  auto k20 = model_from_json(R"({"class_name":"Sequential","config":[
      {"class_name":"Dense","config":{"name":"dense_1","batch_input_shape":[null,6],"units":3,"activation":"relu"}},
      {"class_name":"Dense","config":{"name":"dense_2","units":2,"activation":"softmax"}}]})");
  EXPECT_EQ(k20->input_shape(), (Shape{-1, 6}));
  EXPECT_EQ(k20->count_params(), 6 * 3 + 3 + 3 * 2 + 2);
  // Keras 2.3: named config, batch_input_shape on the first layer.
  auto k23 = model_from_json(R"({"class_name":"Sequential","config":{"name":"s","layers":[
      {"class_name":"Dense","config":{"name":"d","trainable":false,"batch_input_shape":[null,4],"units":2}}]}})");
  EXPECT_EQ(k23->count_params(), 10);
  EXPECT_TRUE(k23->trainable_weights().empty());
  // Keras 3: InputLayer with batch_shape, module/registered_name, DTypePolicy objects.
  auto k3 = model_from_json(R"({"module":"keras","class_name":"Sequential","config":{"name":"k3","trainable":true,
      "dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},
      "layers":[{"module":"keras.layers","class_name":"InputLayer","config":{"batch_shape":[null,16],"dtype":"float32","sparse":false,"name":"in"},"registered_name":null},
                {"module":"keras.layers","class_name":"Dense","config":{"name":"dense","trainable":true,
                 "dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},
                 "units":8,"activation":"relu","use_bias":true,
                 "kernel_initializer":{"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null},"registered_name":null},
                 "bias_initializer":{"module":"keras.initializers","class_name":"Zeros","config":{},"registered_name":null},
                 "kernel_regularizer":null,"bias_regularizer":null,"kernel_constraint":null,"bias_constraint":null},
                 "registered_name":null,"build_config":{"input_shape":[null,16]}}],"build_input_shape":[null,16]},
      "registered_name":null,"build_config":{"input_shape":[null,16]},"compile_config":{}})");
  EXPECT_EQ(k3->count_params(), 16 * 8 + 8);
  // tfjs' model.json wraps the topology.
  auto tfjs = model_from_json(R"({"format":"layers-model","modelTopology":{"keras_version":"2.13.1","backend":"tensorflow",
      "model_config":{"class_name":"Sequential","config":{"name":"t","layers":[
      {"class_name":"Dense","config":{"name":"d","batch_input_shape":[null,3],"units":1}}]}}},"weightsManifest":[]})");
  EXPECT_EQ(tfjs->count_params(), 4);
}

TEST(ModelConfig, RealKerasConfigsParseWithTheirWeightsParameterCount) {
  const fs::path dir = test::fixture_path("keras");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  struct Case { const char* config; const char* weights; };
  const Case cases[] = {
      {"dl4j/mnist_mlp/mnist_mlp_tf_keras_2_config.json", "dl4j/mnist_mlp/mnist_mlp_tf_keras_2_weights.h5"},
      {"kotlindl/mnist_lenet/modelConfig.json", "kotlindl/mnist_lenet/mnist_weights_only.h5"},
      {"kotlindl/batchnorm/modelConfig.json", "kotlindl/batchnorm/weights.h5"},
      {"kotlindl/mnist_mnist1_hdf5/mnist.json", "kotlindl/mnist_mnist1_hdf5/mnist_weights_only.h5"},
      {"hls4ml/elu/elu.json", "hls4ml/elu/elu_weights.h5"},
      {"hls4ml/leaky_relu/leaky_relu.json", "hls4ml/leaky_relu/leaky_relu_weights.h5"},
      {"hls4ml/relu/relu.json", "hls4ml/relu/relu_weights.h5"},
      {"hls4ml/softmax/softmax.json", "hls4ml/softmax/softmax_weights.h5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.config);
    auto model = model_from_json(test::read_text(dir / c.config));
    ASSERT_TRUE(model->built());
    EXPECT_EQ(model->count_params(), test::h5_stored_values(dir / c.weights));
    // Writing it back and reading that again gives the same description.
    const std::string once = to_json(*model);
    EXPECT_EQ(to_json(*model_from_json(once)), once);
  }
  // hls4ml's Conv2D models name a Python-side custom initializer, which Keras itself only loads
  // with custom_objects: the error must say which.
  expect_value_error([&] { model_from_json(test::read_text(dir / "hls4ml/tanh/tanh.json")); },
                     {"random_kernel", "initializer"});
}

TEST(ModelConfig, BadInputIsNamed) {
  expect_value_error([] { model_from_json(R"({"class_name": "Sequential", "config": {"layers": [}})"); },
                     {"malformed JSON", "byte"});
  expect_value_error([] { model_from_json(R"({"class_name":"Sequential","config":{"layers":[
      {"class_name":"Dense","config":{"batch_input_shape":[null,2],"units":1}},
      {"class_name":"MyFancyLayer","config":{}}]}})"); },
                     {"MyFancyLayer", "register_layer"});
  expect_value_error([] { model_from_json(R"({"class_name":"Sequential","config":{"layers":[
      {"class_name":"Lambda","config":{"function":"..."}}]}})"); },
                     {"Lambda", "C++"});
  expect_value_error([] { model_from_json(R"({"class_name":"Sequential","config":{"layers":[
      {"class_name":"Dense","config":{"batch_input_shape":[null,2],"units":"ten"}}]}})"); },
                     {"Dense", "units"});
  // Keras 3's hard_sigmoid has no name in the tf.keras 2 layout (readers would use slope 0.2).
  Sequential hs({Input({2}), Dense({.units = 1, .activation = "hard_sigmoid", .name = "hs"})});
  expect_value_error([&] { to_json(hs); }, {"hs", "hard_sigmoid"});
  // Functional configs are covered in functional_config_test.cpp; an empty one names what lacks.
  expect_value_error([] { model_from_json(R"({"class_name":"Functional","config":{}})"); },
                     {"Functional", "layers"});
}

namespace {

// An Activation and a Dense (kernel ones, bias zeros) on 3 inputs, both "hard_sigmoid", in a
// Sequential config with `top` spliced into the model entry and `layer` into each layer entry.
std::string hard_sigmoid_model(const std::string& top, const std::string& layer = "",
                               const std::string& dense_activation = R"("hard_sigmoid")") {
  return R"({)" + top + R"("class_name":"Sequential","config":{"name":"hs","layers":[
      {)" + layer + R"("class_name":"Activation","config":{"name":"act","batch_input_shape":[null,3],"activation":"hard_sigmoid"}},
      {)" + layer + R"("class_name":"Dense","config":{"name":"gate","units":1,"activation":)" +
         dense_activation + R"(,"kernel_initializer":"ones","bias_initializer":"zeros"}}]}})";
}

// The Activation layer's outputs for (-1.9, 1.9, 4) and the Dense's for their sum.
std::vector<float> hard_sigmoid_outputs(Model& m) {
  Tensor x = Tensor::from_vector({1, 3}, std::vector<float>{-1.9f, 1.9f, 4.f});
  auto act = m.get_layer("act");
  std::vector<float> out = (*act)(x).to_vector();
  out.push_back(m.predict(x).to_vector()[0]);
  return out;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "value " << i;
}

// Keras 1/2: clip(0.2x + 0.5, 0, 1); the Dense sees 0.12 + 0.88 + 1 = 2.
const std::vector<float> kLegacy{0.12f, 0.88f, 1.f, 0.9f};
// Keras 3: clip(x/6 + 0.5, 0, 1); the Dense sees 0.18333 + 0.81667 + 1 = 2.
const std::vector<float> kKeras3{0.5f - 1.9f / 6, 0.5f + 1.9f / 6, 1.f, 2.f / 6 + 0.5f};

}  // namespace

TEST(ModelConfig, HardSigmoidMeansWhatTheWritingKerasVersionMeant) {
  // Keras 1/2 configs (a keras_version stamp, or no Keras 3 module keys) use slope 0.2.
  auto k2 = model_from_json(hard_sigmoid_model(R"("keras_version":"2.13.1",)"));
  expect_near_all(hard_sigmoid_outputs(*k2), kLegacy);
  EXPECT_EQ(k2->get_layer("gate")->get_config()["activation"], "hard_sigmoid_legacy");
  expect_near_all(hard_sigmoid_outputs(*model_from_json(hard_sigmoid_model(""))), kLegacy);
  // tfjs keeps Keras 2's definition.
  expect_near_all(hard_sigmoid_outputs(*model_from_json(
                      R"({"modelTopology":{"keras_version":"tfjs-layers 4.2.0","model_config":)" +
                      hard_sigmoid_model("") + "}}")),
                  kLegacy);
  // Keras 3 configs: module / registered_name on the model or on its layer entries, or the
  // activation as a Keras 3 function object.
  expect_near_all(hard_sigmoid_outputs(*model_from_json(hard_sigmoid_model(R"("module":"keras",)"))), kKeras3);
  expect_near_all(hard_sigmoid_outputs(*model_from_json(hard_sigmoid_model(
                      "", R"("module":"keras.layers","registered_name":null,)"))),
                  kKeras3);
  expect_near_all(hard_sigmoid_outputs(*model_from_json(hard_sigmoid_model(
                      R"("module":"keras",)", "",
                      R"({"module":"keras.activations","class_name":"function","config":"hard_sigmoid","registered_name":"hard_sigmoid"})"))),
                  kKeras3);
  // An explicit version (a file's keras_version attribute) overrides the config's own signs.
  expect_near_all(hard_sigmoid_outputs(*model_from_json(hard_sigmoid_model(""), {.keras_version = "3.3.3"})), kKeras3);
  expect_near_all(hard_sigmoid_outputs(*model_from_json(hard_sigmoid_model(R"("module":"keras",)"),
                                                        {.keras_version = "2.15.0"})),
                  kLegacy);
  expect_near_all(hard_sigmoid_outputs(*model_from_config(
                      nlohmann::json::parse(hard_sigmoid_model(R"("keras_version":"2.13.1",)")),
                      {.keras_version = "3.0.0"})),
                  kKeras3);

  // Functional Keras 2 configs take the same path.
  auto f = model_from_json(R"({"class_name":"Functional","keras_version":"2.13.1","config":{"name":"f","layers":[
      {"class_name":"InputLayer","name":"x","config":{"name":"x","batch_input_shape":[null,3]},"inbound_nodes":[]},
      {"class_name":"Activation","name":"act","config":{"name":"act","activation":"hard_sigmoid"},"inbound_nodes":[[["x",0,0,{}]]]},
      {"class_name":"Dense","name":"gate","config":{"name":"gate","units":1,"activation":"hard_sigmoid","kernel_initializer":"ones"},
       "inbound_nodes":[[["act",0,0,{}]]]}],"input_layers":[["x",0,0]],"output_layers":[["gate",0,0]]}})");
  expect_near_all(hard_sigmoid_outputs(*f), kLegacy);

  // Writing (tf.keras 2 layout) names the legacy activation "hard_sigmoid", which tf.keras 2 and
  // this reader take with slope 0.2 again: the round trip keeps the model's meaning.
  const std::string text = to_json(*k2);
  EXPECT_EQ(text.find("hard_sigmoid_legacy"), std::string::npos);
  EXPECT_NE(text.find(R"("activation":"hard_sigmoid")"), std::string::npos);
  auto again = model_from_json(text);
  expect_near_all(hard_sigmoid_outputs(*again), kLegacy);
  EXPECT_EQ(to_json(*again), text);
  EXPECT_EQ(to_json(*f), to_json(*model_from_json(to_json(*f))));
  Sequential built({Input({2}), Dense({.units = 1, .activation = "hard_sigmoid_legacy", .name = "old"})});
  EXPECT_EQ(model_to_config(built)["config"]["layers"][1]["config"]["activation"], "hard_sigmoid");
  // Keras 3's hard_sigmoid is still refused on writing, read from a Keras 3 config or not.
  expect_value_error([] { to_json(*model_from_json(hard_sigmoid_model(R"("module":"keras",)"))); },
                     {"act", "hard_sigmoid"});
}

TEST(ModelConfig, CustomLayersRoundTripThroughTheRegistry) {
  struct Twice : Layer {
    explicit Twice(std::string name = "") : Layer("Twice", name) {}
    Shape compute_output_shape(const Shape& s) const override { return s; }
    Tensor call(const Tensor& x, bool) override { return ops::mul(x, 2.f); }
    static std::shared_ptr<Twice> from_config(const nlohmann::json& c) {
      return std::make_shared<Twice>(c.value("name", ""));
    }
  };
  register_layer<Twice>("Twice");
  Sequential m({Input({3}), std::make_shared<Twice>("x2")});
  auto copy = model_from_json(to_json(m));
  EXPECT_EQ(copy->get_layer("x2")->class_name(), "Twice");
  EXPECT_EQ(copy->predict(Tensor::ones({1, 3})).to_vector(), (std::vector<float>{2, 2, 2}));
}
