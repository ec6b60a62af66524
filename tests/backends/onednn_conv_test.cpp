// Convolution conformance: conv_forward/backward_data/backward_weights and the transposed
// (deconv) ops of every compiled backend against naive double-precision loops. Only the Backend
// API is used, so a device backend runs the very same checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "strata/backends/backend.hpp"
#include "strata/core/error.hpp"
#include "support/device_buffers.hpp"

namespace strata {
namespace {

using test::Dev;
using test::download;
using test::make;
using test::random_vec;
using test::upload;

// ---- host <-> backend helpers ------------------------------------------------------------

void expect_close(const std::vector<float>& got, const std::vector<double>& want,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) <= 1e-4 + 1e-4 * std::abs(want[i])) continue;
    ADD_FAILURE() << what << " element " << i << ": got " << got[i] << ", want " << want[i];
    if (++reported == 5) return;
  }
}

// ---- reference --------------------------------------------------------------------------

// One convolution in 2-D terms (1-D runs with H = 1): the "in" side (N, H, W, C) is what a
// convolution reads, the "out" side (N, OH, OW, OC) what it writes, the kernel Keras'
// (KH, KW, C / groups, OC). A transposed convolution is the same relation with its input on the
// out side: its Keras kernel (k..., out, in) is exactly this kernel.
struct Geo {
  int64_t n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, ph, pw, groups;
};

// Calls f(in_index, kernel_index, out_index) for every product in[.] * kernel[.] that the
// convolution adds into out[.]. Taps that land in the padding are skipped.
template <class F>
void for_each_tap(const Geo& g, F f) {
  const int64_t icg = g.c / g.groups, ocg = g.oc / g.groups;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox)
        for (int64_t o = 0; o < g.oc; ++o)
          for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              for (int64_t i = 0; i < icg; ++i)
                f(((n * g.h + iy) * g.w + ix) * g.c + o / ocg * icg + i,
                  ((ky * g.kw + kx) * icg + i) * g.oc + o,
                  ((n * g.oh + oy) * g.ow + ox) * g.oc + o);
            }
}

// ---- cases ------------------------------------------------------------------------------

struct ConvCase {
  int spatial;
  Shape x;       // (N, [H,] W, C)
  int64_t k[2];  // kernel spatial size ([KH,] KW)
  int64_t cout;
  WindowParams p;
  bool bias;
  Eltwise act;
};

WindowParams params(int spatial, std::vector<int64_t> strides, std::vector<int64_t> dilation,
                    std::vector<int64_t> pad_begin, std::vector<int64_t> pad_end,
                    int64_t groups = 1) {
  WindowParams p;
  p.spatial = spatial;
  p.groups = groups;
  for (int d = 0; d < spatial; ++d) {
    p.strides[d] = strides[d];
    p.dilation[d] = dilation[d];
    p.pad_begin[d] = pad_begin[d];
    p.pad_end[d] = pad_end[d];
  }
  return p;
}

const Eltwise kRelu{EltwiseAlg::relu, 0.f, 0.f};

std::vector<ConvCase> conv_cases() {
  return {
      // 2-D: valid, stride 1, bias.
      {2, Shape{3, 7, 9, 4}, {3, 3}, 5, params(2, {1, 1}, {1, 1}, {0, 0}, {0, 0}), true, {}},
      // Keras 'same' with an even kernel pads only at the end; relu post-op.
      {2, Shape{3, 8, 7, 4}, {2, 2}, 6, params(2, {1, 1}, {1, 1}, {0, 0}, {1, 1}), true, kRelu},
      // Stride 2, asymmetric padding, no bias.
      {2, Shape{3, 9, 8, 3}, {3, 3}, 4, params(2, {2, 2}, {1, 1}, {0, 1}, {1, 1}), false, {}},
      // Dilation 2, two groups, non-square kernel.
      {2, Shape{3, 11, 10, 4}, {3, 2}, 6, params(2, {1, 1}, {2, 2}, {2, 1}, {2, 0}, 2), true, {}},
      // Depthwise with depth multiplier 2, stride 2, relu.
      {2, Shape{3, 7, 7, 4}, {3, 3}, 8, params(2, {2, 2}, {1, 1}, {1, 1}, {1, 1}, 4), true, kRelu},
      // Stride 2 with dilation 2, mixed per-dim settings.
      {2, Shape{3, 13, 9, 2}, {3, 3}, 3, params(2, {2, 1}, {2, 1}, {1, 0}, {2, 1}), true, {}},
      // 1-D: stride 2, dilation 2, 'same'-style end padding, bias.
      {1, Shape{3, 13, 5}, {3, 1}, 4, params(1, {2}, {2}, {0}, {1}), true, {}},
      // 1-D grouped, asymmetric padding, relu, no bias.
      {1, Shape{3, 10, 6}, {4, 1}, 6, params(1, {1}, {1}, {1}, {2}, 3), false, kRelu},
      // 1-D depthwise.
      {1, Shape{3, 11, 3}, {3, 1}, 3, params(1, {1}, {1}, {1}, {1}, 3), true, {}},
  };
}

std::string describe(const ConvCase& c) {
  std::string s = "x " + c.x.str() + " k " + std::to_string(c.k[0]) +
                  (c.spatial == 2 ? "x" + std::to_string(c.k[1]) : "") + " cout " +
                  std::to_string(c.cout) + " groups " + std::to_string(c.p.groups);
  for (int d = 0; d < c.spatial; ++d)
    s += " [s" + std::to_string(c.p.strides[d]) + " d" + std::to_string(c.p.dilation[d]) +
         " p" + std::to_string(c.p.pad_begin[d]) + "/" + std::to_string(c.p.pad_end[d]) + "]";
  return s + (c.bias ? " bias" : "");
}

Shape kernel_shape(const ConvCase& c) {
  const int64_t icg = c.x[c.spatial + 1] / c.p.groups;
  return c.spatial == 2 ? Shape{c.k[0], c.k[1], icg, c.cout} : Shape{c.k[0], icg, c.cout};
}

int64_t out_size(int64_t in, int64_t k, const WindowParams& p, int d) {
  return (in + p.pad_begin[d] + p.pad_end[d] - p.dilation[d] * (k - 1) - 1) / p.strides[d] + 1;
}

Shape conv_out_shape(const ConvCase& c) {
  Shape y{c.x[0]};
  for (int d = 0; d < c.spatial; ++d) y.push_back(out_size(c.x[1 + d], c.k[d], c.p, d));
  y.push_back(c.cout);
  return y;
}

// The reference geometry of a case whose in side is `in` and out side is `out`.
Geo geo(const ConvCase& c, const Shape& in, const Shape& out) {
  const WindowParams& p = c.p;
  if (c.spatial == 1)
    return {in[0], 1, in[1], in[2], 1, out[1], out[2], 1, c.k[0], 1, p.strides[0], 1,
            p.dilation[0], 0, p.pad_begin[0], p.groups};
  return {in[0], in[1], in[2], in[3], out[1], out[2], out[3], c.k[0], c.k[1], p.strides[0],
          p.strides[1], p.dilation[0], p.dilation[1], p.pad_begin[0], p.pad_begin[1], p.groups};
}

class ConvConformance : public ::testing::TestWithParam<std::string> {
 protected:
  Backend& be() { return backend_by_name(GetParam()); }
};

TEST_P(ConvConformance, ConvForwardBackwardDataAndWeights) {
  uint32_t seed = 1;
  for (const ConvCase& c : conv_cases()) {
    SCOPED_TRACE(describe(c));
    const Shape ws = kernel_shape(c), ys = conv_out_shape(c);
    const Geo g = geo(c, c.x, ys);
    const auto x = random_vec(c.x.numel(), -1.f, 1.f, seed++), w = random_vec(ws.numel(), -1.f, 1.f, seed++);
    const auto b = random_vec(c.cout, -1.f, 1.f, seed++), dy = random_vec(ys.numel(), -1.f, 1.f, seed++);
    Dev xd = upload(be(), x, c.x), wd = upload(be(), w, ws), bd = upload(be(), b, Shape{c.cout});
    Dev dyd = upload(be(), dy, ys);

    // Forward: y = act(x * w + b).
    std::vector<double> y(static_cast<size_t>(ys.numel()), 0.0);
    for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) { y[yi] += double(x[xi]) * w[wi]; });
    for (int64_t i = 0; i < ys.numel(); ++i) {
      if (c.bias) y[i] += b[i % c.cout];
      if (c.act.alg == EltwiseAlg::relu) y[i] = std::max(y[i], 0.0);
    }
    Dev yd = make(be(), ys);
    be().conv_forward(xd.v, wd.v, c.bias ? &bd.v : nullptr, yd.v, c.p, c.act);
    expect_close(download(be(), yd.v), y, "conv_forward");

    // Backward data: dx = dy (*) w transposed.
    std::vector<double> dx(static_cast<size_t>(c.x.numel()), 0.0);
    for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) { dx[xi] += double(dy[yi]) * w[wi]; });
    Dev dxd = make(be(), c.x);
    be().fill(dxd.v, 7.0);  // overwritten, not accumulated
    be().conv_backward_data(dyd.v, wd.v, dxd.v, c.p);
    expect_close(download(be(), dxd.v), dx, "conv_backward_data");

    // Backward weights (and bias): overwrite dw and dbias.
    std::vector<double> dw(static_cast<size_t>(ws.numel()), 0.0), db(c.cout, 0.0);
    for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) { dw[wi] += double(dy[yi]) * x[xi]; });
    for (int64_t i = 0; i < ys.numel(); ++i) db[i % c.cout] += dy[i];
    Dev dwd = make(be(), ws), dbd = make(be(), Shape{c.cout});
    be().fill(dwd.v, 7.0);
    be().fill(dbd.v, 7.0);
    be().conv_backward_weights(dyd.v, xd.v, dwd.v, c.bias ? &dbd.v : nullptr, c.p);
    expect_close(download(be(), dwd.v), dw, "conv_backward_weights dw");
    if (c.bias) expect_close(download(be(), dbd.v), db, "conv_backward_weights dbias");
  }
}

// The shapes of Keras' mnist_cnn (batch reduced), where the fast implementations run.
TEST_P(ConvConformance, MnistCnnShapes) {
  struct Layer {
    Shape x;
    int64_t cout;
  };
  uint32_t seed = 100;
  for (const Layer& l : {Layer{Shape{16, 28, 28, 1}, 32}, Layer{Shape{16, 26, 26, 32}, 64}}) {
    const ConvCase c{2, l.x, {3, 3}, l.cout, params(2, {1, 1}, {1, 1}, {0, 0}, {0, 0}), true,
                     kRelu};
    SCOPED_TRACE(describe(c));
    const Shape ws = kernel_shape(c), ys = conv_out_shape(c);
    const Geo g = geo(c, c.x, ys);
    const auto x = random_vec(c.x.numel(), -1.f, 1.f, seed++), w = random_vec(ws.numel(), -1.f, 1.f, seed++);
    const auto b = random_vec(c.cout, -1.f, 1.f, seed++), dy = random_vec(ys.numel(), -1.f, 1.f, seed++);
    Dev xd = upload(be(), x, c.x), wd = upload(be(), w, ws), bd = upload(be(), b, Shape{c.cout});
    Dev dyd = upload(be(), dy, ys), yd = make(be(), ys), dxd = make(be(), c.x);
    Dev dwd = make(be(), ws), dbd = make(be(), Shape{c.cout});

    std::vector<double> y(static_cast<size_t>(ys.numel()), 0.0), dx(c.x.numel(), 0.0),
        dw(ws.numel(), 0.0), db(c.cout, 0.0);
    for_each_tap(g, [&](int64_t xi, int64_t wi, int64_t yi) {
      y[yi] += double(x[xi]) * w[wi];
      dx[xi] += double(dy[yi]) * w[wi];
      dw[wi] += double(dy[yi]) * x[xi];
    });
    for (int64_t i = 0; i < ys.numel(); ++i) {
      y[i] = std::max(y[i] + b[i % c.cout], 0.0);
      db[i % c.cout] += dy[i];
    }
    // dw and dbias sum 16 * 24 * 24 products each: a looser absolute tolerance.
    be().conv_forward(xd.v, wd.v, &bd.v, yd.v, c.p, c.act);
    expect_close(download(be(), yd.v), y, "conv_forward");
    be().conv_backward_data(dyd.v, wd.v, dxd.v, c.p);
    expect_close(download(be(), dxd.v), dx, "conv_backward_data");
    be().conv_backward_weights(dyd.v, xd.v, dwd.v, &dbd.v, c.p);
    const auto got_dw = download(be(), dwd.v), got_db = download(be(), dbd.v);
    for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(got_dw[i], dw[i], 2e-3) << "dw " << i;
    for (size_t i = 0; i < db.size(); ++i) ASSERT_NEAR(got_db[i], db[i], 2e-3) << "dbias " << i;
  }
}

// ---- transposed convolution ---------------------------------------------------------------

struct DeconvCase {
  ConvCase c;  // x: the deconv input; cout: its output channels
  Shape y;     // the output shape the caller chose (it sets the end padding)
};

std::vector<DeconvCase> deconv_cases() {
  return {
      // Stride 2, asymmetric pads: full 9x11, begin (1, 0), end (0, 1).
      {{2, Shape{3, 4, 5, 3}, {3, 3}, 4, params(2, {2, 2}, {1, 1}, {1, 0}, {0, 1}), true, {}},
       Shape{3, 8, 10, 4}},
      // Keras output_padding=1: one row and column past the full output (negative end pad).
      {{2, Shape{3, 4, 3, 2}, {3, 3}, 3, params(2, {2, 2}, {1, 1}, {0, 0}, {0, 0}), false, {}},
       Shape{3, 10, 8, 3}},
      // 'same' with stride 2 and kernel 2: out = 2 * in.
      {{2, Shape{3, 5, 3, 4}, {2, 2}, 3, params(2, {2, 2}, {1, 1}, {0, 0}, {0, 0}), true, {}},
       Shape{3, 10, 6, 3}},
      // Dilation 2, stride 2: full 11x11, begin (2, 1), end (1, 1).
      {{2, Shape{3, 4, 4, 2}, {3, 3}, 5, params(2, {2, 2}, {2, 2}, {2, 1}, {1, 1}), true, {}},
       Shape{3, 8, 9, 5}},
      // 1-D, stride 3, kernel 2 (shorter than the stride: gaps in the output).
      {{1, Shape{3, 5, 3}, {2, 1}, 2, params(1, {3}, {1}, {0}, {0}), true, {}}, Shape{3, 14, 2}},
  };
}

TEST_P(ConvConformance, DeconvForwardBackwardDataAndWeights) {
  uint32_t seed = 50;
  for (const DeconvCase& dc : deconv_cases()) {
    const ConvCase& c = dc.c;
    SCOPED_TRACE(describe(c) + " -> y " + dc.y.str());
    const int64_t cin = c.x[c.spatial + 1];
    const Shape ws = c.spatial == 2 ? Shape{c.k[0], c.k[1], c.cout, cin}
                                    : Shape{c.k[0], c.cout, cin};
    // The deconv output is the reference's in side, its input the out side.
    const Geo g = geo(c, dc.y, c.x);
    const auto x = random_vec(c.x.numel(), -1.f, 1.f, seed++), w = random_vec(ws.numel(), -1.f, 1.f, seed++);
    const auto b = random_vec(c.cout, -1.f, 1.f, seed++), dy = random_vec(dc.y.numel(), -1.f, 1.f, seed++);
    Dev xd = upload(be(), x, c.x), wd = upload(be(), w, ws), bd = upload(be(), b, Shape{c.cout});
    Dev dyd = upload(be(), dy, dc.y);

    std::vector<double> y(static_cast<size_t>(dc.y.numel()), 0.0), dx(c.x.numel(), 0.0),
        dw(ws.numel(), 0.0), db(c.cout, 0.0);
    for_each_tap(g, [&](int64_t yi, int64_t wi, int64_t xi) {
      y[yi] += double(x[xi]) * w[wi];
      dx[xi] += double(dy[yi]) * w[wi];
      dw[wi] += double(dy[yi]) * x[xi];
    });
    for (int64_t i = 0; i < dc.y.numel(); ++i) {
      if (c.bias) y[i] += b[i % c.cout];
      db[i % c.cout] += dy[i];
    }

    Dev yd = make(be(), dc.y), dxd = make(be(), c.x), dwd = make(be(), ws);
    Dev dbd = make(be(), Shape{c.cout});
    be().fill(yd.v, 7.0);
    be().deconv_forward(xd.v, wd.v, c.bias ? &bd.v : nullptr, yd.v, c.p);
    expect_close(download(be(), yd.v), y, "deconv_forward");
    be().deconv_backward_data(dyd.v, wd.v, dxd.v, c.p);
    expect_close(download(be(), dxd.v), dx, "deconv_backward_data");
    be().fill(dwd.v, 7.0);
    be().deconv_backward_weights(dyd.v, xd.v, dwd.v, c.bias ? &dbd.v : nullptr, c.p);
    expect_close(download(be(), dwd.v), dw, "deconv_backward_weights dw");
    if (c.bias) expect_close(download(be(), dbd.v), db, "deconv_backward_weights dbias");
  }
}

// ---- steady state and errors ---------------------------------------------------------------

TEST_P(ConvConformance, RepeatedCallsReusePrimitives) {
  const WindowParams p = params(2, {2, 2}, {1, 1}, {0, 0}, {1, 1});
  Dev x = make(be(), Shape{4, 9, 9, 8}), w = make(be(), Shape{3, 3, 8, 16});
  Dev b = make(be(), Shape{16}), y = make(be(), Shape{4, 4, 4, 16});
  const WindowParams dp = params(2, {2, 2}, {1, 1}, {1, 1}, {0, 0});
  Dev tw = make(be(), Shape{3, 3, 8, 16}), ty = make(be(), Shape{4, 8, 8, 8});
  for (Dev* d : {&x, &w, &b, &y, &tw, &ty}) be().fill(d->v, 0.5);
  auto step = [&] {
    be().conv_forward(x.v, w.v, &b.v, y.v, p, kRelu);
    be().conv_backward_data(y.v, w.v, x.v, p);
    be().conv_backward_weights(y.v, x.v, w.v, &b.v, p);
    // Transposed: input y (4, 4, 4, 16) -> output ty (4, 8, 8, 8), kernel (3, 3, 8, 16).
    be().deconv_forward(y.v, tw.v, nullptr, ty.v, dp);
    be().deconv_backward_data(ty.v, tw.v, y.v, dp);
    be().deconv_backward_weights(ty.v, y.v, tw.v, nullptr, dp);
  };
  step();
  const int64_t warm = be().stats().cached_primitives;
  for (int i = 0; i < 3; ++i) step();
  EXPECT_EQ(be().stats().cached_primitives, warm);
}

TEST_P(ConvConformance, RejectsMismatchedShapes) {
  const WindowParams p = params(2, {1, 1}, {1, 1}, {0, 0}, {0, 0});
  Dev x = make(be(), Shape{2, 6, 6, 4}), w = make(be(), Shape{3, 3, 4, 5});
  Dev y = make(be(), Shape{2, 4, 4, 5});
  Dev bad_y = make(be(), Shape{2, 5, 4, 5}), bad_w = make(be(), Shape{3, 3, 3, 5});
  Dev bad_b = make(be(), Shape{4}), x1 = make(be(), Shape{2, 6, 4});
  EXPECT_THROW(be().conv_forward(x.v, w.v, nullptr, bad_y.v, p), ValueError);
  EXPECT_THROW(be().conv_forward(x.v, bad_w.v, nullptr, y.v, p), ValueError);
  EXPECT_THROW(be().conv_forward(x.v, w.v, &bad_b.v, y.v, p), ValueError);
  EXPECT_THROW(be().conv_forward(x1.v, w.v, nullptr, y.v, p), ValueError);
  WindowParams grouped = p;
  grouped.groups = 3;  // 4 input channels do not split into 3 groups
  EXPECT_THROW(be().conv_forward(x.v, w.v, nullptr, y.v, grouped), ValueError);
  WindowParams three_d = p;
  three_d.spatial = 3;
  EXPECT_THROW(be().conv_forward(x.v, w.v, nullptr, y.v, three_d), ValueError);
  EXPECT_THROW(be().conv_backward_data(bad_y.v, w.v, x.v, p), ValueError);
  EXPECT_THROW(be().conv_backward_weights(y.v, x.v, bad_w.v, nullptr, p), ValueError);
  EXPECT_THROW(be().conv_backward_weights(y.v, x.v, w.v, &bad_b.v, p), ValueError);
  try {
    be().conv_forward(x.v, w.v, nullptr, bad_y.v, p);
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv_forward"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(2, 5, 4, 5)"), std::string::npos) << msg;
  }

  // Transposed: kernel (3, 3, out 5, in 4); full output of 6x6 with stride 2 is 13x13.
  const WindowParams dp = params(2, {2, 2}, {1, 1}, {0, 0}, {0, 0});
  Dev tw = make(be(), Shape{3, 3, 5, 4}), ty = make(be(), Shape{2, 13, 13, 5});
  Dev too_big = make(be(), Shape{2, 15, 13, 5}), wrong_c = make(be(), Shape{2, 13, 13, 4});
  be().deconv_forward(x.v, tw.v, nullptr, ty.v, dp);
  EXPECT_THROW(be().deconv_forward(x.v, tw.v, nullptr, too_big.v, dp), ValueError);
  EXPECT_THROW(be().deconv_forward(x.v, tw.v, nullptr, wrong_c.v, dp), ValueError);
  EXPECT_THROW(be().deconv_forward(x.v, w.v, nullptr, ty.v, dp), ValueError);
  EXPECT_THROW(be().deconv_backward_data(too_big.v, tw.v, x.v, dp), ValueError);
  EXPECT_THROW(be().deconv_backward_weights(ty.v, x.v, w.v, nullptr, dp), ValueError);
  WindowParams dgrouped = dp;
  dgrouped.groups = 2;
  EXPECT_THROW(be().deconv_forward(x.v, tw.v, nullptr, ty.v, dgrouped), ValueError);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConvConformance, ::testing::ValuesIn(available_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConvConformance);

}  // namespace
}  // namespace strata
