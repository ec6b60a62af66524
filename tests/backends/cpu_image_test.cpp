// The oneDNN backend's image_transform (cpu_image.cpp) against hand-worked cases (identity,
// integer shifts, 90° rotation, every fill mode at the borders, half-pixel bilinear) and
// against a naive double-precision reference loop on random affine matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "strata/backends/backend.hpp"
#include "strata/backends/onednn/onednn_backend.hpp"
#include "support/device_buffers.hpp"
#include "support/expect_error.hpp"

namespace strata {
namespace {

constexpr int kReflect = 0, kConstant = 1, kNearest = 2, kWrap = 3;

using test::Dev;

class CpuImage : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> be = make_onednn_backend();

  Dev upload(const std::vector<float>& host, const Shape& s) {
    Dev d{be->allocate(host.size() * sizeof(float)), {}};
    d.v = View{d.buf->data(), s};
    be->copy_from_host(d.v.data, host.data(), host.size() * sizeof(float));
    return d;
  }
  // Runs the op on host data and returns the output.
  std::vector<float> warp(const std::vector<float>& x, const Shape& xs, const Shape& ys,
                          const std::vector<float>& m, bool bilinear, int mode,
                          float fill = 0.f) {
    Dev dx = upload(x, xs);
    Dev dy = upload(std::vector<float>(static_cast<size_t>(ys.numel()), -123.f), ys);
    be->image_transform(dx.v, dy.v, m.data(), bilinear, mode, fill);
    std::vector<float> out(static_cast<size_t>(ys.numel()));
    be->copy_to_host(out.data(), dy.v.data, out.size() * sizeof(float));
    return out;
  }
};

std::vector<float> iota_image(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f + 1.f;
  return v;
}

// ---- reference: padding by explicit folding, interpolation in double ----------------------

// Index i of an axis of length n, extended per mode by stepping one period at a time; -1 for
// the constant fill.
int64_t ref_index(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case kNearest: return i < 0 ? 0 : n - 1;
    case kWrap:
      while (i < 0) i += n;
      while (i >= n) i -= n;
      return i;
    case kReflect:
      // Fold about -0.5 and n - 0.5 until inside.
      while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
      return i;
    default: return -1;
  }
}

std::vector<float> ref_warp(const std::vector<float>& x, const Shape& xs, const Shape& ys,
                            const std::vector<float>& m, bool bilinear, int mode, float fill) {
  const int64_t h = xs[1], w = xs[2], ch = xs[3];
  std::vector<float> y(static_cast<size_t>(ys.numel()));
  size_t o = 0;
  for (int64_t s = 0; s < ys[0]; ++s) {
    auto pixel = [&](int64_t r, int64_t c, int64_t k) -> double {
      r = ref_index(r, h, mode);
      c = ref_index(c, w, mode);
      if (r < 0 || c < 0) return fill;
      return x[static_cast<size_t>(((s * h + r) * w + c) * ch + k)];
    };
    const float* a = m.data() + s * 6;
    for (int64_t r = 0; r < ys[1]; ++r)
      for (int64_t c = 0; c < ys[2]; ++c) {
        const double rr = double(a[0]) * r + double(a[1]) * c + a[2];
        const double cc = double(a[3]) * r + double(a[4]) * c + a[5];
        for (int64_t k = 0; k < ch; ++k, ++o) {
          if (!bilinear) {
            const auto ri = static_cast<int64_t>(std::round(rr));
            const auto ci = static_cast<int64_t>(std::round(cc));
            y[o] = static_cast<float>(pixel(ri, ci, k));
            continue;
          }
          const auto r0 = static_cast<int64_t>(std::floor(rr));
          const auto c0 = static_cast<int64_t>(std::floor(cc));
          const double fr = rr - r0, fc = cc - c0;
          const double top = (1 - fc) * pixel(r0, c0, k) + fc * pixel(r0, c0 + 1, k);
          const double bottom = (1 - fc) * pixel(r0 + 1, c0, k) + fc * pixel(r0 + 1, c0 + 1, k);
          y[o] = static_cast<float>((1 - fr) * top + fr * bottom);
        }
      }
  }
  return y;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol * (1.f + std::fabs(want[i]))) << "element " << i;
}

// ---- tests --------------------------------------------------------------------------------

TEST_F(CpuImage, IdentityCopiesExactly) {
  const Shape s{2, 5, 7, 3};
  const auto x = iota_image(s.numel());
  const std::vector<float> id = {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0};
  for (bool bilinear : {false, true})
    for (int mode : {kReflect, kConstant, kNearest, kWrap})
      EXPECT_EQ(warp(x, s, s, id, bilinear, mode, 9.f), x);
}

TEST_F(CpuImage, IdentityKeepsNonFiniteNeighboursOut) {
  // Zero-weight taps are skipped: an inf pixel must not turn its neighbours into NaN.
  std::vector<float> x = {1, std::numeric_limits<float>::infinity(), 3, 4};
  const Shape s{1, 2, 2, 1};
  auto y = warp(x, s, s, {1, 0, 0, 0, 1, 0}, true, kReflect);
  EXPECT_EQ(y[0], 1.f);
  EXPECT_TRUE(std::isinf(y[1]));
  EXPECT_EQ(y[2], 3.f);
  EXPECT_EQ(y[3], 4.f);
}

TEST_F(CpuImage, IntegerTranslation) {
  // r' = r - 2, c' = c + 1: the content moves down 2 rows and left 1 column.
  const Shape s{1, 4, 5, 2};
  const auto x = iota_image(s.numel());
  for (bool bilinear : {false, true}) {
    auto y = warp(x, s, s, {1, 0, -2, 0, 1, 1}, bilinear, kConstant, -1.f);
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t c = 0; c < 5; ++c)
        for (int64_t k = 0; k < 2; ++k) {
          const int64_t sr = r - 2, sc = c + 1;
          const float want = (sr >= 0 && sc < 5) ? x[static_cast<size_t>((sr * 5 + sc) * 2 + k)]
                                                 : -1.f;
          EXPECT_EQ(y[static_cast<size_t>((r * 5 + c) * 2 + k)], want) << r << "," << c;
        }
  }
}

TEST_F(CpuImage, QuarterTurnIsRot90) {
  // Keras' 90° counter-clockwise rotation about the centre of an n x n image: out[r][c] =
  // in[c][n-1-r], i.e. numpy.rot90.
  const int64_t n = 5;
  const Shape s{1, n, n, 1};
  const auto x = iota_image(s.numel());
  for (bool bilinear : {false, true}) {
    auto y = warp(x, s, s, {0, 1, 0, -1, 0, float(n - 1)}, bilinear, kReflect);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < n; ++c)
        EXPECT_EQ(y[static_cast<size_t>(r * n + c)], x[static_cast<size_t>(c * n + n - 1 - r)]);
  }
}

TEST_F(CpuImage, FillModesAtTheBorders) {
  // A 1x4 row "a b c d" = 1 2 3 4 read at columns -4 .. 7 (and the same as a 4x1 column).
  const std::vector<float> x = {1, 2, 3, 4};
  struct Case {
    int mode;
    std::vector<float> want;
  };
  const std::vector<Case> cases = {
      {kReflect, {4, 3, 2, 1, 1, 2, 3, 4, 4, 3, 2, 1}},
      {kWrap, {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}},
      {kNearest, {1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4}},
      {kConstant, {9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 9, 9}},
  };
  for (const auto& k : cases)
    for (bool bilinear : {false, true}) {
      EXPECT_EQ(warp(x, Shape{1, 1, 4, 1}, Shape{1, 1, 12, 1}, {1, 0, 0, 0, 1, -4}, bilinear,
                     k.mode, 9.f),
                k.want)
          << "mode " << k.mode << " bilinear " << bilinear;
      EXPECT_EQ(warp(x, Shape{1, 4, 1, 1}, Shape{1, 12, 1, 1}, {1, 0, -4, 0, 1, 0}, bilinear,
                     k.mode, 9.f),
                k.want)
          << "rows, mode " << k.mode << " bilinear " << bilinear;
    }
  // Far out, reflect keeps its period of 2n: column -5 is d, column 15 is a.
  EXPECT_EQ(warp(x, Shape{1, 1, 4, 1}, Shape{1, 1, 2, 1}, {1, 0, 0, 0, 20, -5}, false, kReflect),
            (std::vector<float>{4, 1}));
}

TEST_F(CpuImage, BilinearAtHalfPixels) {
  const std::vector<float> x = {1, 2, 3, 4};
  const Shape xs{1, 1, 4, 1}, ys{1, 1, 4, 1};
  // c' = c + 0.5: averages of neighbours; the last one reaches column 4.
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, 0.5f}, true, kReflect),
            (std::vector<float>{1.5f, 2.5f, 3.5f, 4.f}));
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, 0.5f}, true, kWrap),
            (std::vector<float>{1.5f, 2.5f, 3.5f, 2.5f}));
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, 0.5f}, true, kNearest),
            (std::vector<float>{1.5f, 2.5f, 3.5f, 4.f}));
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, 0.5f}, true, kConstant, 10.f),
            (std::vector<float>{1.5f, 2.5f, 3.5f, 7.f}));
  // c' = c - 0.5: the first one reaches column -1.
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, -0.5f}, true, kReflect),
            (std::vector<float>{1.f, 1.5f, 2.5f, 3.5f}));
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, -0.5f}, true, kWrap),
            (std::vector<float>{2.5f, 1.5f, 2.5f, 3.5f}));
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, -0.5f}, true, kConstant, 10.f),
            (std::vector<float>{5.5f, 1.5f, 2.5f, 3.5f}));
  // Both axes at once on a 2x2 image: the centre is the mean of the four pixels.
  EXPECT_EQ(warp(x, Shape{1, 2, 2, 1}, Shape{1, 1, 1, 1}, {1, 0, 0.5f, 0, 1, 0.5f}, true,
                 kReflect),
            (std::vector<float>{2.5f}));
  // Nearest rounds halves away from zero: 0.5 -> 1, -0.5 -> -1 (outside: the fill value).
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, 0.5f}, false, kConstant, 10.f),
            (std::vector<float>{2, 3, 4, 10}));
  EXPECT_EQ(warp(x, xs, ys, {1, 0, 0, 0, 1, -0.5f}, false, kConstant, 10.f),
            (std::vector<float>{10, 2, 3, 4}));
}

TEST_F(CpuImage, PerSampleMatrices) {
  const Shape s{2, 1, 3, 1};
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  // Sample 0 unchanged, sample 1 flipped left-right.
  EXPECT_EQ(warp(x, s, s, {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, -1, 2}, false, kConstant),
            (std::vector<float>{1, 2, 3, 6, 5, 4}));
}

TEST_F(CpuImage, RandomAffineMatchesReference) {
  // 4 x 48 x 60 x 3 outputs: large enough for the OpenMP path; output size differs from input.
  const Shape xs{4, 37, 45, 3}, ys{4, 48, 60, 3};
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> val(-2.f, 2.f), lin(-1.3f, 1.3f), off(-30.f, 60.f);
  std::vector<float> x(static_cast<size_t>(xs.numel()));
  for (auto& v : x) v = val(gen);
  std::vector<float> m(4 * 6);
  for (int s = 0; s < 4; ++s) {
    m[s * 6 + 0] = lin(gen), m[s * 6 + 1] = lin(gen), m[s * 6 + 2] = off(gen);
    m[s * 6 + 3] = lin(gen), m[s * 6 + 4] = lin(gen), m[s * 6 + 5] = off(gen);
  }
  for (bool bilinear : {false, true})
    for (int mode : {kReflect, kConstant, kNearest, kWrap}) {
      SCOPED_TRACE(testing::Message() << "mode " << mode << " bilinear " << bilinear);
      auto got = warp(x, xs, ys, m, bilinear, mode, 0.25f);
      auto want = ref_warp(x, xs, ys, m, bilinear, mode, 0.25f);
      if (bilinear) {
        expect_near_all(got, want, 1e-4f);
      } else {
        // Nearest can legitimately pick the other pixel when float and double land on opposite
        // sides of a half; allow a handful of such ties.
        int differ = 0;
        for (size_t i = 0; i < got.size(); ++i) differ += got[i] != want[i];
        EXPECT_LE(differ, 6);
      }
    }
}

TEST_F(CpuImage, NonFiniteCoordinatesReadTheFillValue) {
  const std::vector<float> x = {1, 2, 3, 4};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int mode : {kReflect, kWrap, kNearest, kConstant})
    EXPECT_EQ(warp(x, Shape{1, 1, 4, 1}, Shape{1, 1, 1, 1}, {1, 0, 0, 0, 1, nan}, true, mode, 7.f),
              (std::vector<float>{7.f}));
}

TEST_F(CpuImage, RejectsBadArguments) {
  Dev x = upload(std::vector<float>(24, 1.f), Shape{1, 2, 3, 4});
  Dev y = upload(std::vector<float>(24, 1.f), Shape{1, 2, 3, 4});
  Dev y3 = upload(std::vector<float>(24, 1.f), Shape{2, 3, 4});
  Dev yc = upload(std::vector<float>(18, 1.f), Shape{1, 2, 3, 3});
  const std::vector<float> m = {1, 0, 0, 0, 1, 0};
  test::expect_value_error([&] { be->image_transform(x.v, y.v, m.data(), true, 4, 0.f); },
                           {"image_transform", "fill_mode", "got 4"});
  test::expect_value_error([&] { be->image_transform(x.v, y3.v, m.data(), true, 0, 0.f); },
                           {"image_transform", "(2, 3, 4)"});
  test::expect_value_error([&] { be->image_transform(x.v, yc.v, m.data(), true, 0, 0.f); },
                           {"image_transform", "channels"});
  test::expect_value_error([&] { be->image_transform(x.v, x.v, m.data(), true, 0, 0.f); },
                           {"image_transform", "alias"});
}

}  // namespace
}  // namespace strata
