// from_config of the pooling, normalisation, image-geometry and augmentation layers: round trips
// through get_config with non-default options, the same outputs after copying weights, real
// Keras 2 / Keras 3 config spellings, and errors that name the class and the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "strata/layers/batch_normalization.hpp"
#include "strata/layers/cropping2d.hpp"
#include "strata/layers/global_pooling.hpp"
#include "strata/layers/image_augmentation.hpp"
#include "strata/layers/layer_normalization.hpp"
#include "strata/layers/normalization.hpp"
#include "strata/layers/pooling.hpp"
#include "strata/layers/rescaling.hpp"
#include "strata/layers/spatial_dropout.hpp"
#include "strata/layers/up_sampling2d.hpp"
#include "strata/layers/zero_padding2d.hpp"
#include "support/expect_error.hpp"
#include "support/fixtures.hpp"

using namespace strata;
using nlohmann::json;

namespace {

// from_config(get_config()) must describe the same layer: identical configs, same name.
template <class L>
std::shared_ptr<L> round_trip(const L& layer) {
  const json c = layer.get_config();
  std::shared_ptr<L> back = L::from_config(c);
  EXPECT_EQ(back->get_config(), c) << c.dump();
  EXPECT_EQ(back->name(), layer.name());
  return back;
}

// Deterministic, non-trivial values.
std::vector<float> ramp(size_t n, float scale, float shift) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>((i * 7) % 11) + shift;
  return v;
}

Tensor ramp_tensor(const Shape& s, float scale = 0.3f, float shift = -1.f) {
  return Tensor::from_vector(s, ramp(static_cast<size_t>(s.numel()), scale, shift));
}

// Builds `b` like `a`, copies a's weights into it, and checks both give the same output.
void expect_same_output(Layer& a, Layer& b, const Shape& in) {
  a.build(in);
  b.build(in);
  ASSERT_EQ(a.weights().size(), b.weights().size());
  for (size_t i = 0; i < a.weights().size(); ++i) b.weights()[i].copy_(a.weights()[i]);
  Shape concrete = in;
  concrete[0] = 2;
  Tensor x = ramp_tensor(concrete);
  EXPECT_EQ(a(x).to_vector(), b(x).to_vector());
}

// Adapted statistics are weights, not config; the rebuilt layer needs adapt() (or given
// statistics) before it runs, as in Keras. Copying the weights alone does not mark it ready.
void expect_same_output_after_adapt(Normalization& adapted, Normalization& back) {
  back.adapt(ramp_tensor(Shape{6, 4}, 0.7f, 2.f));
  ASSERT_EQ(adapted.weights().size(), back.weights().size());
  for (size_t i = 0; i < adapted.weights().size(); ++i)
    EXPECT_EQ(back.weights()[i].to_vector(), adapted.weights()[i].to_vector());
  Tensor x = ramp_tensor(Shape{2, 4});
  EXPECT_EQ(adapted(x).to_vector(), back(x).to_vector());
}

json fixture_layers(const std::string& dir) {
  const auto path = test::fixture_path(dir) / "modelConfig.json";
  if (!std::filesystem::exists(path)) return json();
  std::ifstream f(path);
  return json::parse(f)["config"]["layers"];
}

}  // namespace

// ---- round trips with non-default options -------------------------------------------------

TEST(LayerConfigImage, PoolingRoundTrip) {
  round_trip(MaxPooling1D({.pool_size = 3, .strides = 1, .padding = "same",
                           .data_format = "channels_first", .name = "mp1"}));
  round_trip(MaxPooling2D({.pool_size = {3, 2}, .strides = {1, 2}, .padding = "same"}));
  round_trip(AveragePooling1D({.pool_size = 4}));
  round_trip(AveragePooling2D({.pool_size = 2, .strides = 1, .data_format = "channels_first"}));
  const GlobalPoolingOptions g{.data_format = "channels_first", .keepdims = true};
  round_trip(GlobalAveragePooling1D(g));
  round_trip(GlobalAveragePooling2D(g));
  round_trip(GlobalMaxPooling1D(g));
  round_trip(GlobalMaxPooling2D({.keepdims = true}));
}

TEST(LayerConfigImage, GeometryRoundTrip) {
  auto pad = round_trip(ZeroPadding2D({.padding = {{1, 0}, {2, 3}}, .data_format = "channels_first"}));
  EXPECT_EQ(pad->compute_output_shape(Shape{-1, 3, 4, 5}), (Shape{-1, 3, 5, 10}));
  auto crop = round_trip(Cropping2D({.cropping = {1, 2}}));
  EXPECT_EQ(crop->compute_output_shape(Shape{-1, 6, 6, 3}), (Shape{-1, 4, 2, 3}));
  round_trip(UpSampling2D({.size = {2, 3}, .data_format = "channels_first",
                           .interpolation = "bilinear"}));
  round_trip(Rescaling({.scale = 1.f / 127.5f, .offset = -1.f}));
}

TEST(LayerConfigImage, SpatialDropoutRoundTripKeepsTheSeededMask) {
  SpatialDropout1D d1({.rate = 0.3f, .seed = 5});
  auto b1 = round_trip(d1);
  Tensor x = ramp_tensor(Shape{4, 5, 6});
  EXPECT_EQ(d1(x, true).to_vector(), (*b1)(x, true).to_vector());
  round_trip(SpatialDropout2D({.rate = 0.2f, .data_format = "channels_first", .seed = 7}));
  round_trip(SpatialDropout2D(0.5f));  // seed null stays null
}

TEST(LayerConfigImage, AugmentationRoundTripKeepsTheSeededDraws) {
  round_trip(RandomFlip({.mode = "vertical", .seed = 3}));
  round_trip(RandomTranslation({.height_factor = {-0.2f, 0.3f}, .width_factor = 0.1f,
                                .fill_mode = "constant", .interpolation = "nearest", .seed = 1,
                                .fill_value = 0.5f}));
  round_trip(RandomZoom({.height_factor = 0.2f, .seed = 4}));
  round_trip(RandomZoom({.height_factor = {-0.3f, 0.1f}, .width_factor = {0.f, 0.2f},
                         .fill_mode = "nearest"}));
  RandomRotation rot({.factor = 0.25f, .fill_mode = "wrap", .seed = 2});
  auto back = round_trip(rot);
  Tensor x = ramp_tensor(Shape{2, 5, 6, 3});
  EXPECT_EQ(rot(x, true).to_vector(), (*back)(x, true).to_vector());
}

// ---- layers with weights: same output after copying them -----------------------------------

TEST(LayerConfigImage, BatchNormalizationSameOutput) {
  BatchNormalization bn({.axis = 1, .momentum = 0.9f, .epsilon = 1e-5f, .center = false,
                         .gamma_initializer = "glorot_uniform",
                         .moving_variance_initializer = "he_normal"});
  auto back = round_trip(bn);
  EXPECT_EQ(back->options().axis, 1);
  EXPECT_FALSE(back->options().center);
  EXPECT_EQ(back->get_config()["gamma_initializer"]["class_name"], "GlorotUniform");
  bn.build(Shape{-1, 3, 4});
  // Non-trivial statistics, so the check covers every weight.
  for (Tensor w : bn.weights()) w.copy_(Tensor::from_vector(w.shape(), ramp(3, 0.2f, 0.5f)));
  expect_same_output(bn, *back, Shape{-1, 3, 4});
}

TEST(LayerConfigImage, LayerNormalizationSameOutput) {
  LayerNormalization ln({.axis = {1, 2}, .epsilon = 1e-6f, .scale = true,
                         .beta_initializer = "random_normal"});
  auto back = round_trip(ln);
  EXPECT_EQ(back->options().axis, (std::vector<int>{1, 2}));
  expect_same_output(ln, *back, Shape{-1, 3, 4});
}

TEST(LayerConfigImage, NormalizationSameOutput) {
  Normalization given({.axis = {1, 2}, .mean = {{0.5f}}, .variance = {{4.f}}, .invert = true});
  auto back_given = round_trip(given);
  expect_same_output(given, *back_given, Shape{-1, 2, 3});

  // Adapted statistics live in the weights, not the config.
  Normalization adapted;
  adapted.adapt(ramp_tensor(Shape{6, 4}, 0.7f, 2.f));
  auto back = round_trip(adapted);
  expect_same_output_after_adapt(adapted, *back);

  // axis=None (null) keeps no axis: one statistic for everything.
  auto none = Normalization::from_config({{"axis", nullptr}, {"mean", 1.0}, {"variance", 4.0}});
  EXPECT_TRUE(none->get_config()["axis"].empty());
  EXPECT_EQ((*none)(Tensor::from_vector({1, 2}, std::vector<float>{3, 5})).to_vector(),
            (std::vector<float>{1, 2}));
}

// ---- real Keras configs --------------------------------------------------------------------

TEST(LayerConfigImage, KotlinDLBatchNormalizationKeras2) {
  const json layers = fixture_layers("keras/kotlindl/batchnorm");
  if (layers.is_null()) GTEST_SKIP() << "kotlindl batchnorm fixture not found";
  int seen = 0;
  for (const auto& l : layers) {
    if (l["class_name"] != "BatchNormalization") continue;
    ++seen;
    auto bn = BatchNormalization::from_config(l["config"]);
    EXPECT_EQ(bn->name(), l["config"]["name"]);
    // Keras 2 writes the resolved axis as a one-element list counting the batch.
    EXPECT_EQ(bn->options().axis, l["config"]["axis"][0].get<int>());
    EXPECT_FLOAT_EQ(bn->options().momentum, 0.99f);
    EXPECT_FLOAT_EQ(bn->options().epsilon, 1e-3f);
  }
  EXPECT_GT(seen, 0);
  // axis [3] on a (batch, rows, cols, channels) input normalises the channels.
  auto bn = BatchNormalization::from_config(json{{"axis", json::array({3})}});
  bn->build(Shape{-1, 5, 5, 8});
  EXPECT_EQ(bn->gamma().shape(), (Shape{8}));
}

TEST(LayerConfigImage, KotlinDLMaxPooling2DKeras2) {
  const json layers = fixture_layers("keras/kotlindl/mnist_lenet");
  if (layers.is_null()) GTEST_SKIP() << "kotlindl mnist_lenet fixture not found";
  int seen = 0;
  for (const auto& l : layers) {
    if (l["class_name"] != "MaxPooling2D") continue;
    ++seen;
    auto mp = MaxPooling2D::from_config(l["config"]);
    EXPECT_EQ(mp->name(), l["config"]["name"]);
    const json c = mp->get_config();
    for (const char* k : {"pool_size", "strides", "padding", "data_format"})
      EXPECT_EQ(c[k], l["config"][k]) << k;
    EXPECT_EQ(mp->compute_output_shape(Shape{-1, 28, 28, 6}), (Shape{-1, 14, 14, 6}));
  }
  EXPECT_GT(seen, 0);
}

TEST(LayerConfigImage, InlineKerasSpellings) {
  // Keras 2 1D pooling: one-element lists, strides null -> pool_size.
  auto mp1 = MaxPooling1D::from_config(json::parse(
      R"({"name": "max_pooling1d", "trainable": true, "dtype": "float32", "strides": null,
          "pool_size": [3], "padding": "valid", "data_format": "channels_last"})"));
  EXPECT_EQ(mp1->get_config()["strides"], json::array({3}));
  EXPECT_EQ(mp1->compute_output_shape(Shape{-1, 9, 2}), (Shape{-1, 3, 2}));
  // Keras 3: ints, a DTypePolicy object, data_format null.
  auto ap2 = AveragePooling2D::from_config(json::parse(
      R"({"name": "ap", "trainable": true, "pool_size": 2, "strides": null, "padding": "same",
          "data_format": null,
          "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}})"));
  EXPECT_EQ(ap2->get_config()["data_format"], "channels_last");
  EXPECT_EQ(ap2->compute_output_shape(Shape{-1, 5, 5, 1}), (Shape{-1, 3, 3, 1}));
  // Defaults from an empty config.
  EXPECT_EQ(MaxPooling2D::from_config(json::object())->get_config()["pool_size"],
            json::array({2, 2}));
  EXPECT_FALSE(GlobalAveragePooling2D::from_config({{"data_format", "channels_last"}})
                   ->get_config()["keepdims"]);

  // ZeroPadding2D / Cropping2D in each form.
  EXPECT_EQ(ZeroPadding2D::from_config({{"padding", 2}})->get_config()["padding"],
            json::parse("[[2, 2], [2, 2]]"));
  EXPECT_EQ(ZeroPadding2D::from_config({{"padding", {1, 3}}})->get_config()["padding"],
            json::parse("[[1, 1], [3, 3]]"));
  EXPECT_EQ(Cropping2D::from_config({{"cropping", json::parse("[[1, 0], [2, 1]]")}})
                ->get_config()["cropping"],
            json::parse("[[1, 0], [2, 1]]"));
  EXPECT_EQ(ZeroPadding2D::from_config(json::object())->get_config()["padding"],
            json::parse("[[1, 1], [1, 1]]"));

  // UpSampling2D: size int or list, interpolation absent (old Keras 2) -> nearest.
  auto up = UpSampling2D::from_config({{"size", 3}});
  EXPECT_EQ(up->get_config()["size"], json::array({3, 3}));
  EXPECT_EQ(up->get_config()["interpolation"], "nearest");

  // LayerNormalization: int axis, and Keras 3's extra keys.
  auto ln = LayerNormalization::from_config(json::parse(
      R"({"name": "ln", "axis": -1, "epsilon": 1e-6, "center": true, "scale": true,
          "rms_scaling": false, "beta_initializer": "zeros",
          "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {},
                                "registered_name": null},
          "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null,
          "gamma_constraint": null})"));
  EXPECT_EQ(ln->options().axis, (std::vector<int>{-1}));
  EXPECT_FLOAT_EQ(ln->options().epsilon, 1e-6f);

  // BatchNormalization: Keras 3 int axis and synchronized.
  auto bn = BatchNormalization::from_config(
      {{"axis", -1}, {"momentum", 0.9}, {"synchronized", false}, {"name", "bn"}});
  EXPECT_EQ(bn->options().axis, -1);
  EXPECT_FLOAT_EQ(bn->options().momentum, 0.9f);

  // Normalization: Keras 3 writes numpy tolist() arrays, possibly nested.
  auto norm = Normalization::from_config(json::parse(
      R"({"name": "n", "axis": [-1], "invert": false, "mean": [[1.0, 2.0]],
          "variance": [[4.0, 16.0]]})"));
  EXPECT_EQ((*norm)(Tensor::from_vector({1, 2}, std::vector<float>{3, 6})).to_vector(),
            (std::vector<float>{1, 1}));

  // Augmentation: Keras 3 configs with data_format, factors as numbers or lists.
  auto rot = RandomRotation::from_config(json::parse(
      R"({"name": "rr", "trainable": true, "factor": 0.1, "fill_mode": "reflect",
          "interpolation": "bilinear", "seed": null, "fill_value": 0.0,
          "data_format": "channels_last"})"));
  EXPECT_EQ(rot->get_config()["factor"], json::parse("[-0.1, 0.1]"));
  auto zoom = RandomZoom::from_config({{"height_factor", {-0.2, 0.1}}, {"seed", 9}});
  EXPECT_EQ(zoom->get_config()["height_factor"], json::parse("[-0.2, 0.1]"));
  EXPECT_TRUE(zoom->get_config()["width_factor"].is_null());
  EXPECT_EQ(zoom->get_config()["seed"], 9);
  EXPECT_EQ(RandomFlip::from_config(json::object())->get_config()["mode"],
            "horizontal_and_vertical");
  auto sd = SpatialDropout2D::from_config(
      {{"rate", 0.1}, {"noise_shape", nullptr}, {"seed", nullptr}, {"data_format", nullptr}});
  EXPECT_EQ(sd->get_config()["data_format"], "channels_last");
}

// ---- errors name the class and the key -----------------------------------------------------

TEST(LayerConfigImage, Errors) {
  using test::expect_value_error;
  expect_value_error([] { MaxPooling2D::from_config({{"pool_size", "2"}}); },
                     {"MaxPooling2D", "pool_size"});
  expect_value_error([] { MaxPooling1D::from_config({{"strides", {1, 2}}}); },
                     {"MaxPooling1D", "strides"});
  expect_value_error([] { AveragePooling2D::from_config({{"padding", 1}}); },
                     {"AveragePooling2D", "padding"});
  // Invalid values reach the constructor's own checks.
  expect_value_error([] { AveragePooling1D::from_config({{"padding", "full"}}); },
                     {"AveragePooling1D", "padding"});
  expect_value_error([] { GlobalMaxPooling2D::from_config({{"keepdims", "yes"}}); },
                     {"GlobalMaxPooling2D", "keepdims"});

  expect_value_error([] { BatchNormalization::from_config({{"gamma_regularizer",
                                                             {{"class_name", "L2"}}}}); },
                     {"BatchNormalization", "gamma_regularizer"});
  expect_value_error([] { BatchNormalization::from_config({{"beta_constraint", "non_neg"}}); },
                     {"BatchNormalization", "beta_constraint"});
  expect_value_error([] { BatchNormalization::from_config({{"axis", {1, 2}}}); },
                     {"BatchNormalization", "axis"});
  expect_value_error([] { BatchNormalization::from_config({{"epsilon", "small"}}); },
                     {"BatchNormalization", "epsilon"});
  expect_value_error([] { BatchNormalization::from_config({{"momentum", 2.0}}); },
                     {"BatchNormalization", "momentum"});
  expect_value_error([] { BatchNormalization::from_config({{"renorm", true}}); },
                     {"BatchNormalization", "renorm"});
  expect_value_error([] { BatchNormalization::from_config(json::array()); },
                     {"BatchNormalization"});

  expect_value_error([] { LayerNormalization::from_config({{"axis", "last"}}); },
                     {"LayerNormalization", "axis"});
  expect_value_error([] { LayerNormalization::from_config({{"gamma_regularizer", "l2"}}); },
                     {"LayerNormalization", "gamma_regularizer"});
  expect_value_error([] { LayerNormalization::from_config({{"rms_scaling", true}}); },
                     {"LayerNormalization", "rms_scaling"});

  expect_value_error([] { ZeroPadding2D::from_config({{"padding", {1, 2, 3}}}); },
                     {"ZeroPadding2D", "padding"});
  expect_value_error([] { Cropping2D::from_config({{"cropping", {{"top", 1}}}}); },
                     {"Cropping2D", "cropping"});
  expect_value_error([] { Cropping2D::from_config({{"data_format", "nchw"}}); },
                     {"Cropping2D", "data_format"});
  expect_value_error([] { UpSampling2D::from_config({{"size", {1, 2, 3}}}); },
                     {"UpSampling2D", "size"});
  expect_value_error([] { UpSampling2D::from_config({{"interpolation", "bicubic"}}); },
                     {"UpSampling2D", "interpolation"});

  expect_value_error([] { SpatialDropout1D::from_config({{"rate", "half"}}); },
                     {"SpatialDropout1D", "rate"});
  expect_value_error([] { SpatialDropout2D::from_config({{"rate", 0.1}, {"seed", -1}}); },
                     {"SpatialDropout2D", "seed"});
  expect_value_error([] { Rescaling::from_config({{"offset", 1.0}}); }, {"Rescaling", "scale"});
  expect_value_error([] { Normalization::from_config({{"mean", "a"}, {"variance", 1.0}}); },
                     {"Normalization", "mean"});
  expect_value_error([] { Normalization::from_config({{"mean", 1.0}}); },
                     {"Normalization", "variance"});

  expect_value_error([] { RandomRotation::from_config({{"factor", "big"}}); },
                     {"RandomRotation", "factor"});
  expect_value_error([] { RandomRotation::from_config(json::object()); },
                     {"RandomRotation", "factor"});
  expect_value_error([] { RandomTranslation::from_config({{"height_factor", {0.1, 0.2, 0.3}},
                                                          {"width_factor", 0.1}}); },
                     {"RandomTranslation", "height_factor"});
  expect_value_error([] { RandomZoom::from_config({{"height_factor", 0.1}, {"seed", 1.5}}); },
                     {"RandomZoom", "seed"});
  expect_value_error([] { RandomFlip::from_config({{"data_format", "channels_first"}}); },
                     {"RandomFlip", "data_format"});
  expect_value_error([] { RandomFlip::from_config({{"mode", "diagonal"}}); },
                     {"RandomFlip", "mode"});
}
