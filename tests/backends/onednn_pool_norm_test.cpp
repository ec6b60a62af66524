// Conformance of pooling, batch / layer normalisation, resampling and window copies, on every
// backend compiled into this build, against naive reference loops in double precision. Only the
// Backend API is used, so a device backend runs the very same checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

void expect_close(const std::vector<float>& got, const std::vector<double>& want, double rtol,
                  double atol) {
  ASSERT_EQ(got.size(), want.size());
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i])) continue;
    ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want[i];
    if (++reported == 5) return;
  }
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

class PoolNormConformance : public ::testing::TestWithParam<std::string> {
 protected:
  Backend& be() { return backend_by_name(GetParam()); }
};

// ---- pooling -------------------------------------------------------------------------------

// Keras 'same' padding of one dim: the output is ceil(in / stride) and the extra goes last.
void set_same(WindowParams& p, int d, int64_t in, int64_t k, int64_t s) {
  const int64_t out = (in + s - 1) / s;
  const int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
  p.kernel[d] = k;
  p.strides[d] = s;
  p.pad_begin[d] = total / 2;
  p.pad_end[d] = total - total / 2;
}

Shape pooled_shape(const Shape& x, const WindowParams& p) {
  Shape y = x;
  for (int d = 0; d < p.spatial; ++d)
    y[d + 1] = (x[d + 1] + p.pad_begin[d] + p.pad_end[d] - p.kernel[d]) / p.strides[d] + 1;
  return y;
}

// Every output position with the flat input indices of the real (unpadded) pixels under it, in
// window order; 1-D is 2-D with H = 1.
struct PoolRef {
  std::vector<std::vector<int64_t>> windows;  // per output element
};

PoolRef pool_windows(const Shape& x, const Shape& y, const WindowParams& p) {
  const bool two = p.spatial == 2;
  const int64_t n = x[0], c = x[x.rank() - 1];
  const int64_t h = two ? x[1] : 1, w = x[x.rank() - 2];
  const int64_t oh = two ? y[1] : 1, ow = y[y.rank() - 2];
  const int64_t kh = two ? p.kernel[0] : 1, kw = p.kernel[p.spatial - 1];
  const int64_t sh = two ? p.strides[0] : 1, sw = p.strides[p.spatial - 1];
  const int64_t ph = two ? p.pad_begin[0] : 0, pw = p.pad_begin[p.spatial - 1];
  PoolRef r;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t ch = 0; ch < c; ++ch) {
          std::vector<int64_t> idx;
          for (int64_t a = 0; a < kh; ++a)
            for (int64_t e = 0; e < kw; ++e) {
              const int64_t hi = i * sh - ph + a, wi = j * sw - pw + e;
              if (hi >= 0 && hi < h && wi >= 0 && wi < w)
                idx.push_back(((b * h + hi) * w + wi) * c + ch);
            }
          r.windows.push_back(idx);
        }
  return r;
}

void check_pool(Backend& be, PoolKind kind, const Shape& xs, const WindowParams& p,
                uint32_t seed) {
  SCOPED_TRACE(std::string(kind == PoolKind::max ? "max" : "avg") + " pooling of " + xs.str());
  const Shape ys = pooled_shape(xs, p);
  const auto xh = random_vec(xs.numel(), -2.f, 2.f, seed);
  const auto dyh = random_vec(ys.numel(), -1.f, 1.f, seed + 1);
  const PoolRef ref = pool_windows(xs, ys, p);

  std::vector<double> y_ref(ys.numel()), dx_ref(xs.numel(), 0.0);
  for (size_t o = 0; o < ref.windows.size(); ++o) {
    const auto& win = ref.windows[o];
    ASSERT_FALSE(win.empty());
    if (kind == PoolKind::max) {
      int64_t best = win[0];
      for (int64_t i : win)
        if (xh[i] > xh[best]) best = i;
      y_ref[o] = xh[best];
      dx_ref[best] += dyh[o];
    } else {
      double s = 0;
      for (int64_t i : win) s += xh[i];
      y_ref[o] = s / static_cast<double>(win.size());
      for (int64_t i : win) dx_ref[i] += dyh[o] / static_cast<double>(win.size());
    }
  }

  Dev x = upload(be, xh, xs), y_train = make(be, ys), y_inf = make(be, ys);
  const PayloadPtr saved = be.pool_forward(kind, x.v, y_train.v, p, true);
  const PayloadPtr none = be.pool_forward(kind, x.v, y_inf.v, p, false);
  EXPECT_EQ(none, nullptr);
  if (kind == PoolKind::max) EXPECT_NE(saved, nullptr);
  expect_close(download(be, y_train.v), y_ref, 1e-6, 1e-6);
  EXPECT_EQ(download(be, y_train.v), download(be, y_inf.v));

  Dev dy = upload(be, dyh, ys), dx = make(be, xs);
  be.fill(dx.v, 123.0);  // backward overwrites every element, padding-free ones included
  be.pool_backward(kind, dy.v, saved.get(), dx.v, p);
  expect_close(download(be, dx.v), dx_ref, 1e-5, 1e-6);
}

TEST_P(PoolNormConformance, Pooling2DSameAndValid) {
  for (PoolKind kind : {PoolKind::max, PoolKind::average}) {
    WindowParams p;  // 5x5, pool 2, stride 2, 'same': pad_end 1 on both dims
    set_same(p, 0, 5, 2, 2);
    set_same(p, 1, 5, 2, 2);
    ASSERT_EQ(p.pad_end[0], 1);
    ASSERT_EQ(p.pad_begin[0], 0);
    check_pool(be(), kind, Shape{2, 5, 5, 3}, p, 1);

    WindowParams q;  // 3x3 stride 1 'same': pads 1/1, corners average 4 real pixels
    set_same(q, 0, 6, 3, 1);
    set_same(q, 1, 7, 3, 1);
    check_pool(be(), kind, Shape{2, 6, 7, 4}, q, 2);

    WindowParams r;  // different windows and strides per dim, asymmetric 'same' padding
    set_same(r, 0, 7, 3, 2);
    set_same(r, 1, 8, 2, 3);
    check_pool(be(), kind, Shape{3, 7, 8, 5}, r, 3);

    WindowParams v;  // 'valid' with a leftover row and column
    v.kernel[0] = v.kernel[1] = 2;
    v.strides[0] = v.strides[1] = 2;
    check_pool(be(), kind, Shape{2, 7, 5, 3}, v, 4);
  }
}

TEST_P(PoolNormConformance, Pooling1D) {
  for (PoolKind kind : {PoolKind::max, PoolKind::average}) {
    WindowParams p;
    p.spatial = 1;
    set_same(p, 0, 5, 2, 2);
    ASSERT_EQ(p.pad_end[0], 1);
    check_pool(be(), kind, Shape{3, 5, 2}, p, 5);
    WindowParams q;
    q.spatial = 1;
    set_same(q, 0, 9, 3, 2);
    check_pool(be(), kind, Shape{2, 9, 6}, q, 6);
    WindowParams v;
    v.spatial = 1;
    v.kernel[0] = 3;
    v.strides[0] = 1;
    check_pool(be(), kind, Shape{2, 8, 3}, v, 7);
  }
}

TEST_P(PoolNormConformance, PoolingRejectsBadShapesAndPayloads) {
  WindowParams p;
  set_same(p, 0, 5, 2, 2);
  set_same(p, 1, 5, 2, 2);
  Dev x = make(be(), Shape{2, 5, 5, 3}), y = make(be(), Shape{2, 3, 3, 3});
  Dev bad = make(be(), Shape{2, 2, 2, 3});
  const std::string e1 =
      error_of([&] { be().pool_forward(PoolKind::max, x.v, bad.v, p, false); });
  EXPECT_NE(e1.find("pool_forward"), std::string::npos) << e1;
  EXPECT_NE(e1.find("(2, 2, 2, 3)"), std::string::npos) << e1;

  const std::string e2 =
      error_of([&] { be().pool_backward(PoolKind::max, y.v, nullptr, x.v, p); });
  EXPECT_NE(e2.find("pool_backward"), std::string::npos) << e2;

  // A payload of another op, and one of a pooling with another geometry.
  Dev ln = make(be(), Shape{4, 3});
  const PayloadPtr foreign = be().layernorm_forward(ln.v, ln.v, nullptr, nullptr, 1e-3f);
  EXPECT_NE(error_of([&] { be().pool_backward(PoolKind::max, y.v, foreign.get(), x.v, p); }),
            "no error");
  WindowParams q;
  q.kernel[0] = q.kernel[1] = 3;
  q.strides[0] = q.strides[1] = 2;
  q.pad_begin[0] = q.pad_begin[1] = 1;
  q.pad_end[0] = q.pad_end[1] = 1;
  const PayloadPtr other = be().pool_forward(PoolKind::max, x.v, y.v, q, true);
  EXPECT_NE(error_of([&] { be().pool_backward(PoolKind::max, y.v, other.get(), x.v, p); }),
            "no error");
  // Average pooling needs no payload at all.
  EXPECT_EQ(error_of([&] { be().pool_backward(PoolKind::average, y.v, nullptr, x.v, p); }),
            "no error");
}

// ---- batch normalisation -------------------------------------------------------------------

struct BnRef {
  std::vector<double> mean, var, y;
};

// Per-channel statistics over every leading position; biased variance.
BnRef bn_stats(const std::vector<float>& x, int64_t c) {
  const int64_t rows = static_cast<int64_t>(x.size()) / c;
  BnRef r{std::vector<double>(c, 0.0), std::vector<double>(c, 0.0), {}};
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < c; ++j) r.mean[j] += x[i * c + j];
  for (auto& m : r.mean) m /= static_cast<double>(rows);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < c; ++j) r.var[j] += std::pow(x[i * c + j] - r.mean[j], 2);
  for (auto& v : r.var) v /= static_cast<double>(rows);
  return r;
}

std::vector<double> bn_apply(const std::vector<float>& x, const std::vector<double>& mean,
                             const std::vector<double>& var, const std::vector<float>* g,
                             const std::vector<float>* b, double eps) {
  const int64_t c = static_cast<int64_t>(mean.size());
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t j = static_cast<int64_t>(i) % c;
    y[i] = (x[i] - mean[j]) / std::sqrt(var[j] + eps) * (g ? (*g)[j] : 1.0) + (b ? (*b)[j] : 0.0);
  }
  return y;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

TEST_P(PoolNormConformance, BatchNormTrainingAndInferenceForward) {
  const Shape xs{4, 3, 5, 6};
  const int64_t c = 6;
  const float eps = 1e-3f;
  const auto xh = random_vec(xs.numel(), -1.f, 3.f, 11);
  const auto gh = random_vec(c, 0.5f, 2.f, 12), bh = random_vec(c, -1.f, 1.f, 13);
  Dev x = upload(be(), xh, xs), y = make(be(), xs), g = upload(be(), gh, Shape{c}),
      b = upload(be(), bh, Shape{c}), mean = make(be(), Shape{c}), var = make(be(), Shape{c});
  const BnRef ref = bn_stats(xh, c);

  for (bool affine : {true, false}) {
    SCOPED_TRACE(affine ? "with gamma/beta" : "without gamma/beta");
    be().batchnorm_forward(x.v, y.v, affine ? &g.v : nullptr, affine ? &b.v : nullptr, mean.v,
                           var.v, eps, true);
    expect_close(download(be(), mean.v), ref.mean, 1e-5, 1e-6);
    expect_close(download(be(), var.v), ref.var, 1e-5, 1e-6);
    expect_close(download(be(), y.v),
                 bn_apply(xh, ref.mean, ref.var, affine ? &gh : nullptr, affine ? &bh : nullptr,
                          eps),
                 1e-4, 1e-5);
  }
  // Only gamma, only beta.
  be().batchnorm_forward(x.v, y.v, &g.v, nullptr, mean.v, var.v, eps, true);
  expect_close(download(be(), y.v), bn_apply(xh, ref.mean, ref.var, &gh, nullptr, eps), 1e-4,
               1e-5);
  be().batchnorm_forward(x.v, y.v, nullptr, &b.v, mean.v, var.v, eps, true);
  expect_close(download(be(), y.v), bn_apply(xh, ref.mean, ref.var, nullptr, &bh, eps), 1e-4,
               1e-5);

  // Inference normalises with the given (moving) statistics and leaves them alone.
  const auto mh = random_vec(c, -0.5f, 0.5f, 14), vh = random_vec(c, 0.2f, 2.f, 15);
  Dev m2 = upload(be(), mh, Shape{c}), v2 = upload(be(), vh, Shape{c});
  for (bool affine : {true, false}) {
    be().batchnorm_forward(x.v, y.v, affine ? &g.v : nullptr, affine ? &b.v : nullptr, m2.v,
                           v2.v, eps, false);
    expect_close(download(be(), y.v),
                 bn_apply(xh, to_double(mh), to_double(vh), affine ? &gh : nullptr,
                          affine ? &bh : nullptr, eps),
                 1e-4, 1e-5);
    EXPECT_EQ(download(be(), m2.v), mh);
    EXPECT_EQ(download(be(), v2.v), vh);
  }
}

// dx, dgamma, dbeta of y = gamma * xhat + beta with batch statistics (rows = leading positions).
struct NormGrads {
  std::vector<double> dx, dgamma, dbeta;
};

NormGrads bn_grads(const std::vector<float>& x, const std::vector<float>& dy,
                   const std::vector<float>* g, int64_t c, double eps) {
  const int64_t rows = static_cast<int64_t>(x.size()) / c;
  const BnRef s = bn_stats(x, c);
  NormGrads r{std::vector<double>(x.size()), std::vector<double>(c, 0.0),
              std::vector<double>(c, 0.0)};
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < c; ++j) {
      const double xhat = (x[i * c + j] - s.mean[j]) / std::sqrt(s.var[j] + eps);
      r.dbeta[j] += dy[i * c + j];
      r.dgamma[j] += dy[i * c + j] * xhat;
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < c; ++j) {
      const double inv = 1.0 / std::sqrt(s.var[j] + eps);
      const double xhat = (x[i * c + j] - s.mean[j]) * inv;
      const double gj = g ? (*g)[j] : 1.0;
      r.dx[i * c + j] = gj * inv *
                        (dy[i * c + j] - r.dbeta[j] / static_cast<double>(rows) -
                         xhat * r.dgamma[j] / static_cast<double>(rows));
    }
  return r;
}

TEST_P(PoolNormConformance, BatchNormBackward) {
  const Shape xs{8, 5, 7};
  const int64_t c = 7;
  const float eps = 1e-3f;
  const auto xh = random_vec(xs.numel(), -2.f, 2.f, 21);
  const auto dyh = random_vec(xs.numel(), -1.f, 1.f, 22);
  const auto gh = random_vec(c, 0.5f, 2.f, 23), bh = random_vec(c, -1.f, 1.f, 24);
  Dev x = upload(be(), xh, xs), y = make(be(), xs), dy = upload(be(), dyh, xs),
      dx = make(be(), xs), g = upload(be(), gh, Shape{c}), b = upload(be(), bh, Shape{c}),
      mean = make(be(), Shape{c}), var = make(be(), Shape{c}), dg = make(be(), Shape{c}),
      db = make(be(), Shape{c});

  struct Case {
    bool gamma, dgamma, dbeta;
  };
  for (Case k : {Case{true, true, true}, Case{false, false, false}, Case{true, false, true},
                 Case{true, true, false}, Case{false, true, true}, Case{true, false, false}}) {
    SCOPED_TRACE("gamma " + std::to_string(k.gamma) + " dgamma " + std::to_string(k.dgamma) +
                 " dbeta " + std::to_string(k.dbeta));
    const View* gp = k.gamma ? &g.v : nullptr;
    be().batchnorm_forward(x.v, y.v, gp, k.gamma ? &b.v : nullptr, mean.v, var.v, eps, true);
    be().fill(dg.v, 77.0);
    be().fill(db.v, 77.0);
    be().batchnorm_backward(dy.v, x.v, gp, mean.v, var.v, dx.v, k.dgamma ? &dg.v : nullptr,
                            k.dbeta ? &db.v : nullptr, eps);
    const NormGrads ref = bn_grads(xh, dyh, k.gamma ? &gh : nullptr, c, eps);
    expect_close(download(be(), dx.v), ref.dx, 1e-4, 1e-5);
    if (k.dgamma) expect_close(download(be(), dg.v), ref.dgamma, 1e-4, 1e-5);
    if (k.dbeta) expect_close(download(be(), db.v), ref.dbeta, 1e-4, 1e-5);
    // Gradients nobody asked for are not written.
    if (!k.dgamma) EXPECT_EQ(download(be(), dg.v), std::vector<float>(c, 77.f));
    if (!k.dbeta) EXPECT_EQ(download(be(), db.v), std::vector<float>(c, 77.f));
  }
}

TEST_P(PoolNormConformance, BatchNormRejectsBadShapes) {
  Dev x = make(be(), Shape{4, 6}), y = make(be(), Shape{4, 6}), m = make(be(), Shape{6}),
      v = make(be(), Shape{6}), g5 = make(be(), Shape{5}), y2 = make(be(), Shape{6, 4});
  const std::string e = error_of(
      [&] { be().batchnorm_forward(x.v, y.v, &g5.v, nullptr, m.v, v.v, 1e-3f, true); });
  EXPECT_NE(e.find("batchnorm_forward"), std::string::npos) << e;
  EXPECT_NE(e.find("gamma"), std::string::npos) << e;
  EXPECT_NE(error_of([&] {
              be().batchnorm_forward(x.v, y2.v, nullptr, nullptr, m.v, v.v, 1e-3f, true);
            }),
            "no error");
  EXPECT_NE(error_of([&] {
              be().batchnorm_backward(y.v, x.v, nullptr, m.v, g5.v, x.v, nullptr, nullptr,
                                      1e-3f);
            }),
            "no error");
}

// ---- layer normalisation -------------------------------------------------------------------

TEST_P(PoolNormConformance, LayerNormForwardAndBackward) {
  const Shape xs{3, 4, 10};
  const int64_t c = 10, rows = 12;
  const float eps = 1e-3f;
  const auto xh = random_vec(xs.numel(), -2.f, 3.f, 31);
  const auto dyh = random_vec(xs.numel(), -1.f, 1.f, 32);
  const auto gh = random_vec(c, 0.5f, 2.f, 33), bh = random_vec(c, -1.f, 1.f, 34);
  Dev x = upload(be(), xh, xs), y = make(be(), xs), dy = upload(be(), dyh, xs),
      dx = make(be(), xs), g = upload(be(), gh, Shape{c}), b = upload(be(), bh, Shape{c}),
      dg = make(be(), Shape{c}), db = make(be(), Shape{c});

  for (bool affine : {true, false}) {
    SCOPED_TRACE(affine ? "with gamma/beta" : "without gamma/beta");
    std::vector<double> y_ref(xh.size()), dx_ref(xh.size()), dg_ref(c, 0.0), db_ref(c, 0.0);
    for (int64_t i = 0; i < rows; ++i) {
      double mu = 0, var = 0;
      for (int64_t j = 0; j < c; ++j) mu += xh[i * c + j];
      mu /= c;
      for (int64_t j = 0; j < c; ++j) var += std::pow(xh[i * c + j] - mu, 2);
      var /= c;
      const double inv = 1.0 / std::sqrt(var + eps);
      double mean_gd = 0, mean_gdx = 0;
      for (int64_t j = 0; j < c; ++j) {
        const double xhat = (xh[i * c + j] - mu) * inv, gj = affine ? gh[j] : 1.0;
        y_ref[i * c + j] = xhat * gj + (affine ? bh[j] : 0.0);
        mean_gd += gj * dyh[i * c + j] / c;
        mean_gdx += gj * dyh[i * c + j] * xhat / c;
        dg_ref[j] += dyh[i * c + j] * xhat;
        db_ref[j] += dyh[i * c + j];
      }
      for (int64_t j = 0; j < c; ++j) {
        const double xhat = (xh[i * c + j] - mu) * inv, gj = affine ? gh[j] : 1.0;
        dx_ref[i * c + j] = inv * (gj * dyh[i * c + j] - mean_gd - xhat * mean_gdx);
      }
    }
    const View* gp = affine ? &g.v : nullptr;
    const PayloadPtr saved = be().layernorm_forward(x.v, y.v, gp, affine ? &b.v : nullptr, eps);
    ASSERT_NE(saved, nullptr);
    expect_close(download(be(), y.v), y_ref, 1e-4, 1e-5);
    be().layernorm_backward(dy.v, x.v, gp, *saved, dx.v, &dg.v, &db.v, eps);
    expect_close(download(be(), dx.v), dx_ref, 1e-4, 1e-5);
    expect_close(download(be(), dg.v), dg_ref, 1e-4, 1e-5);
    expect_close(download(be(), db.v), db_ref, 1e-4, 1e-5);
    // dx alone (no parameter gradients).
    be().fill(dx.v, 0.0);
    be().layernorm_backward(dy.v, x.v, gp, *saved, dx.v, nullptr, nullptr, eps);
    expect_close(download(be(), dx.v), dx_ref, 1e-4, 1e-5);
  }
}

TEST_P(PoolNormConformance, LayerNormRejectsForeignPayloads) {
  Dev x = make(be(), Shape{4, 6}), other = make(be(), Shape{3, 6});
  be().fill(x.v, 1.0);
  be().fill(other.v, 1.0);
  const PayloadPtr saved = be().layernorm_forward(other.v, other.v, nullptr, nullptr, 1e-3f);
  const std::string e = error_of(
      [&] { be().layernorm_backward(x.v, x.v, nullptr, *saved, x.v, nullptr, nullptr, 1e-3f); });
  EXPECT_NE(e.find("layernorm_backward"), std::string::npos) << e;
  WindowParams p;
  p.spatial = 1;
  p.kernel[0] = p.strides[0] = 2;
  Dev px = make(be(), Shape{1, 4, 6}), py = make(be(), Shape{1, 2, 6});
  const PayloadPtr pool = be().pool_forward(PoolKind::max, px.v, py.v, p, true);
  EXPECT_NE(error_of([&] {
              be().layernorm_backward(x.v, x.v, nullptr, *pool, x.v, nullptr, nullptr, 1e-3f);
            }),
            "no error");
}

// ---- resampling ----------------------------------------------------------------------------

// Output pixel -> (input pixel, weight) list along one axis. Bilinear follows TF's
// half_pixel_centers rule: in = (o + 0.5) * in_size / out_size - 0.5, neighbours floor / ceil
// clamped to the image, weight from the unclamped fraction.
std::vector<std::vector<std::pair<int64_t, double>>> axis_taps(int64_t in, int64_t out,
                                                               bool bilinear) {
  std::vector<std::vector<std::pair<int64_t, double>>> taps(out);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double src = (o + 0.5) * scale - 0.5;
    if (!bilinear) {
      taps[o] = {{std::min<int64_t>(static_cast<int64_t>(std::floor((o + 0.5) * scale)), in - 1),
                  1.0}};
      continue;
    }
    const double fl = std::floor(src);
    const int64_t lo = std::max<int64_t>(static_cast<int64_t>(fl), 0);
    const int64_t hi = std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1);
    const double frac = src - fl;
    taps[o] = {{lo, 1.0 - frac}, {hi, frac}};
  }
  return taps;
}

void check_resample(Backend& be, const Shape& xs, const Shape& ys, bool bilinear,
                    uint32_t seed) {
  SCOPED_TRACE(std::string(bilinear ? "bilinear " : "nearest ") + xs.str() + " -> " + ys.str());
  const int r = xs.rank();
  const int64_t n = xs[0], c = xs[r - 1];
  const int64_t h = r == 4 ? xs[1] : 1, w = xs[r - 2], oh = r == 4 ? ys[1] : 1, ow = ys[r - 2];
  const auto th = axis_taps(h, oh, bilinear), tw = axis_taps(w, ow, bilinear);
  const auto xh = random_vec(xs.numel(), -1.f, 1.f, seed);
  const auto dyh = random_vec(ys.numel(), -1.f, 1.f, seed + 1);
  std::vector<double> y_ref(ys.numel(), 0.0), dx_ref(xs.numel(), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (auto [hi, wh] : th[i])
          for (auto [wi, ww] : tw[j])
            for (int64_t ch = 0; ch < c; ++ch) {
              const int64_t o = ((b * oh + i) * ow + j) * c + ch;
              const int64_t s = ((b * h + hi) * w + wi) * c + ch;
              y_ref[o] += wh * ww * xh[s];
              dx_ref[s] += wh * ww * dyh[o];
            }
  Dev x = upload(be, xh, xs), y = make(be, ys), dy = upload(be, dyh, ys), dx = make(be, xs);
  be.resample_forward(x.v, y.v, bilinear);
  expect_close(download(be, y.v), y_ref, 1e-5, 1e-6);
  be.fill(dx.v, 5.0);
  be.resample_backward(dy.v, dx.v, bilinear);
  expect_close(download(be, dx.v), dx_ref, 1e-5, 1e-5);
}

TEST_P(PoolNormConformance, ResampleNearestAndBilinearFactors2And3) {
  for (bool bilinear : {false, true}) {
    check_resample(be(), Shape{2, 4, 5, 3}, Shape{2, 8, 10, 3}, bilinear, 41);
    check_resample(be(), Shape{2, 4, 5, 3}, Shape{2, 12, 15, 3}, bilinear, 42);
    check_resample(be(), Shape{1, 3, 4, 2}, Shape{1, 6, 12, 2}, bilinear, 43);  // (2, 3)
    check_resample(be(), Shape{2, 5, 3}, Shape{2, 15, 3}, bilinear, 44);        // 1-D
  }
}

TEST_P(PoolNormConformance, ResampleRejectsBadShapes) {
  Dev x = make(be(), Shape{2, 4, 4, 3}), y = make(be(), Shape{2, 8, 8, 4});
  const std::string e = error_of([&] { be().resample_forward(x.v, y.v, true); });
  EXPECT_NE(e.find("resample_forward"), std::string::npos) << e;
  EXPECT_NE(e.find("(2, 8, 8, 4)"), std::string::npos) << e;
  Dev flat = make(be(), Shape{8, 3});
  EXPECT_NE(error_of([&] { be().resample_backward(flat.v, flat.v, false); }), "no error");
}

// ---- window copies -------------------------------------------------------------------------

// Copies `small` into / out of `big` at `offsets` and checks every element of both.
template <class T>
void check_window(Backend& be, const Shape& small_s, const Shape& big_s,
                  const std::vector<int64_t>& offsets) {
  SCOPED_TRACE(small_s.str() + " in " + big_s.str());
  const int r = big_s.rank();
  std::vector<T> small_h(small_s.numel()), big_h(big_s.numel());
  for (size_t i = 0; i < small_h.size(); ++i) small_h[i] = static_cast<T>(1000 + i);
  for (size_t i = 0; i < big_h.size(); ++i) big_h[i] = static_cast<T>(-1 - static_cast<int64_t>(i));

  // Flat big index of every small element.
  std::vector<int64_t> where(small_h.size());
  for (int64_t i = 0; i < small_s.numel(); ++i) {
    int64_t rem = i, flat = 0, stride = 1;
    std::vector<int64_t> coord(r);
    for (int d = r - 1; d >= 0; --d) {
      coord[d] = rem % small_s[d];
      rem /= small_s[d];
    }
    for (int d = r - 1; d >= 0; --d) {
      flat += (coord[d] + offsets[d]) * stride;
      stride *= big_s[d];
    }
    where[i] = flat;
  }

  Dev small = upload(be, small_h, small_s), big = upload(be, big_h, big_s);
  be.window_copy(small.v, big.v, offsets, true);
  std::vector<T> want = big_h;
  for (size_t i = 0; i < where.size(); ++i) want[where[i]] = small_h[i];
  EXPECT_EQ(download<T>(be, big.v), want);

  Dev out = make(be, small_s, dtype_of<T>());
  be.copy_from_host(big.v.data, big_h.data(), big_h.size() * sizeof(T));
  be.window_copy(out.v, big.v, offsets, false);
  std::vector<T> got = download<T>(be, out.v);
  for (size_t i = 0; i < where.size(); ++i) ASSERT_EQ(got[i], big_h[where[i]]) << "element " << i;
}

TEST_P(PoolNormConformance, WindowCopyBothDirections) {
  check_window<float>(be(), Shape{2, 3, 2, 3}, Shape{2, 5, 6, 3}, {0, 1, 3, 0});
  check_window<float>(be(), Shape{1, 2, 4, 1}, Shape{3, 4, 4, 5}, {2, 1, 0, 4});
  check_window<float>(be(), Shape{3}, Shape{10}, {7});
  check_window<float>(be(), Shape{4, 2}, Shape{6, 9}, {1, 3});
  check_window<float>(be(), Shape{2, 2, 3, 1, 2}, Shape{3, 4, 5, 2, 2}, {1, 2, 1, 1, 0});
  check_window<float>(be(), Shape{2, 5, 6, 3}, Shape{2, 5, 6, 3}, {0, 0, 0, 0});
  check_window<int32_t>(be(), Shape{2, 3, 2}, Shape{4, 5, 2}, {1, 2, 0});
  check_window<int64_t>(be(), Shape{2, 3, 2}, Shape{4, 5, 2}, {2, 0, 0});
}

TEST_P(PoolNormConformance, WindowCopyRejectsWindowsOutsideBig) {
  Dev small = make(be(), Shape{2, 3}), big = make(be(), Shape{4, 4});
  const std::string e = error_of([&] { be().window_copy(small.v, big.v, {1, 2}, true); });
  EXPECT_NE(e.find("window_copy"), std::string::npos) << e;
  EXPECT_NE(e.find("(1, 2)"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { be().window_copy(small.v, big.v, {0}, true); }), "no error");
  EXPECT_NE(error_of([&] { be().window_copy(small.v, big.v, {-1, 0}, false); }), "no error");
  Dev ints = make(be(), Shape{2, 3}, DType::int32);
  EXPECT_NE(error_of([&] { be().window_copy(ints.v, big.v, {0, 0}, false); }), "no error");
}

// ---- steady state --------------------------------------------------------------------------

TEST_P(PoolNormConformance, RepeatedCallsCreateNoPrimitives) {
  WindowParams p;
  set_same(p, 0, 9, 2, 2);
  set_same(p, 1, 9, 2, 2);
  const Shape xs{4, 9, 9, 8}, ys = pooled_shape(xs, p);
  Dev x = make(be(), xs), y = make(be(), ys), dx = make(be(), xs);
  Dev up = make(be(), Shape{4, 18, 18, 8});
  Dev g = make(be(), Shape{8}), m = make(be(), Shape{8}), v = make(be(), Shape{8}),
      dg = make(be(), Shape{8}), small = make(be(), Shape{4, 5, 5, 8});
  be().fill(x.v, 0.5);
  be().fill(g.v, 1.0);
  auto step = [&] {
    for (PoolKind kind : {PoolKind::max, PoolKind::average}) {
      const PayloadPtr s = be().pool_forward(kind, x.v, y.v, p, true);
      be().pool_backward(kind, y.v, s.get(), dx.v, p);
    }
    be().batchnorm_forward(x.v, dx.v, &g.v, &g.v, m.v, v.v, 1e-3f, true);
    be().batchnorm_backward(x.v, x.v, &g.v, m.v, v.v, dx.v, &dg.v, &dg.v, 1e-3f);
    const PayloadPtr ln = be().layernorm_forward(x.v, dx.v, &g.v, nullptr, 1e-3f);
    be().layernorm_backward(x.v, x.v, &g.v, *ln, dx.v, &dg.v, nullptr, 1e-3f);
    be().resample_forward(x.v, up.v, true);
    be().resample_backward(up.v, dx.v, true);
    be().window_copy(small.v, x.v, {0, 2, 2, 0}, false);
    be().window_copy(small.v, x.v, {0, 2, 2, 0}, true);
  };
  step();
  const int64_t cached = be().stats().cached_primitives;
  const int64_t allocs = be().stats().system_allocations;
  for (int i = 0; i < 3; ++i) step();
  EXPECT_EQ(be().stats().cached_primitives, cached);
  EXPECT_EQ(be().stats().system_allocations, allocs);
}

INSTANTIATE_TEST_SUITE_P(Backends, PoolNormConformance, ::testing::ValuesIn(available_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PoolNormConformance);

}  // namespace
}  // namespace strata
