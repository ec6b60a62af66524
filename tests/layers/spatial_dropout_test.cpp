// SpatialDropout1D/2D: whole channels dropped and scaled, identity at inference, seeded
// replay, gradients, errors.
#include <gtest/gtest.h>

#include "strata/layers/spatial_dropout.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(SpatialDropout, OneDimensionalDropsWholeChannels) {
  SpatialDropout1D d({.rate = 0.5f, .seed = 3});
  Tensor x = Tensor::ones({8, 5, 50});
  EXPECT_EQ(d(x, false).to_vector(), x.to_vector());
  auto y = d(x, true).to_vector();
  int kept = 0;
  for (int n = 0; n < 8; ++n)
    for (int c = 0; c < 50; ++c) {
      const float first = y[size_t((n * 5) * 50 + c)];
      EXPECT_TRUE(first == 0.f || first == 2.f) << first;
      kept += first != 0.f;
      for (int t = 1; t < 5; ++t) ASSERT_EQ(y[size_t((n * 5 + t) * 50 + c)], first);
    }
  EXPECT_NEAR(kept / 400.0, 0.5, 0.1);
  EXPECT_NE(d(x, true).to_vector(), y);  // a fresh mask per call
  SpatialDropout1D again({.rate = 0.5f, .seed = 3});
  EXPECT_EQ(again(x, true).to_vector(), y);  // the same seed replays it
}

TEST(SpatialDropout, TwoDimensionalInBothDataFormats) {
  for (bool first : {false, true}) {
    SpatialDropout2D d({.rate = 0.3f, .data_format = first ? "channels_first" : "channels_last",
                        .seed = 5});
    Tensor x = Tensor::ones({6, 4, 3, 20});
    auto y = d(x, true).to_vector();
    // channels_last: channel = last index; channels_first: channel = dim 1.
    for (int n = 0; n < 6; ++n)
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 3; ++b)
          for (int c = 0; c < 20; ++c) {
            const size_t i = size_t(((n * 4 + a) * 3 + b) * 20 + c);
            const size_t ref = first ? size_t((n * 4 + a) * 60) : size_t(n * 240 + c);
            ASSERT_EQ(y[i], y[ref]) << "first=" << first;
            ASSERT_TRUE(y[i] == 0.f || std::abs(y[i] - 1.f / 0.7f) < 1e-6f);
          }
  }
  EXPECT_EQ(SpatialDropout2D(0.3f).get_config()["data_format"], "channels_last");
  auto c = SpatialDropout1D({.rate = 0.25f, .seed = 4}).get_config();
  EXPECT_EQ(c["rate"], 0.25);
  EXPECT_EQ(c["seed"], 4);
  EXPECT_FALSE(c.contains("data_format"));
}

TEST(SpatialDropout, GradientUsesTheMask) {
  Tensor x = test::random_tensor({3, 4, 5}, 4).set_requires_grad(true);
  // gradcheck re-runs the function: a fresh, seeded layer per evaluation fixes the mask.
  EXPECT_TRUE(test::gradcheck([](auto& in) {
    SpatialDropout1D fixed({.rate = 0.4f, .seed = 9, .name = "fixed"});
    return fixed(in[0], true);
  }, {x}));
  Tensor x4 = test::random_tensor({2, 3, 2, 4}, 5).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([](auto& in) {
    SpatialDropout2D fixed({.rate = 0.5f, .seed = 2, .name = "fixed2"});
    return fixed(in[0], true);
  }, {x4}));
}

TEST(SpatialDropout, Errors) {
  test::expect_value_error([] { SpatialDropout1D({.rate = 1.f, .name = "sd"}); },
                           {"SpatialDropout1D 'sd'", "rate"});
  test::expect_value_error([] { SpatialDropout2D(-0.1f); }, {"rate"});
  test::expect_value_error([] { SpatialDropout2D({.rate = 0.1f, .data_format = "x"}); },
                           {"data_format"});
  test::expect_value_error([] { SpatialDropout1D({.rate = 0.1f, .name = "s1"}).build(Shape{-1, 4}); },
                           {"SpatialDropout1D 's1'", "rank 3", "(None, 4)"});
  test::expect_value_error([] { SpatialDropout2D(0.1f).build(Shape{-1, 4, 4}); }, {"rank 4"});
}
