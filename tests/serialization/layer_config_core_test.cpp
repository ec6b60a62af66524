// from_config for the core, activation and convolution layers: round trips through get_config
// (same config, and the same outputs once the weights are copied), configs as real Keras 2
// versions wrote them, and errors that name the class and the key.
#include <cmath>
#include <memory>

#include <gtest/gtest.h>

#include "strata/layers/activation.hpp"
#include "strata/layers/activation_layers.hpp"
#include "strata/layers/conv.hpp"
#include "strata/layers/conv_transpose.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/depthwise_conv.hpp"
#include "strata/layers/dropout.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/reshape.hpp"
#include "support/expect_error.hpp"

using namespace strata;
using nlohmann::json;

namespace {

// Deterministic inputs with both signs, so activations and slopes are exercised.
Tensor input(const Shape& shape) {
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.7f * static_cast<float>(i) + 0.3f);
  return Tensor::from_vector(shape, v);
}

// from_config(get_config()) gives the same config; for layers with weights, the same output
// once the original's weights are copied in.
template <class L>
std::shared_ptr<L> round_trip(L& layer, const Shape& sample_shape) {
  const Shape x_shape = sample_shape.with_front(2);
  layer.build(sample_shape.with_front(-1));
  auto copy = L::from_config(layer.get_config());
  EXPECT_EQ(copy->get_config(), layer.get_config());
  copy->build(sample_shape.with_front(-1));
  const auto src = layer.weights();
  auto dst = copy->weights();
  EXPECT_EQ(dst.size(), src.size());
  for (size_t i = 0; i < src.size() && i < dst.size(); ++i) dst[i].copy_(src[i]);
  const Tensor x = input(x_shape);
  const auto want = layer(x).template to_vector<float>();
  const auto got = (*copy)(x).template to_vector<float>();
  EXPECT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]);
  return copy;
}

}  // namespace

TEST(LayerConfigCore, DenseRoundTrip) {
  Dense d({.units = 5, .activation = "tanh", .use_bias = true, .kernel_initializer = "he_uniform",
           .bias_initializer = "ones", .name = "fc"});
  auto c = round_trip(d, Shape{3});
  EXPECT_EQ(c->name(), "fc");
  Dense nb({.units = 2, .use_bias = false});
  auto c2 = round_trip(nb, Shape{4});
  EXPECT_EQ(c2->weights().size(), 1u);
}

TEST(LayerConfigCore, WeightlessLayersRoundTrip) {
  Activation a(ActivationOptions{.activation = "sigmoid", .name = "act"});
  round_trip(a, Shape{3});
  Activation lin(std::string("linear"));
  round_trip(lin, Shape{3});
  Flatten f({.name = "flat"});
  round_trip(f, Shape{2, 3});
  Reshape r({.target_shape = Shape{3, -1}, .name = "rs"});
  round_trip(r, Shape{6});
  Dropout dr({.rate = 0.25f, .seed = 11, .name = "drop"});
  round_trip(dr, Shape{4});
  Dropout unseeded(0.5f);
  EXPECT_EQ(Dropout::from_config(unseeded.get_config())->get_config()["seed"], nullptr);
  ReLU relu({.max_value = 6.f, .negative_slope = 0.1f, .threshold = 0.2f, .name = "r6"});
  round_trip(relu, Shape{5});
  LeakyReLU lr({.negative_slope = 0.2f, .name = "leaky"});
  round_trip(lr, Shape{5});
  Softmax sm({.axis = 1, .name = "sm"});
  round_trip(sm, Shape{3, 2});
  ELU elu({.alpha = 0.5f, .name = "elu"});
  round_trip(elu, Shape{5});
}

TEST(LayerConfigCore, InputLayerRoundTrip) {
  InputLayer in(Shape{28, 28, 1}, {.name = "pixels"});
  const json c = in.get_config();
  EXPECT_EQ(c["batch_input_shape"], json::parse("[null, 28, 28, 1]"));
  auto copy = InputLayer::from_config(c);
  EXPECT_EQ(copy->get_config(), c);
  EXPECT_EQ(copy->batch_shape(), (Shape{-1, 28, 28, 1}));
  EXPECT_EQ(copy->name(), "pixels");
}

TEST(LayerConfigCore, ConvLayersRoundTrip) {
  Conv2D c2({.filters = 4, .kernel_size = {3, 2}, .strides = {2, 1}, .padding = "same",
             .activation = "relu", .kernel_initializer = "he_normal", .bias_initializer = "ones",
             .name = "c2"});
  round_trip(c2, Shape{7, 6, 2});
  Conv2D dil({.filters = 4, .kernel_size = 3, .dilation_rate = 2, .groups = 2, .use_bias = false});
  round_trip(dil, Shape{8, 8, 4});
  Conv2D cf({.filters = 3, .kernel_size = 2, .data_format = "channels_first"});
  round_trip(cf, Shape{2, 5, 5});
  Conv1D c1({.filters = 3, .kernel_size = 3, .padding = "causal", .dilation_rate = 2,
             .activation = "elu", .name = "c1"});
  round_trip(c1, Shape{9, 2});
  Conv2DTranspose ct({.filters = 3, .kernel_size = 3, .strides = 2, .padding = "same",
                      .output_padding = IntPair(1, 0), .activation = "sigmoid", .name = "ct"});
  round_trip(ct, Shape{4, 4, 2});
  Conv2DTranspose ct_default({.filters = 2, .kernel_size = {2, 3}});
  auto copy = round_trip(ct_default, Shape{3, 3, 1});
  EXPECT_EQ(copy->get_config()["output_padding"], nullptr);
  DepthwiseConv2D dw({.kernel_size = 3, .strides = 2, .padding = "same", .depth_multiplier = 2,
                      .activation = "relu", .bias_initializer = "ones", .name = "dw"});
  round_trip(dw, Shape{6, 6, 3});
  SeparableConv2D sep({.filters = 5, .kernel_size = {3, 1}, .dilation_rate = {2, 1},
                       .depth_multiplier = 2, .activation = "tanh",
                       .pointwise_initializer = "he_uniform", .name = "sep"});
  round_trip(sep, Shape{7, 5, 2});
}

TEST(LayerConfigCore, WritesKeras2Spellings) {
  LeakyReLU lr({.negative_slope = 0.1f});
  EXPECT_EQ(lr.get_config()["alpha"], 0.1);
  EXPECT_FALSE(lr.get_config().contains("negative_slope"));
  const json d = Dense(3).get_config();
  EXPECT_EQ(d["activation"], "linear");
  EXPECT_EQ(d["kernel_initializer"]["class_name"], "GlorotUniform");
  EXPECT_TRUE(d.contains("activity_regularizer"));
  const json ct = Conv2DTranspose({.filters = 2, .kernel_size = 3}).get_config();
  EXPECT_EQ(ct["kernel_size"], json::parse("[3, 3]"));
  EXPECT_TRUE(ct.contains("kernel_regularizer"));
}

// Keras 2.3.1's Dense (reference/keras.md §2.3), with the VarianceScaling object that
// glorot_uniform serializes to.
TEST(LayerConfigCore, ParsesKeras2Dense) {
  const json c = json::parse(R"({"name":"dense","trainable":true,"batch_input_shape":[null,16],
    "dtype":"float32","units":32,"activation":"linear","use_bias":true,
    "kernel_initializer":{"class_name":"VarianceScaling","config":{"scale":1.0,"mode":"fan_avg",
      "distribution":"uniform","seed":null}},
    "bias_initializer":{"class_name":"Zeros","config":{}},"kernel_regularizer":null,
    "bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,
    "bias_constraint":null})");
  auto d = Dense::from_config(c);
  EXPECT_EQ(d->name(), "dense");
  EXPECT_EQ(d->options().units, 32);
  EXPECT_EQ(d->options().activation, "");
  d->build(Shape{-1, 16});
  // fan_avg uniform with scale 1 is glorot_uniform: limit sqrt(6 / (16 + 32)).
  const float limit = std::sqrt(6.f / 48.f);
  for (float w : d->kernel().to_vector<float>()) EXPECT_LE(std::fabs(w), limit);
  EXPECT_EQ(d->bias().to_vector<float>(), std::vector<float>(32, 0.f));

  // Keras 3 spells the activation as an object and the dtype as a DTypePolicy.
  auto k3 = Dense::from_config(json::parse(R"({"name":"d3","units":2,
    "activation":{"module":"keras.activations","class_name":"function","config":"relu",
      "registered_name":"relu"},
    "dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"}}})"));
  EXPECT_EQ(k3->options().activation, "relu");

  // Keras 1: output_dim and init.
  auto k1 = Dense::from_config(json::parse(
      R"({"name":"dense_1","output_dim":7,"init":"he_normal","activation":"softmax","bias":false,
          "W_regularizer":null,"b_regularizer":null})"));
  EXPECT_EQ(k1->options().units, 7);
  EXPECT_FALSE(k1->options().use_bias);
}

// Conv2D from kotlindl's mnist_lenet (tf.keras 2.2.4-tf) and Conv1D from hls4ml's
// conv1d_1layer (Keras 2.11).
TEST(LayerConfigCore, ParsesKeras2Conv) {
  auto c2 = Conv2D::from_config(json::parse(R"({"name":"conv2d","trainable":true,
    "batch_input_shape":[null,28,28,1],"dtype":"float32","filters":32,"kernel_size":[3,3],
    "strides":[1,1],"padding":"same","data_format":"channels_last","dilation_rate":[1,1],
    "activation":"relu","use_bias":true,
    "kernel_initializer":{"class_name":"GlorotUniform","config":{"seed":null}},
    "bias_initializer":{"class_name":"Zeros","config":{}},"kernel_regularizer":null,
    "bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,
    "bias_constraint":null})"));
  c2->build(Shape{-1, 28, 28, 1});
  EXPECT_EQ(c2->output_shape(), (Shape{-1, 28, 28, 32}));
  EXPECT_EQ(c2->get_config()["activation"], "relu");

  auto c1 = Conv1D::from_config(json::parse(R"({"name":"conv1d","trainable":true,
    "dtype":"float32","filters":1,"kernel_size":[3],"strides":[1],"padding":"valid",
    "data_format":"channels_last","dilation_rate":[1],"groups":1,"activation":"linear",
    "use_bias":true,"kernel_initializer":{"class_name":"Ones","config":{}},
    "bias_initializer":{"class_name":"Zeros","config":{}},"kernel_regularizer":null,
    "bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,
    "bias_constraint":null})"));
  c1->build(Shape{-1, 5, 5});
  EXPECT_EQ(c1->output_shape(), (Shape{-1, 3, 1}));
  EXPECT_EQ(c1->kernel().to_vector<float>(), std::vector<float>(15, 1.f));

  // Ints instead of lists, data_format null, and Keras 1 names.
  auto ints = Conv2D::from_config(json::parse(
      R"({"filters":2,"kernel_size":3,"strides":2,"data_format":null,"dilation_rate":1})"));
  EXPECT_EQ(ints->get_config()["strides"], json::parse("[2, 2]"));
  EXPECT_EQ(ints->get_config()["data_format"], "channels_last");
  auto k1 = Conv2D::from_config(json::parse(
      R"({"name":"conv_1","nb_filter":4,"nb_row":3,"nb_col":2,"subsample":[2,2],
          "border_mode":"same","init":"he_normal","activation":"relu","dim_ordering":"tf"})"));
  EXPECT_EQ(k1->get_config()["filters"], 4);
  EXPECT_EQ(k1->get_config()["kernel_size"], json::parse("[3, 2]"));
  EXPECT_EQ(k1->get_config()["strides"], json::parse("[2, 2]"));
  EXPECT_EQ(k1->get_config()["padding"], "same");

  // Conv2DTranspose with output_padding as a list; SeparableConv2D from its Keras 2 keys.
  auto ct = Conv2DTranspose::from_config(json::parse(
      R"({"filters":2,"kernel_size":[3,3],"strides":[2,2],"padding":"valid",
          "output_padding":[1,1],"data_format":"channels_last","dilation_rate":[1,1]})"));
  EXPECT_EQ(ct->get_config()["output_padding"], json::parse("[1, 1]"));
  auto sep = SeparableConv2D::from_config(json::parse(
      R"({"filters":3,"kernel_size":[3,3],"depth_multiplier":1,
          "depthwise_initializer":{"class_name":"GlorotUniform","config":{"seed":null}},
          "pointwise_initializer":"glorot_uniform","depthwise_regularizer":null,
          "pointwise_regularizer":null,"pointwise_constraint":null})"));
  EXPECT_EQ(sep->get_config()["filters"], 3);
}

// LeakyReLU from hls4ml's leaky_relu fixture (Keras 2.13.1) and Keras 3's spelling.
TEST(LayerConfigCore, ParsesLeakyReLUVariants) {
  auto k2 = LeakyReLU::from_config(json::parse(
      R"({"name":"leaky_re_lu","trainable":true,"dtype":"float32","alpha":0.30000001192092896})"));
  EXPECT_EQ(k2->name(), "leaky_re_lu");
  EXPECT_EQ(k2->get_config()["alpha"], 0.3);
  auto k3 = LeakyReLU::from_config(json::parse(R"({"name":"lr","negative_slope":0.05})"));
  EXPECT_EQ(k3->get_config()["alpha"], 0.05);
  EXPECT_EQ(LeakyReLU::from_config(json::object())->get_config()["alpha"], 0.3);
  auto relu = ReLU::from_config(json::parse(R"({"max_value":null})"));
  EXPECT_EQ(relu->get_config()["max_value"], nullptr);
}

TEST(LayerConfigCore, ParsesInputLayerVariants) {
  // tf.keras 2.13 (hls4ml conv1d_1layer).
  auto k2 = InputLayer::from_config(json::parse(
      R"({"batch_input_shape":[null,5,5],"dtype":"float32","sparse":false,"ragged":false,
          "name":"input_1"})"));
  EXPECT_EQ(k2->batch_shape(), (Shape{-1, 5, 5}));
  EXPECT_EQ(k2->name(), "input_1");
  // Keras 3.14, with the dtype as a DTypePolicy.
  auto k3 = InputLayer::from_config(json::parse(
      R"({"batch_shape":[null,16],"dtype":{"module":"keras","class_name":"DTypePolicy",
          "config":{"name":"float32"},"registered_name":null},"sparse":false,"ragged":false,
          "name":"fc1_input","optional":false})"));
  EXPECT_EQ(k3->batch_shape(), (Shape{-1, 16}));
  // A stateful Keras 2.0 model's fixed batch size, and the batch-less spellings.
  EXPECT_EQ(InputLayer::from_config(json::parse(R"({"batch_input_shape":[25,1,1]})"))->batch_shape(),
            (Shape{-1, 1, 1}));
  EXPECT_EQ(InputLayer::from_config(json::parse(R"({"input_shape":[4,2]})"))->batch_shape(),
            (Shape{-1, 4, 2}));
  EXPECT_EQ(InputLayer::from_config(json::parse(R"({"shape":[3]})"))->batch_shape(),
            (Shape{-1, 3}));

  test::expect_value_error(
      [] { InputLayer::from_config(json::parse(R"({"batch_shape":[null,3],"dtype":"float16"})")); },
      {"InputLayer config", "dtype", "float16"});
  test::expect_value_error(
      [] {
        InputLayer::from_config(json::parse(
            R"({"batch_input_shape":[null,3],"dtype":{"class_name":"Policy",
                "config":{"name":"mixed_float16"}}})"));
      },
      {"InputLayer config", "dtype", "mixed_float16"});
  test::expect_value_error([] { InputLayer::from_config(json::parse(R"({"name":"x"})")); },
                           {"InputLayer config", "batch_input_shape"});
  test::expect_value_error(
      [] { InputLayer::from_config(json::parse(R"({"batch_input_shape":[null,"x",3]})")); },
      {"InputLayer config", "batch_input_shape", "integer dimensions (or null)"});
  // null after the batch is a size that varies (Keras' None) and round-trips as null.
  auto varying = InputLayer::from_config(json::parse(R"({"batch_input_shape":[null,null,3]})"));
  EXPECT_EQ(varying->batch_shape(), (Shape{-1, -1, 3}));
  EXPECT_EQ(varying->get_config()["batch_input_shape"], json::parse("[null,null,3]"));
}

TEST(LayerConfigCore, ErrorsNameClassAndKey) {
  test::expect_value_error([] { Dense::from_config(json::parse(R"({"name":"d"})")); },
                           {"Dense config", "missing 'units'"});
  test::expect_value_error([] { Dense::from_config(json::parse(R"({"units":"ten"})")); },
                           {"Dense config", "'units'", "\"ten\""});
  test::expect_value_error(
      [] {
        Dense::from_config(json::parse(
            R"({"units":3,"kernel_regularizer":{"class_name":"L2","config":{"l2":0.01}}})"));
      },
      {"Dense config", "'kernel_regularizer'", "not supported"});
  test::expect_value_error(
      [] { Dense::from_config(json::parse(R"({"units":3,"activation":"swoosh"})")); },
      {"Dense", "unknown activation", "swoosh"});
  test::expect_value_error(
      [] { Conv2D::from_config(json::parse(R"({"filters":2,"kernel_size":[3,3,3]})")); },
      {"Conv2D config", "'kernel_size'"});
  test::expect_value_error(
      [] {
        DepthwiseConv2D::from_config(json::parse(
            R"({"kernel_size":3,"depthwise_constraint":{"class_name":"NonNeg","config":{}}})"));
      },
      {"DepthwiseConv2D config", "'depthwise_constraint'"});
  test::expect_value_error(
      [] {
        SeparableConv2D::from_config(json::parse(
            R"({"filters":2,"kernel_size":3,"pointwise_regularizer":{"class_name":"L1"}})"));
      },
      {"SeparableConv2D config", "'pointwise_regularizer'"});
  test::expect_value_error(
      [] { Dropout::from_config(json::parse(R"({"rate":0.5,"noise_shape":[null,1]})")); },
      {"Dropout config", "'noise_shape'"});
  test::expect_value_error(
      [] { Flatten::from_config(json::parse(R"({"data_format":"channels_first"})")); },
      {"Flatten config", "'data_format'"});
  test::expect_value_error([] { Activation::from_config(json::object()); },
                           {"Activation config", "missing 'activation'"});
  // Invalid values reach the constructors, whose errors name the layer.
  test::expect_value_error([] { Dropout::from_config(json::parse(R"({"rate":1.5,"name":"dd"})")); },
                           {"Dropout 'dd'", "rate"});
  test::expect_value_error(
      [] { Conv2D::from_config(json::parse(R"({"filters":2,"kernel_size":3,"padding":"full"})")); },
      {"Conv2D", "full"});
  test::expect_value_error([] { Reshape::from_config(json::parse(R"({"target_shape":"3x4"})")); },
                           {"Reshape config", "'target_shape'"});
}
