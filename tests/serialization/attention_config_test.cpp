// Functional configs whose attention-layer calls pass tensors and options as call arguments:
// the texts tf.keras 2 and Keras 3 write, read into models that run, and both writers' round
// trips (JSON, .keras, .h5).
//
// Where the hand-written texts come from:
//   tf.keras 2 (2.4-2.15) Node.serialize (tensorflow/python/keras/engine/node.py, keras/engine/
//     node.py): "Treat everything other than first argument as a kwarg" — the first argument's
//     tensors are [layer, node, tensor, kwargs] and every further argument is a kwarg, tensors
//     as [layer, node, tensor] (_serialize_keras_tensor); so mha(q, v) is
//     [["q", 0, 0, {"value": ["v", 0, 0]}]]. MultiHeadAttention.get_config there adds
//     query_shape / key_shape / value_shape.
//   Keras 3 functional.py serialize_node: {"args": serialize(node.arguments.args), "kwargs":
//     serialize(node.arguments.kwargs)}, tensors as __keras_tensor__ objects with keras_history;
//     Layer.__call__ (keras/src/layers/layer.py, "6. Populate mask argument(s)") records
//     <arg>_mask kwargs for layers with several tensor arguments (MultiHeadAttention's
//     query_mask / value_mask / key_mask) and "mask" for one (Attention's list), None without
//     masks. Layer.get_build_config: {"shapes_dict": {...}} for several build arguments.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "strata/functional/graph_node.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/serialization/model_config.hpp"
#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"
#include "support/model_files.hpp"

namespace strata {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- tf.keras 2 texts -------------------------------------------------------------------------

json k2_input(const std::string& name, json shape) {
  return {{"class_name", "InputLayer"},
          {"config",
           {{"batch_input_shape", shape}, {"dtype", "float32"}, {"sparse", false},
            {"ragged", false}, {"name", name}}},
          {"name", name},
          {"inbound_nodes", json::array()}};
}

// tf.keras 2.13 MultiHeadAttention.get_config after a call on query (null, t, dq), value and key
// (null, s, dv).
json k2_mha(const std::string& name, json q_shape, json v_shape, json k_shape, json inbound) {
  return {{"class_name", "MultiHeadAttention"},
          {"config",
           {{"name", name}, {"trainable", true}, {"dtype", "float32"}, {"num_heads", 2},
            {"key_dim", 4}, {"value_dim", 4}, {"dropout", 0.0}, {"use_bias", true},
            {"output_shape", nullptr}, {"attention_axes", {1}},
            {"kernel_initializer", {{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}}},
            {"bias_initializer", {{"class_name", "Zeros"}, {"config", json::object()}}},
            {"kernel_regularizer", nullptr}, {"bias_regularizer", nullptr},
            {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr},
            {"bias_constraint", nullptr}, {"query_shape", q_shape}, {"key_shape", k_shape},
            {"value_shape", v_shape}}},
          {"name", name},
          {"inbound_nodes", inbound}};
}

json k2_model(json layers, json inputs, json outputs) {
  return {{"class_name", "Functional"},
          {"config",
           {{"name", "model"}, {"trainable", true}, {"layers", layers}, {"input_layers", inputs},
            {"output_layers", outputs}}},
          {"keras_version", "2.13.1"},
          {"backend", "tensorflow"}};
}

// x = Input((5, 8)); y, s = mha(x, x, use_causal_mask=True, return_attention_scores=True)
json k2_causal_self_attention() {
  json node = json::parse(R"([[["x", 0, 0, {"value": ["x", 0, 0], "use_causal_mask": true,
                                            "return_attention_scores": true}]]])");
  return k2_model({k2_input("x", {nullptr, 5, 8}),
                   k2_mha("mha", {nullptr, 5, 8}, {nullptr, 5, 8}, {nullptr, 5, 8}, node)},
                  {{"x", 0, 0}}, {{"mha", 0, 0}, {"mha", 0, 1}});
}

// ---- Keras 3 texts ----------------------------------------------------------------------------

json dtype_policy() {
  return {{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", {{"name", "float32"}}},
          {"registered_name", nullptr}};
}

json k3_tensor(const std::string& layer, json shape) {
  return {{"class_name", "__keras_tensor__"},
          {"config", {{"shape", shape}, {"dtype", "float32"}, {"keras_history", {layer, 0, 0}}}}};
}

json k3_input(const std::string& name, json shape) {
  return {{"module", "keras.layers"},
          {"class_name", "InputLayer"},
          {"config", {{"batch_shape", shape}, {"dtype", "float32"}, {"sparse", false}, {"name", name}}},
          {"registered_name", nullptr},
          {"name", name},
          {"inbound_nodes", json::array()}};
}

json k3_initializer(const std::string& cls, json config) {
  return {{"module", "keras.initializers"}, {"class_name", cls}, {"config", config},
          {"registered_name", nullptr}};
}

// Keras 3.3 MultiHeadAttention entry (get_config has no shapes; build_config has them).
json k3_mha(const std::string& name, json shapes_dict, json inbound) {
  return {{"module", "keras.layers"},
          {"class_name", "MultiHeadAttention"},
          {"config",
           {{"name", name}, {"trainable", true}, {"dtype", dtype_policy()}, {"num_heads", 2},
            {"key_dim", 4}, {"value_dim", 4}, {"dropout", 0.0}, {"use_bias", true},
            {"output_shape", nullptr}, {"attention_axes", {1}},
            {"kernel_initializer", k3_initializer("GlorotUniform", {{"seed", nullptr}})},
            {"bias_initializer", k3_initializer("Zeros", json::object())},
            {"kernel_regularizer", nullptr}, {"bias_regularizer", nullptr},
            {"activity_regularizer", nullptr}, {"kernel_constraint", nullptr},
            {"bias_constraint", nullptr}, {"seed", nullptr}}},
          {"registered_name", nullptr},
          {"build_config", {{"shapes_dict", shapes_dict}}},
          {"name", name},
          {"inbound_nodes", inbound}};
}

json k3_model(json layers, json inputs, json outputs) {
  return {{"module", "keras.src.models.functional"},
          {"class_name", "Functional"},
          {"config",
           {{"name", "functional"}, {"trainable", true}, {"layers", layers},
            {"input_layers", inputs}, {"output_layers", outputs}}},
          {"registered_name", "Functional"},
          {"build_config", {{"input_shape", nullptr}}},
          {"compile_config", nullptr}};
}

std::shared_ptr<MultiHeadAttention> mha_of(const Model& m, const std::string& name = "mha") {
  auto l = std::dynamic_pointer_cast<MultiHeadAttention>(m.get_layer(name));
  EXPECT_TRUE(l) << name;
  return l;
}

// A copy of `model` through `write` and model_from_config, with the same weights.
template <class Write>
std::shared_ptr<Model> copy_through(const Model& model, Write write) {
  auto copy = model_from_json(write(model).dump());
  copy->set_weights(model.get_weights());
  return copy;
}

void expect_same_predictions(Model& a, Model& b, const std::vector<Tensor>& x) {
  const auto pa = a.predict(x), pb = b.predict(x);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) test::expect_bitwise_equal(pa[i], pb[i]);
}

// ---- reading tf.keras 2 -----------------------------------------------------------------------

TEST(AttentionConfig, Keras2QueryPositionalValueAsKwarg) {
  json node = json::parse(R"([[["query", 0, 0, {"value": ["value", 0, 0]}]]])");
  json c = k2_model({k2_input("query", {nullptr, 4, 8}), k2_input("value", {nullptr, 6, 8}),
                     k2_mha("mha", {nullptr, 4, 8}, {nullptr, 6, 8}, {nullptr, 6, 8}, node)},
                    {{"query", 0, 0}, {"value", 0, 0}}, {{"mha", 0, 0}});
  auto model = model_from_config(c);
  test::randomize_weights(*model, 1);
  const Tensor q = test::random_tensor({2, 4, 8}, 2), v = test::random_tensor({2, 6, 8}, 3);
  const Tensor y = model->predict({q, v})[0];
  EXPECT_EQ(y.shape(), (Shape{2, 4, 8}));
  // The value went to input 1: the layer on (q, v) gives the model's output, on (v, q) not.
  auto mha = mha_of(*model);
  test::expect_bitwise_equal(mha->attend(q, v, Tensor(), Tensor(), false)[0], y);
  EXPECT_EQ(mha->weights()[0].shape(), (Shape{8, 2, 4}));
}

TEST(AttentionConfig, EarlierStrataListFormStillReads) {
  // Strata's writer once wrote MultiHeadAttention calls as one list: [[q, ...], [v, ...]].
  json node = json::parse(R"([[["query", 0, 0, {}], ["value", 0, 0, {}]]])");
  json c = k2_model({k2_input("query", {nullptr, 4, 8}), k2_input("value", {nullptr, 6, 8}),
                     k2_mha("mha", {nullptr, 4, 8}, {nullptr, 6, 8}, {nullptr, 6, 8}, node)},
                    {{"query", 0, 0}, {"value", 0, 0}}, {{"mha", 0, 0}});
  auto model = model_from_config(c);
  EXPECT_EQ(model->predict({test::random_tensor({1, 4, 8}, 1), test::random_tensor({1, 6, 8}, 2)})[0].shape(),
            (Shape{1, 4, 8}));
  // Both positionally and by name is ambiguous.
  c["config"]["layers"][2]["inbound_nodes"] =
      json::parse(R"([[["query", 0, 0, {"value": ["value", 0, 0]}], ["value", 0, 0, {"value": ["value", 0, 0]}]]])");
  test::expect_value_error([&] { model_from_config(c); }, {"'mha'", "'value'", "positionally and by name"});
}

TEST(AttentionConfig, Keras2CausalScoresKwargsSetTheLayerOptions) {
  auto model = model_from_config(k2_causal_self_attention());
  auto mha = mha_of(*model);
  EXPECT_TRUE(mha->options().use_causal_mask);
  EXPECT_TRUE(mha->options().return_attention_scores);
  test::randomize_weights(*model, 4);
  const Tensor x = test::random_tensor({2, 5, 8}, 5);
  const auto out = model->predict(std::vector<Tensor>{x});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].shape(), (Shape{2, 2, 5, 5}));
  // Causal: query step 0 sees only key step 0.
  const auto s = out[1].to_vector();
  for (int64_t j = 1; j < 5; ++j) EXPECT_EQ(s[static_cast<size_t>(j)], 0.f) << j;
  EXPECT_FLOAT_EQ(s[0], 1.f);
}

TEST(AttentionConfig, Keras2KeyAndAttentionMaskKwargs) {
  // mha(q, v, key=k, attention_mask=m): every argument after the first is a kwarg.
  json node = json::parse(
      R"([[["q", 0, 0, {"value": ["v", 0, 0], "key": ["k", 0, 0], "attention_mask": ["m", 0, 0]}]]])");
  json c = k2_model({k2_input("q", {nullptr, 3, 4}), k2_input("v", {nullptr, 5, 6}),
                     k2_input("k", {nullptr, 5, 7}), k2_input("m", {nullptr, 3, 5}),
                     k2_mha("mha", {nullptr, 3, 4}, {nullptr, 5, 6}, {nullptr, 5, 7}, node)},
                    {{"q", 0, 0}, {"v", 0, 0}, {"k", 0, 0}, {"m", 0, 0}}, {{"mha", 0, 0}});
  auto model = model_from_config(c);
  test::randomize_weights(*model, 6);
  const Tensor q = test::random_tensor({2, 3, 4}, 7), v = test::random_tensor({2, 5, 6}, 8),
               k = test::random_tensor({2, 5, 7}, 9);
  std::vector<float> mv(2 * 3 * 5, 1.f);
  for (size_t i = 0; i < mv.size(); i += 3) mv[i] = 0.f;
  const Tensor m = Tensor::from_vector(Shape{2, 3, 5}, mv);
  const Tensor y = model->predict({q, v, k, m})[0];
  auto mha = mha_of(*model);
  EXPECT_EQ(mha->weights()[2].shape(), (Shape{7, 2, 4}));  // key/kernel from the key's 7 features
  test::expect_bitwise_equal(mha->attend(q, v, k, m, false)[0], y);
  // The mask matters: all ones gives another result.
  const Tensor ones = Tensor::ones(Shape{2, 3, 5});
  EXPECT_NE(model->predict({q, v, k, ones})[0].to_vector(), y.to_vector());
}

TEST(AttentionConfig, Keras2AttentionListWithScoresKwarg) {
  json c = k2_model(
      {k2_input("q", {nullptr, 3, 4}), k2_input("v", {nullptr, 5, 4}),
       {{"class_name", "Attention"},
        {"config", {{"name", "att"}, {"trainable", true}, {"dtype", "float32"}, {"use_scale", false},
                    {"score_mode", "dot"}, {"dropout", 0.0}}},
        {"name", "att"},
        {"inbound_nodes", json::parse(R"([[["q", 0, 0, {"return_attention_scores": true}],
                                           ["v", 0, 0, {"return_attention_scores": true}]]])")}}},
      {{"q", 0, 0}, {"v", 0, 0}}, {{"att", 0, 0}, {"att", 0, 1}});
  auto model = model_from_config(c);
  auto att = std::dynamic_pointer_cast<Attention>(model->get_layer("att"));
  ASSERT_TRUE(att);
  EXPECT_TRUE(att->return_attention_scores());
  EXPECT_FALSE(att->use_causal_mask());
  const auto out = model->predict({test::random_tensor({2, 3, 4}, 1), test::random_tensor({2, 5, 4}, 2)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].shape(), (Shape{2, 3, 5}));
}

TEST(AttentionConfig, RefusesTensorKwargsItCannotRebuild) {
  // Attention(...)([q, v], mask=[qm, vm]) with hand-made mask tensors.
  json att = {{"class_name", "Attention"},
              {"config", {{"name", "att"}, {"use_scale", false}, {"dropout", 0.0}}},
              {"name", "att"},
              {"inbound_nodes", json::parse(R"([[["q", 0, 0, {"mask": [["qm", 0, 0], ["vm", 0, 0]]}],
                                                 ["v", 0, 0, {"mask": [["qm", 0, 0], ["vm", 0, 0]]}]]])")}};
  json c = k2_model({k2_input("q", {nullptr, 3, 4}), k2_input("v", {nullptr, 5, 4}),
                     k2_input("qm", {nullptr, 3}), k2_input("vm", {nullptr, 5}), att},
                    {{"q", 0, 0}, {"v", 0, 0}, {"qm", 0, 0}, {"vm", 0, 0}}, {{"att", 0, 0}});
  test::expect_value_error([&] { model_from_config(c); }, {"'att'", "Attention", "'mask'", "Masking"});

  // LSTM(...)(x, initial_state=[h, c]): refused rather than silently dropped.
  json lstm = {{"class_name", "LSTM"},
               {"config", {{"name", "lstm"}, {"units", 2}}},
               {"name", "lstm"},
               {"inbound_nodes", json::parse(R"([[["x", 0, 0, {"initial_state": [["h", 0, 0], ["c", 0, 0]]}]]])")}};
  json c2 = k2_model({k2_input("x", {nullptr, 3, 4}), k2_input("h", {nullptr, 2}),
                      k2_input("c", {nullptr, 2}), lstm},
                     {{"x", 0, 0}, {"h", 0, 0}, {"c", 0, 0}}, {{"lstm", 0, 0}});
  test::expect_value_error([&] { model_from_config(c2); }, {"'lstm'", "'initial_state'"});

  // Keras 3 MultiHeadAttention with a hand-passed query_mask tensor.
  json args = {k3_tensor("q", {nullptr, 3, 4}), k3_tensor("q", {nullptr, 3, 4})};
  json node = {{"args", args},
               {"kwargs", {{"query_mask", k3_tensor("qm", {nullptr, 3})}, {"value_mask", nullptr}}}};
  json c3 = k3_model({k3_input("q", {nullptr, 3, 4}), k3_input("qm", {nullptr, 3}),
                      k3_mha("mha", {{"query_shape", {nullptr, 3, 4}}, {"value_shape", {nullptr, 3, 4}}},
                             {node})},
                     {{"q", 0, 0}, {"qm", 0, 0}}, {{"mha", 0, 0}});
  test::expect_value_error([&] { model_from_config(c3); }, {"'mha'", "'query_mask'"});

  // An unknown tensor kwarg of MultiHeadAttention, and a missing value.
  json bad = k2_causal_self_attention();
  bad["config"]["layers"][1]["inbound_nodes"][0][0][3]["bias"] = json::array({"x", 0, 0});
  test::expect_value_error([&] { model_from_config(bad); }, {"'mha'", "'bias'"});
  bad = k2_causal_self_attention();
  bad["config"]["layers"][1]["inbound_nodes"][0][0][3].erase("value");
  test::expect_value_error([&] { model_from_config(bad); }, {"'mha'", "'value'"});
  bad = k2_causal_self_attention();
  bad["config"]["layers"][1]["inbound_nodes"][0][0][3]["use_causal_mask"] = "yes";
  test::expect_value_error([&] { model_from_config(bad); }, {"'mha'", "use_causal_mask", "true or false"});
}

TEST(AttentionConfig, SharedLayerCallsMustAgreeOnOptions) {
  json nodes = json::parse(R"([[["x", 0, 0, {"value": ["x", 0, 0], "use_causal_mask": true}]],
                               [["y", 0, 0, {"value": ["y", 0, 0]}]]])");
  json c = k2_model({k2_input("x", {nullptr, 5, 8}), k2_input("y", {nullptr, 5, 8}),
                     k2_mha("mha", {nullptr, 5, 8}, {nullptr, 5, 8}, {nullptr, 5, 8}, nodes)},
                    {{"x", 0, 0}, {"y", 0, 0}}, {{"mha", 0, 0}, {"mha", 1, 0}});
  test::expect_value_error([&] { model_from_config(c); },
                           {"'mha'", "use_causal_mask=true", "use_causal_mask=false", "agree"});
  // Agreeing calls of a shared layer load.
  c["config"]["layers"][2]["inbound_nodes"][1][0][3]["use_causal_mask"] = true;
  auto model = model_from_config(c);
  EXPECT_TRUE(mha_of(*model)->options().use_causal_mask);
  EXPECT_EQ(model->outputs().size(), 2u);
}

// ---- reading Keras 3 --------------------------------------------------------------------------

TEST(AttentionConfig, Keras3PositionalArgsAndMaskKwargs) {
  // mha(q, v) in Keras 3: both positional; Layer.__call__ records the (absent) masks.
  json node = {{"args", {k3_tensor("query", {nullptr, 4, 8}), k3_tensor("value", {nullptr, 6, 8})}},
               {"kwargs", {{"query_mask", nullptr}, {"value_mask", nullptr}}}};
  json c = k3_model({k3_input("query", {nullptr, 4, 8}), k3_input("value", {nullptr, 6, 8}),
                     k3_mha("mha", {{"query_shape", {nullptr, 4, 8}}, {"value_shape", {nullptr, 6, 8}}},
                            {node})},
                    {{"query", 0, 0}, {"value", 0, 0}}, {{"mha", 0, 0}});
  auto model = model_from_config(c);
  test::randomize_weights(*model, 2);
  const Tensor q = test::random_tensor({2, 4, 8}, 1), v = test::random_tensor({2, 6, 8}, 2);
  const Tensor y = model->predict({q, v})[0];
  test::expect_bitwise_equal(mha_of(*model)->attend(q, v, Tensor(), Tensor(), false)[0], y);
  EXPECT_FALSE(mha_of(*model)->options().use_causal_mask);
}

TEST(AttentionConfig, Keras3KeyByNameAndCausalKwarg) {
  // mha(q, v, key=k, use_causal_mask=True)
  json node = {{"args", {k3_tensor("q", {nullptr, 5, 4}), k3_tensor("v", {nullptr, 5, 6})}},
               {"kwargs",
                {{"key", k3_tensor("k", {nullptr, 5, 3})}, {"query_mask", nullptr},
                 {"value_mask", nullptr}, {"key_mask", nullptr}, {"use_causal_mask", true}}}};
  json c = k3_model({k3_input("q", {nullptr, 5, 4}), k3_input("v", {nullptr, 5, 6}),
                     k3_input("k", {nullptr, 5, 3}),
                     k3_mha("mha", {{"query_shape", {nullptr, 5, 4}}, {"value_shape", {nullptr, 5, 6}},
                                    {"key_shape", {nullptr, 5, 3}}},
                            {node})},
                    {{"q", 0, 0}, {"v", 0, 0}, {"k", 0, 0}}, {{"mha", 0, 0}});
  auto model = model_from_config(c);
  auto mha = mha_of(*model);
  EXPECT_TRUE(mha->options().use_causal_mask);
  EXPECT_EQ(mha->weights()[2].shape(), (Shape{3, 2, 4}));
  test::randomize_weights(*model, 3);
  const Tensor q = test::random_tensor({1, 5, 4}, 1), v = test::random_tensor({1, 5, 6}, 2),
               k = test::random_tensor({1, 5, 3}, 3);
  test::expect_bitwise_equal(mha->attend(q, v, k, Tensor(), false)[0], model->predict({q, v, k})[0]);
}

TEST(AttentionConfig, Keras3AllTensorsByName) {
  // mha(query=q, value=v): Keras 3 records no args at all.
  json node = {{"args", json::array()},
               {"kwargs", {{"query", k3_tensor("q", {nullptr, 4, 8})}, {"value", k3_tensor("v", {nullptr, 6, 8})},
                           {"query_mask", nullptr}, {"value_mask", nullptr}}}};
  json c = k3_model({k3_input("q", {nullptr, 4, 8}), k3_input("v", {nullptr, 6, 8}),
                     k3_mha("mha", {{"query_shape", {nullptr, 4, 8}}, {"value_shape", {nullptr, 6, 8}}},
                            {node})},
                    {{"q", 0, 0}, {"v", 0, 0}}, {{"mha", 0, 0}});
  auto model = model_from_config(c);
  test::randomize_weights(*model, 4);
  const Tensor q = test::random_tensor({2, 4, 8}, 5), v = test::random_tensor({2, 6, 8}, 6);
  test::expect_bitwise_equal(mha_of(*model)->attend(q, v, Tensor(), Tensor(), false)[0],
                             model->predict({q, v})[0]);
}

TEST(AttentionConfig, Keras3AttentionListArg) {
  // Attention(use_scale=True)([q, v], return_attention_scores=True) in Keras 3.
  json att = {{"module", "keras.layers"},
              {"class_name", "Attention"},
              {"config", {{"name", "att"}, {"trainable", true}, {"dtype", dtype_policy()},
                          {"use_scale", true}, {"score_mode", "dot"}, {"dropout", 0.0},
                          {"seed", nullptr}}},
              {"registered_name", nullptr},
              {"build_config", {{"input_shape", {{nullptr, 3, 4}, {nullptr, 5, 4}}}}},
              {"name", "att"},
              {"inbound_nodes",
               {{{"args", {{k3_tensor("q", {nullptr, 3, 4}), k3_tensor("v", {nullptr, 5, 4})}}},
                 {"kwargs", {{"mask", {nullptr, nullptr}}, {"return_attention_scores", true}}}}}}};
  json c = k3_model({k3_input("q", {nullptr, 3, 4}), k3_input("v", {nullptr, 5, 4}), att},
                    {{"q", 0, 0}, {"v", 0, 0}}, {{"att", 0, 0}, {"att", 0, 1}});
  auto model = model_from_config(c);
  const auto out = model->predict({test::random_tensor({2, 3, 4}, 1), test::random_tensor({2, 5, 4}, 2)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(out[1].shape(), (Shape{2, 3, 5}));
}

// ---- writing and round trips ------------------------------------------------------------------

// q, v, k -> MHA(causal, scores) -> {output, scores}; plus Attention(causal) on (q, q).
std::shared_ptr<Model> attention_model() {
  SymbolicTensor q = Input({5, 4}, {.name = "q"}), v = Input({5, 6}, {.name = "v"}),
                 k = Input({5, 3}, {.name = "k"});
  auto mha = std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{
      .num_heads = 2, .key_dim = 3, .use_causal_mask = true, .return_attention_scores = true,
      .name = "mha"});
  auto outs = call_symbolic(mha, {q, v, k});
  SymbolicTensor a = Attention({.use_causal_mask = true, .name = "att"})({q, q});
  return std::make_shared<Model>(std::vector<SymbolicTensor>{q, v, k},
                                 std::vector<SymbolicTensor>{outs[0], outs[1], a}, "attn");
}

std::vector<Tensor> attention_inputs() {
  return {test::random_tensor({2, 5, 4}, 11), test::random_tensor({2, 5, 6}, 12),
          test::random_tensor({2, 5, 3}, 13)};
}

const json& entry_named(const json& c, const std::string& name) {
  for (const auto& e : c["config"]["layers"])
    if (e["name"] == name) return e;
  ADD_FAILURE() << "no layer " << name;
  static const json none;
  return none;
}

TEST(AttentionConfig, Keras2WriterSpellsCallsAsTfKeras) {
  auto model = attention_model();
  const json c = model_to_config(*model);
  const json& mha = entry_named(c, "mha");
  EXPECT_EQ(mha["inbound_nodes"],
            json::parse(R"([[["q", 0, 0, {"value": ["v", 0, 0], "key": ["k", 0, 0],
                                          "use_causal_mask": true, "return_attention_scores": true}]]])"));
  for (const char* key : {"use_causal_mask", "return_attention_scores"})
    EXPECT_FALSE(mha["config"].contains(key)) << key;
  EXPECT_EQ(mha["config"]["key_shape"], json::parse("[null, 5, 3]"));
  const json& att = entry_named(c, "att");
  // tf.keras 2 Attention: causal stays a constructor argument; the list is positional.
  EXPECT_EQ(att["config"]["causal"], true);
  EXPECT_EQ(att["inbound_nodes"], json::parse(R"([[["q", 0, 0, {}], ["q", 0, 0, {}]]])"));

  test::randomize_weights(*model, 7);
  auto copy = copy_through(*model, [](const Model& m) { return model_to_config(m); });
  EXPECT_TRUE(mha_of(*copy)->options().use_causal_mask);
  EXPECT_TRUE(mha_of(*copy)->options().return_attention_scores);
  EXPECT_EQ(model_to_config(*copy), c);
  expect_same_predictions(*model, *copy, attention_inputs());
}

TEST(AttentionConfig, Keras3WriterSpellsCallsAsKeras3) {
  auto model = attention_model();
  const json c = model_to_keras3_config(*model);
  const json& mha = entry_named(c, "mha");
  ASSERT_EQ(mha["inbound_nodes"].size(), 1u);
  const json& node = mha["inbound_nodes"][0];
  ASSERT_EQ(node["args"].size(), 3u);
  EXPECT_EQ(node["args"][1]["config"]["keras_history"], json::parse(R"(["v", 0, 0])"));
  EXPECT_EQ(node["args"][2]["config"]["shape"], json::parse("[null, 5, 3]"));
  EXPECT_EQ(node["kwargs"], json::parse(R"({"query_mask": null, "value_mask": null, "key_mask": null,
                                            "use_causal_mask": true, "return_attention_scores": true})"));
  EXPECT_EQ(mha["build_config"], json::parse(R"({"shapes_dict": {"query_shape": [null, 5, 4],
                                                 "value_shape": [null, 5, 6], "key_shape": [null, 5, 3]}})"));
  for (const char* key : {"use_causal_mask", "return_attention_scores", "query_shape", "value_shape",
                          "key_shape"})
    EXPECT_FALSE(mha["config"].contains(key)) << key;
  const json& att = entry_named(c, "att");
  EXPECT_FALSE(att["config"].contains("causal"));
  // "mask": null, never [null, null]: Keras 3 fills a None mask in from the inputs when it
  // replays the call, but would take a list of Nones as "no masks" and drop mask_zero masks.
  EXPECT_EQ(att["inbound_nodes"][0]["kwargs"],
            json::parse(R"({"mask": null, "use_causal_mask": true})"));
  EXPECT_EQ(att["inbound_nodes"][0]["args"].size(), 1u);  // the list, as one argument
  EXPECT_EQ(att["inbound_nodes"][0]["args"][0].size(), 2u);

  test::randomize_weights(*model, 8);
  auto copy = copy_through(*model, [](const Model& m) { return model_to_keras3_config(m); });
  auto att_copy = std::dynamic_pointer_cast<Attention>(copy->get_layer("att"));
  ASSERT_TRUE(att_copy);
  EXPECT_TRUE(att_copy->use_causal_mask());
  EXPECT_EQ(model_to_keras3_config(*copy), c);
  expect_same_predictions(*model, *copy, attention_inputs());
}

TEST(AttentionConfig, AttentionMaskInputRoundTripsThroughBothWriters) {
  SymbolicTensor q = Input({3, 4}, {.name = "q"}), v = Input({5, 6}, {.name = "v"}),
                 m = Input({3, 5}, {.name = "m"});
  SymbolicTensor y =
      MultiHeadAttention({.num_heads = 2, .key_dim = 3, .name = "mha"})({q, v, v, m});
  Model model({q, v, m}, y, "masked");
  test::randomize_weights(model, 9);
  std::vector<float> mv(30, 1.f);
  for (size_t i = 1; i < mv.size(); i += 4) mv[i] = 0.f;
  const std::vector<Tensor> x{test::random_tensor({2, 3, 4}, 1), test::random_tensor({2, 5, 6}, 2),
                              Tensor::from_vector(Shape{2, 3, 5}, mv)};
  const json c2 = model_to_config(model);
  EXPECT_EQ(entry_named(c2, "mha")["inbound_nodes"][0][0][3]["attention_mask"],
            json::parse(R"(["m", 0, 0])"));
  const json c3 = model_to_keras3_config(model);
  const json& node3 = entry_named(c3, "mha")["inbound_nodes"][0];
  EXPECT_EQ(node3["args"].size(), 3u);
  EXPECT_EQ(node3["kwargs"]["attention_mask"]["config"]["keras_history"], json::parse(R"(["m", 0, 0])"));
  for (const json* c : {&c2, &c3}) {
    auto copy = model_from_json(c->dump());
    copy->set_weights(model.get_weights());
    expect_same_predictions(model, *copy, x);
  }
  // Bad attention_mask shapes name the layer.
  test::expect_value_error(
      [&] {
        SymbolicTensor bad = Input({4, 5});
        MultiHeadAttention({.num_heads = 1, .key_dim = 2, .name = "m2"})({q, v, v, bad});
      },
      {"'m2'", "attention_mask", "(None, 3, 5)"});
}

TEST(AttentionConfig, SaveAndLoadKerasAndH5KeepPredictions) {
  const fs::path dir = fs::temp_directory_path() / ("strata_attention_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto model = attention_model();
  test::randomize_weights(*model, 10);
  const auto x = attention_inputs();
  for (const char* file : {"attn.keras", "attn.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir / file);
    auto loaded = load_model(dir / file);
    expect_same_predictions(*model, *loaded, x);
    test::expect_same_weights(*loaded, *model);
    EXPECT_TRUE(mha_of(*loaded)->options().use_causal_mask);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strata
