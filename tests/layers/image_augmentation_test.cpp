// RandomFlip, RandomTranslation, RandomRotation, RandomZoom: identity at inference, exact
// results for degenerate ranges (a fixed shift, a quarter turn, a fixed zoom), per-sample
// randomness, seeded replay, configs and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "strata/layers/image_augmentation.hpp"
#include "support/expect_error.hpp"

using namespace strata;

namespace {

// Distinct values everywhere, so any misplaced pixel shows.
Tensor ramp(int64_t n, int64_t h, int64_t w, int64_t c) {
  std::vector<float> v(static_cast<size_t>(n * h * w * c));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.25f - 3.f;
  return Tensor::from_vector({n, h, w, c}, v);
}

// Pixel (r, c, k) of sample s of an (N, H, W, C) host copy.
struct Images {
  std::vector<float> v;
  int64_t h, w, c;
  Images(const Tensor& t) : v(t.to_vector()), h(t.dim(1)), w(t.dim(2)), c(t.dim(3)) {}
  float at(int64_t s, int64_t r, int64_t col, int64_t k) const {
    return v[static_cast<size_t>(((s * h + r) * w + col) * c + k)];
  }
};

enum class Flip { none, horizontal, vertical, both };

bool sample_is(const Images& in, const Images& out, int64_t s, Flip f) {
  for (int64_t r = 0; r < in.h; ++r)
    for (int64_t c = 0; c < in.w; ++c)
      for (int64_t k = 0; k < in.c; ++k) {
        const int64_t sr = (f == Flip::vertical || f == Flip::both) ? in.h - 1 - r : r;
        const int64_t sc = (f == Flip::horizontal || f == Flip::both) ? in.w - 1 - c : c;
        if (out.at(s, r, c, k) != in.at(s, sr, sc, k)) return false;
      }
  return true;
}

}  // namespace

TEST(ImageAugmentation, IdentityAtInference) {
  Tensor x = ramp(2, 5, 6, 3);
  RandomFlip flip;
  RandomTranslation shift({.height_factor = 0.3f, .width_factor = 0.3f});
  RandomRotation rot({.factor = 0.2f});
  RandomZoom zoom({.height_factor = 0.4f});
  for (Layer* l : std::vector<Layer*>{&flip, &shift, &rot, &zoom}) {
    Tensor y = (*l)(x, /*training=*/false);
    EXPECT_TRUE(y.same(x)) << l->label();
    EXPECT_EQ(l->compute_output_shape(Shape{-1, 5, 6, 3}), (Shape{-1, 5, 6, 3}));
  }
}

TEST(ImageAugmentation, FlipsAreExactAndPerSample) {
  Tensor x = ramp(16, 3, 4, 2);
  const Images in(x);
  struct Case {
    const char* mode;
    Flip flipped;
  };
  // Keras 3 uses one coin per image for both axes: horizontal_and_vertical is all or nothing.
  for (const Case& k : {Case{"horizontal", Flip::horizontal}, Case{"vertical", Flip::vertical},
                        Case{"horizontal_and_vertical", Flip::both}}) {
    RandomFlip f({.mode = k.mode, .seed = 11});
    const Images out(f(x, true));
    int flips = 0, keeps = 0;
    for (int64_t s = 0; s < 16; ++s) {
      const bool kept = sample_is(in, out, s, Flip::none);
      const bool flipped = sample_is(in, out, s, k.flipped);
      EXPECT_TRUE(kept || flipped) << k.mode << " sample " << s;
      flips += flipped, keeps += kept;
    }
    EXPECT_GT(flips, 0) << k.mode;
    EXPECT_GT(keeps, 0) << k.mode;
  }
}

TEST(ImageAugmentation, TranslationByAFixedFactor) {
  // Range (0.5, 0.5) of height 4: 2 rows down; (-0.25, -0.25) of width 8: 2 columns left.
  Tensor x = ramp(2, 4, 8, 1);
  RandomTranslation t({.height_factor = {0.5f, 0.5f}, .width_factor = {-0.25f, -0.25f},
                       .fill_mode = "constant", .fill_value = -100.f});
  Tensor y = t(x, true);
  EXPECT_EQ(y.shape(), x.shape());
  const Images in(x), out(y);
  for (int64_t s = 0; s < 2; ++s)
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t c = 0; c < 8; ++c) {
        const bool inside = r - 2 >= 0 && c + 2 < 8;
        EXPECT_EQ(out.at(s, r, c, 0), inside ? in.at(s, r - 2, c + 2, 0) : -100.f)
            << s << "," << r << "," << c;
      }
}

TEST(ImageAugmentation, TranslationWithReflectKeepsAConstantImage) {
  Tensor x = Tensor::full({3, 9, 7, 2}, 0.75);
  RandomTranslation t({.height_factor = 0.4f, .width_factor = {-0.3f, 0.2f}, .seed = 5});
  for (int call = 0; call < 3; ++call)
    for (float v : t(x, true).to_vector()) ASSERT_NEAR(v, 0.75f, 1e-6f);
}

TEST(ImageAugmentation, QuarterTurnRotation) {
  // factor (0.25, 0.25) is exactly 90° counter-clockwise: numpy.rot90 of each square image,
  // out[r][c] = in[c][n-1-r].
  const int64_t n = 6;
  Tensor x = ramp(2, n, n, 3);
  const Images in(x);
  for (const char* interp : {"bilinear", "nearest"}) {
    RandomRotation rot({.factor = {0.25f, 0.25f}, .interpolation = interp});
    const Images out(rot(x, true));
    for (int64_t s = 0; s < 2; ++s)
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < n; ++c)
          for (int64_t k = 0; k < 3; ++k)
            EXPECT_NEAR(out.at(s, r, c, k), in.at(s, c, n - 1 - r, k), 1e-4f)
                << interp << " " << s << "," << r << "," << c;
  }
}

TEST(ImageAugmentation, RotationKeepsTheCentre) {
  // An odd square image turns about its centre pixel, whatever the angle.
  Tensor x = ramp(8, 5, 5, 1);
  const Images in(x);
  RandomRotation rot({.factor = 0.5f, .seed = 3});
  const Images out(rot(x, true));
  for (int64_t s = 0; s < 8; ++s) EXPECT_NEAR(out.at(s, 2, 2, 0), in.at(s, 2, 2, 0), 1e-4f);
}

TEST(ImageAugmentation, ZoomInAndOut) {
  Tensor x = ramp(1, 5, 5, 1);
  const Images in(x);
  // -0.5: zoom 0.5, input = 0.5 · output + 1 on both axes (width follows height).
  RandomZoom zin({.height_factor = {-0.5f, -0.5f}});
  const Images a(zin(x, true));
  EXPECT_EQ(a.at(0, 0, 0, 0), in.at(0, 1, 1, 0));
  EXPECT_EQ(a.at(0, 2, 2, 0), in.at(0, 2, 2, 0));
  EXPECT_EQ(a.at(0, 4, 0, 0), in.at(0, 3, 1, 0));
  const float mid = (in.at(0, 1, 1, 0) + in.at(0, 1, 2, 0) + in.at(0, 2, 1, 0) +
                     in.at(0, 2, 2, 0)) / 4.f;
  EXPECT_NEAR(a.at(0, 1, 1, 0), mid, 1e-5f);
  // +1: zoom 2, input = 2 · output - 2: the image shrinks into the middle, constant all round.
  RandomZoom zout({.height_factor = {1.f, 1.f}, .fill_mode = "constant", .fill_value = 7.f});
  const Images b(zout(x, true));
  EXPECT_EQ(b.at(0, 1, 1, 0), in.at(0, 0, 0, 0));
  EXPECT_EQ(b.at(0, 3, 3, 0), in.at(0, 4, 4, 0));
  EXPECT_EQ(b.at(0, 2, 3, 0), in.at(0, 2, 4, 0));
  EXPECT_EQ(b.at(0, 0, 2, 0), 7.f);
  EXPECT_EQ(b.at(0, 2, 4, 0), 7.f);
  // Separate width factor: rows untouched, columns zoomed in.
  RandomZoom zw({.height_factor = {0.f, 0.f}, .width_factor = {-0.5f, -0.5f}});
  const Images c(zw(x, true));
  for (int64_t r = 0; r < 5; ++r) {
    EXPECT_EQ(c.at(0, r, 0, 0), in.at(0, r, 1, 0));
    EXPECT_EQ(c.at(0, r, 4, 0), in.at(0, r, 3, 0));
  }
}

TEST(ImageAugmentation, SeededRunsRepeatAndCallsDiffer) {
  Tensor x = ramp(4, 8, 8, 2);
  auto run = [&](uint64_t seed) {
    RandomRotation r({.factor = 0.3f, .seed = seed});
    RandomZoom z({.height_factor = 0.3f, .seed = seed});
    std::vector<std::vector<float>> outs;
    for (int i = 0; i < 2; ++i) outs.push_back(z(r(x, true), true).to_vector());
    return outs;
  };
  const auto a = run(42), b = run(42), c = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a[0], a[1]);  // a fresh draw per call
  EXPECT_NE(a[0], c[0]);
  // Samples of one batch get their own parameters.
  RandomTranslation t({.height_factor = 0.3f, .width_factor = 0.3f, .seed = 1});
  Tensor same = Tensor::from_vector({2, 8, 8, 1}, [&] {
    std::vector<float> v(128);
    for (size_t i = 0; i < 64; ++i) v[i] = v[i + 64] = static_cast<float>(i);
    return v;
  }());
  auto y = t(same, true).to_vector();
  EXPECT_NE(std::vector<float>(y.begin(), y.begin() + 64),
            std::vector<float>(y.begin() + 64, y.end()));
}

TEST(ImageAugmentation, PassesNoGradient) {
  Tensor x = ramp(2, 4, 4, 1);
  x.set_requires_grad(true);
  RandomFlip f({.seed = 2});
  Tensor y = f(x, true);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

TEST(ImageAugmentation, Configs) {
  auto flip = RandomFlip({.mode = "vertical", .seed = 4, .name = "flip"}).get_config();
  EXPECT_EQ(flip["name"], "flip");
  EXPECT_EQ(flip["mode"], "vertical");
  EXPECT_EQ(flip["seed"], 4);
  EXPECT_EQ(flip["data_format"], "channels_last");

  auto t = RandomTranslation({.height_factor = 0.2f, .width_factor = {-0.1f, 0.3f}}).get_config();
  EXPECT_EQ(t["height_factor"], 0.2);
  EXPECT_EQ(t["width_factor"], nlohmann::json::array({-0.1, 0.3}));
  EXPECT_EQ(t["fill_mode"], "reflect");
  EXPECT_EQ(t["interpolation"], "bilinear");
  EXPECT_EQ(t["fill_value"], 0.0);
  EXPECT_EQ(t["seed"], nullptr);

  auto r = RandomRotation({.factor = 0.2f, .fill_mode = "wrap"}).get_config();
  EXPECT_EQ(r["factor"], nlohmann::json::array({-0.2, 0.2}));  // Keras keeps (lower, upper)
  EXPECT_EQ(r["fill_mode"], "wrap");

  auto z = RandomZoom({.height_factor = {0.1f, -0.2f}, .interpolation = "nearest",
                       .fill_value = 0.5f}).get_config();
  EXPECT_EQ(z["height_factor"], nlohmann::json::array({0.1, -0.2}));
  EXPECT_EQ(z["width_factor"], nullptr);
  EXPECT_EQ(z["interpolation"], "nearest");
  EXPECT_EQ(z["fill_value"], 0.5);
}

TEST(ImageAugmentation, Errors) {
  using test::expect_value_error;
  expect_value_error([] { RandomFlip({.mode = "diagonal", .name = "f"}); },
                     {"RandomFlip 'f'", "diagonal", "horizontal_and_vertical"});
  expect_value_error(
      [] { RandomTranslation({.height_factor = 0.1f, .width_factor = 0.1f, .fill_mode = "mirror",
                              .name = "t"}); },
      {"RandomTranslation 't'", "fill_mode", "mirror", "reflect"});
  expect_value_error([] { RandomZoom({.height_factor = 0.1f, .interpolation = "bicubic"}); },
                     {"RandomZoom", "interpolation", "bicubic"});
  expect_value_error([] { RandomTranslation({.height_factor = 1.5f, .width_factor = 0.1f}); },
                     {"RandomTranslation", "height_factor", "1.5"});
  expect_value_error(
      [] { RandomTranslation({.height_factor = 0.1f, .width_factor = {-1.2f, 0.f}}); },
      {"width_factor", "(-1.2, 0)"});
  expect_value_error([] { RandomTranslation({.height_factor = 0.1f}); },
                     {"width_factor", "required"});
  expect_value_error([] { RandomZoom({.height_factor = 0.1f, .width_factor = -2.f}); },
                     {"RandomZoom", "width_factor"});
  expect_value_error([] { RandomZoom({}); }, {"height_factor", "required"});
  expect_value_error([] { RandomRotation({.factor = 1.1f}); }, {"RandomRotation", "factor"});
  expect_value_error([] { RandomRotation({.factor = {2.f, 3.f}}); }, {"factor", "(2, 3)"});
  expect_value_error([] { RandomRotation({}); }, {"factor", "required"});
  EXPECT_NO_THROW(RandomRotation({.factor = {-3.f, 0.5f}}));  // Keras lets this pair through
  EXPECT_NO_THROW(RandomZoom({.height_factor = {-1.f, 1.f}}));

  RandomFlip f({.name = "flip3"});
  expect_value_error([&] { f(Tensor::zeros({4, 4, 3}), true); },
                     {"RandomFlip 'flip3'", "(batch, height, width, channels)", "(None, 4, 3)"});
  RandomZoom z({.height_factor = 0.2f, .name = "zi"});
  expect_value_error([&] { z(Tensor::zeros({1, 4, 4, 1}, DType::int32), true); },
                     {"RandomZoom 'zi'", "float32", "int32"});
}
