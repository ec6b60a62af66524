// Functional model configs: the tf.keras 2 layout Strata writes (shared layers, merges, nested
// models, multi-output layers), stable round trips that rebuild the same model, Keras 1/2/3
// spellings of inbound nodes, the real Functional configs in ../shared/fixtures (whose parameter
// counts must match their weight files), and bad input.
#include <fstream>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "strata/functional/graph_node.hpp"
#include "strata/serialization/model_config.hpp"
#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using nlohmann::json;
using test::expect_value_error;
namespace fs = std::filesystem;

namespace {

const json& layer_entry(const json& config, const std::string& name) {
  for (const auto& e : config["config"]["layers"])
    if (e["name"] == name) return e;
  throw std::runtime_error("no layer entry " + name);
}

}  // namespace

// Two inputs, two outputs; a shared Dense (also called once outside the model), a Concatenate and
// an Add merge, a nested two-output Functional model and a nested Sequential.
TEST(FunctionalConfig, RoundTripIsStableAndRebuildsTheSameModel) {
  set_random_seed(5);
  auto shared = std::make_shared<Dense>(DenseOptions{.units = 3, .activation = "tanh", .name = "shared"});
  (*shared)(Input({4}, {.name = "elsewhere"}));  // a call outside the model: node indices are per model
  SymbolicTensor a = Input({4}, {.name = "in_a"});
  SymbolicTensor b = Input({4}, {.name = "in_b"});
  SymbolicTensor sa = (*shared)(a);
  SymbolicTensor sb = (*shared)(b);
  SymbolicTensor cat = Concatenate({.name = "cat"})({sa, sb});

  SymbolicTensor ii = Input({6}, {.name = "inner_in"});
  SymbolicTensor ih = Dense({.units = 5, .activation = "relu", .name = "inner_hidden"})(ii);
  auto inner = std::make_shared<Model>(
      SymbolicTensors{ii},
      SymbolicTensors{Dense({.units = 3, .name = "inner_y"})(ih), Dense({.units = 2, .name = "inner_z"})(ih)},
      "inner");
  std::vector<SymbolicTensor> io = call_symbolic(inner, {cat});
  ASSERT_EQ(io.size(), 2u);

  auto seq = std::make_shared<Sequential>(
      std::vector<LayerRef>{Input({2}), Dense({.units = 3, .activation = "relu", .name = "seq_d"})},
      "stack");
  SymbolicTensor y1 = Add({.name = "sum"})({io[0], sa});
  SymbolicTensor y2 = Dense({.units = 1, .name = "head"})((*seq)(io[1]));
  Model m({a, b}, {y1, y2}, "two_by_two");

  const std::string text = to_json(m);
  const json j = json::parse(text);
  EXPECT_EQ(j["class_name"], "Functional");
  EXPECT_EQ(j["config"]["name"], "two_by_two");
  EXPECT_EQ(j["config"]["input_layers"], json::parse(R"([["in_a",0,0],["in_b",0,0]])"));
  EXPECT_EQ(j["config"]["output_layers"], json::parse(R"([["sum",0,0],["head",0,0]])"));
  EXPECT_EQ(layer_entry(j, "in_a")["inbound_nodes"], json::array());
  // The shared layer's two calls in this model are its nodes 0 and 1 here (globally 1 and 2).
  EXPECT_EQ(layer_entry(j, "shared")["inbound_nodes"],
            json::parse(R"([[["in_a",0,0,{}]],[["in_b",0,0,{}]]])"));
  EXPECT_EQ(layer_entry(j, "cat")["inbound_nodes"],
            json::parse(R"([[["shared",0,0,{}],["shared",1,0,{}]]])"));
  EXPECT_EQ(layer_entry(j, "sum")["inbound_nodes"],
            json::parse(R"([[["inner",0,0,{}],["shared",0,0,{}]]])"));
  EXPECT_EQ(layer_entry(j, "stack")["inbound_nodes"], json::parse(R"([[["inner",0,1,{}]]])"));
  // Nested models carry their whole config.
  const json& in_entry = layer_entry(j, "inner");
  EXPECT_EQ(in_entry["class_name"], "Functional");
  EXPECT_EQ(in_entry["config"]["output_layers"], json::parse(R"([["inner_y",0,0],["inner_z",0,0]])"));
  EXPECT_EQ(layer_entry(j, "stack")["class_name"], "Sequential");
  EXPECT_EQ(layer_entry(j, "stack")["config"]["layers"].size(), 2u);

  auto copy = model_from_json(text);
  EXPECT_EQ(to_json(*copy), text);
  EXPECT_EQ(copy->name(), "two_by_two");
  EXPECT_EQ(copy->class_name(), "Functional");
  EXPECT_EQ(copy->count_params(), m.count_params());
  ASSERT_EQ(copy->layers().size(), m.layers().size());
  for (size_t i = 0; i < m.layers().size(); ++i)
    EXPECT_EQ(copy->layers()[i]->name(), m.layers()[i]->name());
  EXPECT_EQ(copy->get_layer("shared")->inbound_nodes().size(), 2u);
  EXPECT_EQ(copy->get_layer("stack")->class_name(), "Sequential");

  copy->set_weights(m.get_weights());
  Tensor xa = test::random_tensor({3, 4}, 11), xb = test::random_tensor({3, 4}, 12);
  auto want = m({xa, xb});
  auto got = (*copy)({xa, xb});
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(got[i].shape(), want[i].shape());
    EXPECT_EQ(got[i].to_vector<float>(), want[i].to_vector<float>());
  }
}

TEST(FunctionalConfig, SequentialHoldsNestedModels) {
  set_random_seed(6);
  SymbolicTensor i = Input({3}, {.name = "fi"});
  auto block = std::make_shared<Model>(i, Dense({.units = 4, .name = "fd"})(i), "block");
  Sequential s({Input({3}), block, Dense({.units = 2, .name = "out"})}, "outer_seq");
  const std::string text = to_json(s);
  auto copy = model_from_json(text);
  EXPECT_EQ(to_json(*copy), text);
  EXPECT_EQ(copy->count_params(), s.count_params());
  copy->set_weights(s.get_weights());
  Tensor x = test::random_tensor({2, 3}, 3);
  EXPECT_EQ(copy->predict(x).to_vector<float>(), s.predict(x).to_vector<float>());
}

TEST(FunctionalConfig, ReadsKeras1And2ListFormWithLayersInAnyOrder) {
  // Keras 2.2 "Model", a layer listed before the layer it consumes, Keras 1 three-element entries
  // and non-empty call kwargs.
  auto m = model_from_json(R"({"class_name":"Model","keras_version":"2.2.4","config":{"name":"old",
    "layers":[
      {"name":"x","class_name":"InputLayer","config":{"batch_input_shape":[null,4],"dtype":"float32","sparse":false,"name":"x"},"inbound_nodes":[]},
      {"name":"late","class_name":"Dense","config":{"name":"late","units":2},"inbound_nodes":[[["early",0,0,{"training":false}]]]},
      {"name":"early","class_name":"Dense","config":{"name":"early","units":3},"inbound_nodes":[[["x",0,0]]]}],
    "input_layers":[["x",0,0]],"output_layers":[["late",0,0]]}})");
  EXPECT_EQ(m->class_name(), "Functional");
  EXPECT_EQ(m->name(), "old");
  EXPECT_EQ(m->count_params(), 4 * 3 + 3 + 3 * 2 + 2);
  EXPECT_EQ(m->output_shape(), (Shape{-1, 2}));
  // Written back in graph order.
  const json j = model_to_config(*m);
  EXPECT_EQ(j["config"]["layers"][1]["name"], "early");
  EXPECT_EQ(to_json(*model_from_json(j.dump())), j.dump());
}

TEST(FunctionalConfig, ReadsKeras3DictFormInboundNodes) {
  // Modelled on keras.md §2.3: module / registered_name fields, DTypePolicy objects, batch_shape,
  // {"args", "kwargs"} nodes (a merge's args hold a list), a flat triple for one input / output.
  const std::string text = R"({"module":"keras.src.models.functional","class_name":"Functional","registered_name":"Functional",
    "config":{"name":"k3","trainable":true,"layers":[
      {"module":"keras.layers","class_name":"InputLayer","registered_name":null,"name":"input_layer",
       "config":{"batch_shape":[null,8],"dtype":"float32","sparse":false,"name":"input_layer"},"inbound_nodes":[]},
      {"module":"keras.layers","class_name":"Dense","registered_name":null,"name":"dense","build_config":{"input_shape":[null,8]},
       "config":{"name":"dense","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},
                 "units":8,"activation":"relu","use_bias":true,
                 "kernel_initializer":{"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null},"registered_name":null},
                 "bias_initializer":{"module":"keras.initializers","class_name":"Zeros","config":{},"registered_name":null},
                 "kernel_regularizer":null,"bias_regularizer":null,"kernel_constraint":null,"bias_constraint":null},
       "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,8],"dtype":"float32","keras_history":["input_layer",0,0]}}],"kwargs":{}}]},
      {"module":"keras.layers","class_name":"Add","registered_name":null,"name":"add",
       "config":{"name":"add","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null}},
       "inbound_nodes":[{"args":[[{"class_name":"__keras_tensor__","config":{"shape":[null,8],"dtype":"float32","keras_history":["dense",0,0]}},
                                  {"class_name":"__keras_tensor__","config":{"shape":[null,8],"dtype":"float32","keras_history":["input_layer",0,0]}}]],"kwargs":{}}]},
      {"module":"keras.layers","class_name":"Dense","registered_name":null,"name":"dense_1",
       "config":{"name":"dense_1","units":2,"activation":"softmax"},
       "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,8],"dtype":"float32","keras_history":["add",0,0]}}],"kwargs":{"training":false}}]}],
    "input_layers":["input_layer",0,0],"output_layers":["dense_1",0,0]}})";
  auto m = model_from_json(text);
  EXPECT_EQ(m->name(), "k3");
  EXPECT_EQ(m->count_params(), 8 * 8 + 8 + 8 * 2 + 2);
  EXPECT_EQ(m->get_layer("add")->class_name(), "Add");
  Tensor x = test::random_tensor({4, 8}, 2);
  Tensor p = m->predict(x);
  EXPECT_EQ(p.shape(), (Shape{4, 2}));
  // Written back in the Keras 2 list form.
  const json j = model_to_config(*m);
  EXPECT_EQ(layer_entry(j, "add")["inbound_nodes"],
            json::parse(R"([[["dense",0,0,{}],["input_layer",0,0,{}]]])"));
  EXPECT_EQ(j["config"]["input_layers"], json::parse(R"([["input_layer",0,0]])"));
}

TEST(FunctionalConfig, RealKerasFunctionalConfigsParseWithTheirWeightsParameterCount) {
  const fs::path dir = test::fixture_path("keras");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  struct Case { const char* config; const char* weights; int64_t params; };
  // The expected counts are the values stored in each weights file (checked below as well):
  // toyresnet (Keras "Model", tf 2.2.4): conv 3x3 1->32 (320), 32->64 (18496), five 64->64
  // (36928 each), Dense 64->256 (16640), 256->10 (2570) = 222666; hls4ml conv1d_1layer
  // ("Functional", 2.11): Conv1D kernel 3x5x1 + bias 1 = 16.
  const Case cases[] = {
      {"kotlindl/toyresnet/modelConfig.json", "kotlindl/toyresnet/weights.h5", 222666},
      {"hls4ml/conv1d_1layer/conv1d_1layer.json", "hls4ml/conv1d_1layer/conv1d_1layer_weights.h5", 16},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.config);
    auto model = model_from_json(test::read_text(dir / c.config));
    EXPECT_EQ(model->class_name(), "Functional");
    EXPECT_EQ(model->count_params(), c.params);
    EXPECT_EQ(model->count_params(), test::h5_stored_values(dir / c.weights));
    const std::string once = to_json(*model);
    EXPECT_EQ(to_json(*model_from_json(once)), once);
  }
  // The whole-model .h5 holds the same config.
  auto from_h5 = model_from_json(test::h5_model_config(dir / "hls4ml/conv1d_1layer/conv1d_1layer.h5"));
  EXPECT_EQ(from_h5->count_params(), 16);

  // toyresnet's residual Adds consume layers listed earlier in two places.
  auto resnet = model_from_json(test::read_text(dir / "kotlindl/toyresnet/modelConfig.json"));
  EXPECT_EQ(resnet->layers().size(), 14u);
  EXPECT_EQ(resnet->input_shape(), (Shape{-1, 28, 28, 1}));
  EXPECT_EQ(resnet->output_shape(), (Shape{-1, 10}));

  // conv1d_1layer's kernel initializer is Ones and its bias Zeros — the very weights its file
  // holds — so the rebuilt model reproduces the recorded outputs without loading weights.
  auto conv = model_from_json(test::read_text(dir / "hls4ml/conv1d_1layer/conv1d_1layer.json"));
  auto in = test::read_rows(dir / "hls4ml/conv1d_1layer/tb_input_features.dat");
  auto out = test::read_rows(dir / "hls4ml/conv1d_1layer/tb_output_predictions.dat");
  ASSERT_EQ(in.size(), out.size());
  std::vector<float> flat;
  for (const auto& r : in) flat.insert(flat.end(), r.begin(), r.end());
  Tensor pred = conv->predict(Tensor::from_vector({static_cast<int64_t>(in.size()), 5, 5}, flat));
  std::vector<float> expect;
  for (const auto& r : out) expect.insert(expect.end(), r.begin(), r.end());
  EXPECT_LT(test::max_abs_diff(pred.to_vector<float>(), expect), 1e-4);

  // frugally-deep's LSTM model takes sequences of any length (batch_input_shape
  // [null, null, 4]) and keeps Keras 2's hard_sigmoid gates.
  auto lstm = model_from_json(test::h5_model_config(dir / "frugally_deep/lstm.h5"));
  bool any_length = false;
  for (const auto& in : lstm->inputs()) any_length = any_length || in.shape() == Shape{-1, -1, 4};
  EXPECT_TRUE(any_length);
  EXPECT_GT(lstm->count_params(), 0);
  // The GRU models with an initial state as a second input.
  EXPECT_EQ(model_from_json(test::h5_model_config(dir / "frugally_deep/temp_stateful.h5"))
                ->inputs().size(), 2u);
  EXPECT_EQ(model_from_json(json::parse(test::read_text(dir / "frugally_deep/temp_stateless.json"))
                                ["architecture"].dump())->inputs().size(), 2u);
  // The other Functional fixtures use layers Strata lacks; the error names them.
  expect_value_error([&] {
    model_from_json(test::h5_model_config(dir / "dl4j/weights/space_to_depth_graph_tensorflow_2.h5"));
  }, {"space_to_depth_x2", "Lambda", "C++"});
}

namespace {

// A Keras 2 Functional config around the given layer entries and outputs (input "x", shape (4,)).
std::string functional(const std::string& layers, const std::string& outputs = R"([["a",0,0]])") {
  return R"({"class_name":"Functional","config":{"name":"bad","layers":[
      {"class_name":"InputLayer","config":{"batch_input_shape":[null,4],"name":"x"},"name":"x","inbound_nodes":[]},)" +
         layers + R"(],"input_layers":[["x",0,0]],"output_layers":)" + outputs + "}}";
}

std::string dense(const std::string& name, const std::string& node) {
  return R"({"class_name":"Dense","config":{"name":")" + name + R"(","units":4},"name":")" + name +
         R"(","inbound_nodes":[)" + node + "]}";
}

}  // namespace

TEST(FunctionalConfig, BadInputIsNamed) {
  // The helpers build a valid model.
  EXPECT_EQ(model_from_json(functional(dense("a", R"([["x",0,0,{}]])")))->count_params(), 20);
  // A cycle: a consumes b, b consumes a.
  expect_value_error([] {
    model_from_json(functional(dense("a", R"([["b",0,0,{}]])") + "," + dense("b", R"([["a",0,0,{}]])")));
  }, {"bad", "cycle", "'a'", "'b'"});
  // An inbound node naming a missing layer.
  expect_value_error([] { model_from_json(functional(dense("a", R"([["ghost",0,0,{}]])"))); },
                     {"'a'", "'ghost'", "not among the model's layers"});
  // ... or a call the producer never makes.
  expect_value_error([] { model_from_json(functional(dense("a", R"([["x",1,0,{}]])"))); },
                     {"'a'", "node 1", "'x'"});
  // output_layers naming an unknown layer, node or tensor.
  expect_value_error([] { model_from_json(functional(dense("a", R"([["x",0,0,{}]])"), R"([["nope",0,0]])")); },
                     {"output_layers", "'nope'"});
  expect_value_error([] { model_from_json(functional(dense("a", R"([["x",0,0,{}]])"), R"([["a",2,0]])")); },
                     {"output_layers", "node 2", "'a'"});
  expect_value_error([] { model_from_json(functional(dense("a", R"([["x",0,0,{}]])"), R"([["a",0,3]])")); },
                     {"output_layers", "output 3", "'a'"});
  // Duplicate layer names.
  expect_value_error([] {
    model_from_json(functional(dense("a", R"([["x",0,0,{}]])") + "," + dense("a", R"([["x",0,0,{}]])")));
  }, {"'a'", "duplicate"});
  // Unknown classes point at register_layer; Lambda explains itself.
  expect_value_error([] {
    model_from_json(functional(R"({"class_name":"MyFancyLayer","config":{"name":"a"},"name":"a","inbound_nodes":[[["x",0,0,{}]]]})"));
  }, {"'a'", "MyFancyLayer", "register_layer"});
  expect_value_error([] {
    model_from_json(functional(R"({"class_name":"Lambda","config":{"name":"a","function":"..."},"name":"a","inbound_nodes":[[["x",0,0,{}]]]})"));
  }, {"'a'", "Lambda", "C++"});
  // Malformed JSON names the byte.
  expect_value_error([] { model_from_json(R"({"class_name":"Functional","config":{"layers":[}})"); },
                     {"malformed JSON", "byte"});
  // Missing pieces.
  expect_value_error([] { model_from_json(R"({"class_name":"Functional","config":{}})"); },
                     {"Functional", "layers"});
  expect_value_error([] {
    model_from_json(R"({"class_name":"Model","config":{"name":"m","layers":[],"output_layers":[]}})");
  }, {"'m'", "input_layers"});
  // A shape mismatch while replaying names the layer.
  expect_value_error([] {
    model_from_json(functional(R"({"class_name":"Add","config":{"name":"a"},"name":"a","inbound_nodes":[[["x",0,0,{}],["d",0,0,{}]]]},)" +
                               std::string(R"({"class_name":"Dense","config":{"name":"d","units":3},"name":"d","inbound_nodes":[[["x",0,0,{}]]]})")));
  }, {"'a'", "(None, 4)", "(None, 3)"});
}
