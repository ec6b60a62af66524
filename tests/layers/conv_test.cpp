// Conv1D / Conv2D: Keras shapes and padding arithmetic, values against a direct reference,
// gradients for strided, dilated, grouped and 'same' (even kernel) cases, and bad input.
#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/api/sequential.hpp"
#include "strata/layers/conv.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::expect_value_error;

namespace {

// Direct 2-D cross-correlation over channels-last data, Keras 'same'/'valid' padding.
std::vector<float> conv2d_ref(const std::vector<float>& x, const Shape& xs,
                              const std::vector<float>& w, const Shape& ws, int64_t sh, int64_t sw,
                              int64_t dh, int64_t dw, int64_t pt, int64_t pl, int64_t oh,
                              int64_t ow, int64_t groups) {
  const int64_t n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
  const int64_t kh = ws[0], kw = ws[1], cg = ws[2], f = ws[3], fg = f / groups;
  std::vector<float> y(static_cast<size_t>(n * oh * ow * f), 0.f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t o = 0; o < f; ++o) {
          double acc = 0;
          const int64_t g = o / fg;
          for (int64_t a = 0; a < kh; ++a)
            for (int64_t bb = 0; bb < kw; ++bb) {
              const int64_t r = i * sh + a * dh - pt, q = j * sw + bb * dw - pl;
              if (r < 0 || r >= h || q < 0 || q >= wd) continue;
              for (int64_t ci = 0; ci < cg; ++ci)
                acc += double(x[static_cast<size_t>(((b * h + r) * wd + q) * c + g * cg + ci)]) *
                       w[static_cast<size_t>(((a * kw + bb) * cg + ci) * f + o)];
            }
          y[static_cast<size_t>(((b * oh + i) * ow + j) * f + o)] = float(acc);
        }
  return y;
}

}  // namespace

TEST(Conv2D, ShapesFollowKeras) {
  Conv2D c({.filters = 8, .kernel_size = 3});
  EXPECT_EQ(c.compute_output_shape(Shape{-1, 28, 28, 1}), (Shape{-1, 26, 26, 8}));
  Conv2D s({.filters = 4, .kernel_size = {4, 3}, .strides = 2, .padding = "same"});
  EXPECT_EQ(s.compute_output_shape(Shape{-1, 7, 8, 3}), (Shape{-1, 4, 4, 4}));
  Conv2D d({.filters = 2, .kernel_size = 3, .dilation_rate = 2});
  EXPECT_EQ(d.compute_output_shape(Shape{-1, 9, 9, 1}), (Shape{-1, 5, 5, 2}));
  Conv2D cf({.filters = 6, .kernel_size = 3, .data_format = "channels_first"});
  EXPECT_EQ(cf.compute_output_shape(Shape{-1, 2, 10, 10}), (Shape{-1, 6, 8, 8}));
  c.build(Shape{-1, 28, 28, 1});
  EXPECT_EQ(c.kernel().shape(), (Shape{3, 3, 1, 8}));
  EXPECT_EQ(c.count_params(), 3 * 3 * 8 + 8);
}

TEST(Conv2D, SamePaddingWithEvenKernelPadsMoreAtTheEnd) {
  // 4x4 input, 2x2 ones kernel: Keras pads 0 rows/cols before and 1 after.
  Conv2D c({.filters = 1, .kernel_size = 2, .padding = "same", .use_bias = false,
            .kernel_initializer = "ones"});
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = float(i);
  auto y = c(Tensor::from_vector({1, 4, 4, 1}, x)).to_vector();
  ASSERT_EQ(y.size(), 16u);
  EXPECT_FLOAT_EQ(y[0], 0 + 1 + 4 + 5);
  EXPECT_FLOAT_EQ(y[3], 3 + 7);     // right column sees the zero pad
  EXPECT_FLOAT_EQ(y[15], 15);       // bottom-right corner: only itself
}

TEST(Conv2D, MatchesDirectConvolution) {
  struct Case { IntPair k, s, d; std::string pad; int64_t groups; };
  for (const Case& cs : {Case{3, 1, 1, "valid", 1}, Case{{3, 2}, 2, 1, "same", 1},
                         Case{3, 1, 2, "same", 1}, Case{2, 1, 1, "same", 2}, Case{3, 2, 1, "valid", 4}}) {
    Conv2D c({.filters = 4, .kernel_size = cs.k, .strides = cs.s, .padding = cs.pad,
              .dilation_rate = cs.d, .groups = cs.groups, .bias_initializer = "ones"});
    Tensor x = test::random_tensor({2, 7, 6, 4}, 1);
    Tensor y = c(x);
    const auto p = window_params("ref", x.shape(), 2, cs.k, cs.s, cs.d, cs.pad, cs.groups);
    auto ref = conv2d_ref(x.to_vector(), x.shape(), c.kernel().to_vector(), c.kernel().shape(),
                          cs.s[0], cs.s[1], cs.d[0], cs.d[1], p.pad_begin[0], p.pad_begin[1],
                          y.dim(1), y.dim(2), cs.groups);
    for (auto& v : ref) v += 1.f;  // the bias
    EXPECT_LT(test::max_abs_diff(y.to_vector(), ref), 1e-4) << cs.pad << " groups " << cs.groups;
  }
}

TEST(Conv2D, Gradients) {
  set_random_seed(1);
  struct Case { IntPair k, s, d; std::string pad; int64_t groups; std::string act; };
  for (const Case& cs : {Case{3, 1, 1, "valid", 1, "relu"}, Case{2, 2, 1, "same", 1, ""},
                         Case{3, 1, 2, "same", 2, "tanh"}, Case{{1, 3}, {2, 1}, 1, "valid", 1, "sigmoid"}}) {
    Conv2D c({.filters = 2, .kernel_size = cs.k, .strides = cs.s, .padding = cs.pad,
              .dilation_rate = cs.d, .groups = cs.groups, .activation = cs.act});
    Tensor x = test::random_tensor({2, 5, 5, 2}, 2).set_requires_grad(true);
    c.build(x.shape());
    auto w = c.weights();
    // A small step keeps relu's kink (some pre-activations land near 0) out of the difference.
    test::GradcheckOptions opts;
    if (cs.act == "relu") opts.eps = 1e-3, opts.atol = 1e-2;
    EXPECT_TRUE(test::gradcheck([&c](auto& in) { return c(in[0]); }, {x, w[0], w[1]}, opts))
        << cs.pad << " " << cs.act;
  }
}

TEST(Conv2D, ChannelsFirstEqualsTransposedChannelsLast) {
  set_random_seed(4);
  Conv2D last({.filters = 3, .kernel_size = 3, .padding = "same"});
  Conv2D first({.filters = 3, .kernel_size = 3, .padding = "same", .data_format = "channels_first"});
  Tensor x = test::random_tensor({2, 5, 6, 2}, 3);
  last.build(x.shape());
  first.build(Shape{-1, 2, 5, 6});
  first.kernel().copy_(last.kernel());
  Tensor y_first = first(to_channels_first(x));
  EXPECT_LT(test::max_abs_diff(to_channels_last(y_first).to_vector(), last(x).to_vector()), 1e-5);
}

TEST(Conv1D, CausalAndDilatedShapesAndGradients) {
  Conv1D c({.filters = 3, .kernel_size = 3, .padding = "causal", .dilation_rate = 2});
  EXPECT_EQ(c.compute_output_shape(Shape{-1, 10, 4}), (Shape{-1, 10, 3}));
  Tensor x = test::random_tensor({2, 10, 4}, 5).set_requires_grad(true);
  c.build(x.shape());
  // Causal: output t never depends on inputs after t.
  std::vector<float> xv = x.to_vector();
  auto y0 = c(x).to_vector();
  for (size_t i = 9 * 4; i < 10 * 4; ++i) xv[i] += 5.f;  // change the last step of sample 0
  auto y1 = c(Tensor::from_vector(x.shape(), xv)).to_vector();
  for (size_t i = 0; i < 9 * 3; ++i) EXPECT_FLOAT_EQ(y0[i], y1[i]) << i;
  auto w = c.weights();
  EXPECT_TRUE(test::gradcheck([&c](auto& in) { return c(in[0]); }, {x, w[0], w[1]}));
  Conv1D s({.filters = 2, .kernel_size = 4, .strides = 2, .padding = "same", .activation = "relu"});
  Tensor xs = test::random_tensor({1, 9, 3}, 6).set_requires_grad(true);
  s.build(xs.shape());
  EXPECT_EQ(s(xs).shape(), (Shape{1, 5, 2}));
  auto ws = s.weights();
  EXPECT_TRUE(test::gradcheck([&s](auto& in) { return s(in[0]); }, {xs, ws[0], ws[1]}));
}

TEST(Conv, BadArgumentsAndShapes) {
  expect_value_error([] { Conv2D({.filters = 0, .kernel_size = 3}); }, {"Conv2D", "filters"});
  expect_value_error([] { Conv2D({.filters = 2, .kernel_size = {3, 0}}); }, {"kernel_size"});
  expect_value_error([] { Conv2D({.filters = 2, .kernel_size = 3, .padding = "full"}); },
                     {"padding", "'valid'"});
  expect_value_error([] { Conv2D({.filters = 3, .kernel_size = 3, .groups = 2}); }, {"groups"});
  expect_value_error([] { Conv2D({.filters = 2, .kernel_size = 3, .strides = 2, .dilation_rate = 2}); },
                     {"dilation_rate"});
  expect_value_error([] { Conv2D({.filters = 2, .kernel_size = 3, .data_format = "nhwc"}); },
                     {"data_format"});
  Conv2D c({.filters = 2, .kernel_size = 5, .name = "big"});
  expect_value_error([&] { c.build(Shape{-1, 4, 4, 1}); }, {"Conv2D 'big'", "(None, 4, 4, 1)", "valid"});
  expect_value_error([&] { c.build(Shape{-1, 28, 28}); }, {"Conv2D 'big'", "rank 4", "(None, 28, 28)"});
  Conv2D g({.filters = 4, .kernel_size = 1, .groups = 2, .name = "grouped"});
  expect_value_error([&] { g.build(Shape{-1, 3, 3, 3}); }, {"grouped", "divisible"});
  expect_value_error([] { Conv1D({.filters = 2, .kernel_size = 3, .padding = "causal2"}); }, {"causal"});
}

TEST(Conv, ConfigHasKerasKeys) {
  Conv2D c({.filters = 8, .kernel_size = {3, 5}, .strides = 2, .padding = "same", .name = "c"});
  auto cfg = c.get_config();
  EXPECT_EQ(cfg["kernel_size"], nlohmann::json({3, 5}));
  EXPECT_EQ(cfg["strides"], nlohmann::json({2, 2}));
  EXPECT_EQ(cfg["padding"], "same");
  EXPECT_EQ(cfg["groups"], 1);
  EXPECT_EQ(Conv1D({.filters = 1, .kernel_size = 3}).get_config()["kernel_size"], nlohmann::json({3}));
}

TEST(Conv, LoadingWeightsWithTheWrongChannelsNamesLayerAndShapes) {
  Sequential m({Input({8, 8, 3}), Conv2D({.filters = 4, .kernel_size = 3, .name = "features"})});
  // A kernel saved for 1 input channel cannot load into a layer built for 3.
  expect_value_error([&] { m.set_weights({Tensor::zeros({3, 3, 1, 4}), Tensor::zeros({4})}); },
                     {"Conv2D 'features'", "kernel", "(3, 3, 3, 4)", "(3, 3, 1, 4)"});
}
