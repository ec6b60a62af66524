// Backend conformance suite: every Backend op, on every backend compiled into this build, against
// naive reference loops in double precision. Only the Backend API is used (data moves through
// copy_from_host / copy_to_host), so a device backend runs the very same checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <numbers>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "strata/backends/backend.hpp"
#include "strata/core/error.hpp"
#include "support/device_buffers.hpp"
#ifdef STRATA_WITH_ONEDNN
#include "strata/backends/onednn/onednn_backend.hpp"
#endif
#if defined(_OPENMP) && defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace strata {
namespace {

using test::Dev;
using test::download;
using test::make;
using test::random_vec;
using test::upload;

// ---- host <-> backend helpers ------------------------------------------------------------

// Values in +-[lo, hi]: keeps divisors and kinks (relu, abs at 0) away from zero.
std::vector<float> random_away_from_zero(int64_t n, float lo, float hi, uint32_t seed) {
  auto v = random_vec(n, lo, hi, seed);
  std::mt19937 gen(seed + 1);
  for (auto& x : v)
    if (gen() & 1) x = -x;
  return v;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// |got - want| <= tol[i] element-wise; non-finite expectations must match exactly.
void expect_within(const std::vector<float>& got, const std::vector<double>& want,
                   const std::vector<double>& tol) {
  ASSERT_EQ(got.size(), want.size());
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool same_nonfinite = !std::isfinite(want[i]) && (std::isnan(want[i])
                                                                ? std::isnan(got[i])
                                                                : got[i] == want[i]);
    if (same_nonfinite || std::abs(got[i] - want[i]) <= tol[i]) continue;
    ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want[i]
                  << " (tolerance " << tol[i] << ")";
    if (++reported == 5) return;
  }
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want, double rtol,
                  double atol) {
  std::vector<double> tol(want.size());
  for (size_t i = 0; i < want.size(); ++i) tol[i] = atol + rtol * std::abs(want[i]);
  expect_within(got, want, tol);
}

// ---- index helpers for broadcasting references ---------------------------------------------

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(static_cast<size_t>(s.rank()), 1);
  for (int i = s.rank() - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

// Flat index into `src` (broadcast to `dst`) of the element at flat index `i` of `dst`.
int64_t broadcast_index(const Shape& src, const Shape& dst, int64_t i) {
  const auto dst_st = strides_of(dst), src_st = strides_of(src);
  int64_t out = 0;
  for (int d = 0; d < dst.rank(); ++d) {
    const int64_t coord = i / dst_st[d] % dst[d];
    if (src[d] != 1) out += coord * src_st[d];
  }
  return out;
}

// ---- the suite -----------------------------------------------------------------------------

class BackendConformance : public ::testing::TestWithParam<std::string> {
 protected:
  Backend& be() { return backend_by_name(GetParam()); }
};

TEST_P(BackendConformance, Identity) {
  EXPECT_EQ(be().name(), GetParam());
  EXPECT_EQ(be().device(), GetParam() == "cuda" ? DeviceKind::cuda : DeviceKind::cpu);
}

// ---- memory --------------------------------------------------------------------------------

TEST_P(BackendConformance, AllocateIsAlignedAndPooled) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{100}, size_t{4096}, size_t{1} << 20}) {
    auto buf = be().allocate(bytes);
    ASSERT_NE(buf->data(), nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buf->data()) % 64, 0u) << bytes << " bytes";
    EXPECT_EQ(buf->bytes(), bytes);
    EXPECT_EQ(&buf->backend(), &be());
  }
  // A released block is handed out again for the same size: no system allocation per batch.
  auto first = be().allocate(12345);
  void* p = first->data();
  first.reset();
  auto second = be().allocate(12345);
  EXPECT_EQ(second->data(), p);
  // Live blocks are distinct.
  auto third = be().allocate(12345);
  EXPECT_NE(third->data(), second->data());
}

TEST_P(BackendConformance, CopiesRoundTrip) {
  const auto host = random_vec(1000, -5, 5, 1);
  Dev a = upload(be(), host, Shape{1000});
  Dev b = make(be(), Shape{1000});
  be().copy(b.v.data, a.v.data, 1000 * sizeof(float));
  EXPECT_EQ(download(be(), b.v), host);
}

TEST_P(BackendConformance, FillEveryDtype) {
  Dev f = make(be(), Shape{3, 50000});
  be().fill(f.v, 2.5);
  for (float x : download(be(), f.v)) ASSERT_EQ(x, 2.5f);
  be().fill(f.v, 0.0);
  for (float x : download(be(), f.v)) ASSERT_EQ(x, 0.0f);
  Dev i32 = make(be(), Shape{7, 3}, DType::int32);
  be().fill(i32.v, -3);
  for (int32_t x : download<int32_t>(be(), i32.v)) ASSERT_EQ(x, -3);
  Dev i64 = make(be(), Shape{5}, DType::int64);
  be().fill(i64.v, 1e10);
  for (int64_t x : download<int64_t>(be(), i64.v)) ASSERT_EQ(x, int64_t{10000000000});
}

// ---- matmul --------------------------------------------------------------------------------

double apply_act(const Eltwise& e, double x);  // defined with the eltwise references below

struct MatmulCase {
  Shape a, b, c;
  bool ta = false, tb = false;
  bool bias = false;
  float beta = 0.f;
  Eltwise act{};
};

std::vector<double> matmul_ref(const MatmulCase& mc, const std::vector<float>& a,
                               const std::vector<float>& b, const std::vector<float>& bias,
                               const std::vector<float>& c0) {
  const int r = mc.c.rank();
  const int64_t m = mc.c[r - 2], n = mc.c[r - 1];
  const int64_t k = mc.ta ? mc.a[r - 2] : mc.a[r - 1];
  Shape batch_c, batch_a, batch_b;
  for (int i = 0; i < r - 2; ++i) {
    batch_c.push_back(mc.c[i]);
    batch_a.push_back(mc.a[i]);
    batch_b.push_back(mc.b[i]);
  }
  const int64_t batches = batch_c.numel();
  std::vector<double> out(static_cast<size_t>(mc.c.numel()));
  const int64_t a_mat = mc.a[r - 2] * mc.a[r - 1], b_mat = mc.b[r - 2] * mc.b[r - 1];
  for (int64_t bt = 0; bt < batches; ++bt) {
    const float* A = a.data() + broadcast_index(batch_a, batch_c, bt) * a_mat;
    const float* B = b.data() + broadcast_index(batch_b, batch_c, bt) * b_mat;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double av = mc.ta ? A[p * m + i] : A[i * k + p];
          const double bv = mc.tb ? B[j * k + p] : B[p * n + j];
          s += av * bv;
        }
        if (mc.bias) s += bias[j];
        s = apply_act(mc.act, s);
        const int64_t idx = (bt * m + i) * n + j;
        if (mc.beta != 0.f) s += mc.beta * c0[idx];
        out[idx] = s;
      }
  }
  return out;
}

void run_matmul_case(Backend& be, const MatmulCase& mc) {
  SCOPED_TRACE("a " + mc.a.str() + (mc.ta ? "^T" : "") + " b " + mc.b.str() +
               (mc.tb ? "^T" : "") + " c " + mc.c.str() + (mc.bias ? " +bias" : "") +
               " beta=" + std::to_string(mc.beta) +
               " act=" + std::to_string(static_cast<int>(mc.act.alg)));
  const int r = mc.c.rank();
  const auto ha = random_vec(mc.a.numel(), -1, 1, 11);
  const auto hb = random_vec(mc.b.numel(), -1, 1, 12);
  const auto hbias = random_vec(mc.c[r - 1], -1, 1, 13);
  const auto hc = random_vec(mc.c.numel(), -1, 1, 14);
  Dev a = upload(be, ha, mc.a), b = upload(be, hb, mc.b), c = upload(be, hc, mc.c);
  Dev bias = upload(be, hbias, Shape{mc.c[r - 1]});
  be.matmul(a.v, mc.ta, b.v, mc.tb, mc.bias ? &bias.v : nullptr, c.v, mc.beta, mc.act);
  expect_close(download(be, c.v), matmul_ref(mc, ha, hb, hbias, hc), 1e-4, 1e-4);
}

TEST_P(BackendConformance, MatmulPlainAndTransposed) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      MatmulCase mc;
      mc.ta = ta;
      mc.tb = tb;
      mc.a = ta ? Shape{4, 3} : Shape{3, 4};
      mc.b = tb ? Shape{5, 4} : Shape{4, 5};
      mc.c = Shape{3, 5};
      run_matmul_case(be(), mc);
      mc.a = ta ? Shape{100, 64} : Shape{64, 100};
      mc.b = tb ? Shape{33, 100} : Shape{100, 33};
      mc.c = Shape{64, 33};
      run_matmul_case(be(), mc);
    }
}

TEST_P(BackendConformance, MatmulBatchedWithBroadcastBatchDims) {
  run_matmul_case(be(), {Shape{2, 3, 4, 5}, Shape{2, 3, 5, 6}, Shape{2, 3, 4, 6}});
  run_matmul_case(be(), {Shape{2, 1, 4, 5}, Shape{1, 3, 5, 6}, Shape{2, 3, 4, 6}});
  run_matmul_case(be(), {Shape{1, 4, 5}, Shape{3, 5, 6}, Shape{3, 4, 6}});
  run_matmul_case(be(), {Shape{3, 4, 5}, Shape{1, 5, 6}, Shape{3, 4, 6}});
  run_matmul_case(be(), {Shape{2, 1, 5, 4}, Shape{1, 3, 6, 5}, Shape{2, 3, 4, 6}, true, true});
  run_matmul_case(be(), {Shape{3, 5, 4}, Shape{1, 5, 6}, Shape{3, 4, 6}, true, false});
}

TEST_P(BackendConformance, MatmulBiasActivationAndAccumulate) {
  MatmulCase mc{Shape{8, 16}, Shape{16, 12}, Shape{8, 12}};
  mc.bias = true;
  run_matmul_case(be(), mc);
  mc.act = {EltwiseAlg::relu, 0.f, 0.f};
  run_matmul_case(be(), mc);
  mc.act = {EltwiseAlg::relu, 0.3f, 0.f};
  run_matmul_case(be(), mc);
  mc.act = {EltwiseAlg::tanh, 0.f, 0.f};
  run_matmul_case(be(), mc);
  mc.act = {EltwiseAlg::logistic, 0.f, 0.f};
  mc.bias = false;
  run_matmul_case(be(), mc);
  mc.act = {};
  mc.beta = 1.f;
  run_matmul_case(be(), mc);
  mc.bias = true;
  run_matmul_case(be(), mc);
  // Gradient-accumulation shape: dW += A^T . dC.
  run_matmul_case(be(), {Shape{32, 20}, Shape{32, 10}, Shape{20, 10}, true, false, false, 1.f});
  run_matmul_case(be(), {Shape{2, 5, 4}, Shape{2, 5, 3}, Shape{2, 4, 3}, true, false, true, 1.f});
}

TEST_P(BackendConformance, MatmulRejectsMismatchedShapes) {
  Dev a = make(be(), Shape{3, 4}), b = make(be(), Shape{5, 6}), c = make(be(), Shape{3, 6});
  EXPECT_THROW(be().matmul(a.v, false, b.v, false, nullptr, c.v), ValueError);
}

// ---- binary --------------------------------------------------------------------------------

double binary_ref(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::max: return std::max(a, b);
    case BinaryOp::min: return std::min(a, b);
    case BinaryOp::gt: return a > b ? 1.0 : 0.0;
  }
  return 0;
}

const BinaryOp kBinaryOps[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div,
                               BinaryOp::max, BinaryOp::min, BinaryOp::gt};

std::vector<double> binary_expected(BinaryOp op, const Shape& as, const std::vector<float>& a,
                                    const Shape& bs, const std::vector<float>& b,
                                    const Shape& cs) {
  std::vector<double> want(static_cast<size_t>(cs.numel()));
  for (int64_t i = 0; i < cs.numel(); ++i)
    want[i] = binary_ref(op, a[broadcast_index(as, cs, i)], b[broadcast_index(bs, cs, i)]);
  return want;
}

TEST_P(BackendConformance, BinaryWithBroadcasting) {
  struct Case {
    Shape a, b, c;
  };
  const Case cases[] = {
      {{3, 4}, {3, 4}, {3, 4}},          {{3, 4}, {1, 4}, {3, 4}},
      {{3, 4}, {3, 1}, {3, 4}},          {{3, 4}, {1, 1}, {3, 4}},
      {{1, 4}, {3, 4}, {3, 4}},          {{3, 1}, {3, 4}, {3, 4}},
      {{1, 1}, {3, 4}, {3, 4}},          {{3, 1}, {1, 4}, {3, 4}},
      {{2, 1, 4}, {1, 3, 1}, {2, 3, 4}}, {{2, 3, 4}, {1, 3, 1}, {2, 3, 4}},
      {{1, 3, 1}, {2, 3, 4}, {2, 3, 4}}, {{5, 6, 7}, {5, 1, 7}, {5, 6, 7}},
      {{64, 300}, {1, 300}, {64, 300}},  {{64, 300}, {64, 1}, {64, 300}},
      {{7}, {1}, {7}},                   {{1}, {7}, {7}},
  };
  for (const Case& cs : cases)
    for (BinaryOp op : kBinaryOps) {
      SCOPED_TRACE(cs.a.str() + " op " + std::to_string(static_cast<int>(op)) + " " +
                   cs.b.str() + " -> " + cs.c.str());
      const auto ha = random_away_from_zero(cs.a.numel(), 0.5f, 2.f, 21);
      const auto hb = random_away_from_zero(cs.b.numel(), 0.5f, 2.f, 22);
      Dev a = upload(be(), ha, cs.a), b = upload(be(), hb, cs.b), c = make(be(), cs.c);
      be().binary(op, a.v, b.v, c.v);
      expect_close(download(be(), c.v), binary_expected(op, cs.a, ha, cs.b, hb, cs.c), 1e-6,
                   1e-7);
    }
}

TEST_P(BackendConformance, BinaryInPlace) {
  const Shape full{4, 6}, row{1, 6}, col{4, 1};
  for (BinaryOp op : kBinaryOps) {
    SCOPED_TRACE("op " + std::to_string(static_cast<int>(op)));
    const auto ha = random_away_from_zero(full.numel(), 0.5f, 2.f, 31);
    for (const Shape& bs : {full, row, col}) {
      // c aliases a.
      const auto hb = random_away_from_zero(bs.numel(), 0.5f, 2.f, 32);
      Dev a = upload(be(), ha, full), b = upload(be(), hb, bs);
      be().binary(op, a.v, b.v, a.v);
      expect_close(download(be(), a.v), binary_expected(op, full, ha, bs, hb, full), 1e-6,
                   1e-7);
      // c aliases b, with a broadcast (the swapped-operand paths for sub and div).
      Dev b2 = upload(be(), ha, full), a2 = upload(be(), hb, bs);
      be().binary(op, a2.v, b2.v, b2.v);
      expect_close(download(be(), b2.v), binary_expected(op, bs, hb, full, ha, full), 1e-6,
                   1e-7);
    }
  }
}

TEST_P(BackendConformance, BinaryRejectsIncompatibleShapes) {
  Dev a = make(be(), Shape{3, 4}), b = make(be(), Shape{2, 4}), c = make(be(), Shape{3, 4});
  EXPECT_THROW(be().binary(BinaryOp::add, a.v, b.v, c.v), ValueError);
}

TEST_P(BackendConformance, BinaryRejectsIntegerDtypes) {
  Dev a = make(be(), Shape{3}, DType::int32), c = make(be(), Shape{3}, DType::int32);
  EXPECT_THROW(be().binary(BinaryOp::add, a.v, a.v, c.v), ValueError);
}

// ---- reduce --------------------------------------------------------------------------------

TEST_P(BackendConformance, ReduceOverAxes) {
  struct Case {
    Shape x, y;
  };
  const Case cases[] = {
      {{4, 5}, {1, 5}},          {{4, 5}, {4, 1}},          {{4, 5}, {1, 1}},
      {{2, 3, 4}, {2, 1, 4}},    {{2, 3, 4}, {1, 3, 1}},    {{2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4, 5}, {1, 3, 1, 5}}, {{128, 512}, {1, 512}}, {{6, 1, 7}, {1, 1, 7}},
      {{9}, {1}},                {{3, 100, 5}, {3, 1, 5}},  {{1000, 3}, {1, 3}},
      {{2, 3, 4, 5}, {2, 1, 1, 5}}, {{2, 3, 4, 5}, {1, 1, 1, 1}},
  };
  const ReduceOp ops[] = {ReduceOp::sum, ReduceOp::mean, ReduceOp::max, ReduceOp::min};
  for (const Case& cs : cases)
    for (ReduceOp op : ops) {
      SCOPED_TRACE(cs.x.str() + " -> " + cs.y.str() + " op " +
                   std::to_string(static_cast<int>(op)));
      const auto hx = random_vec(cs.x.numel(), -3, 3, 41);
      std::vector<double> want(static_cast<size_t>(cs.y.numel())), l1(want.size(), 0.0);
      std::vector<int64_t> count(want.size(), 0);
      for (int64_t i = 0; i < cs.x.numel(); ++i) {
        const int64_t j = broadcast_index(cs.y, cs.x, i);
        const double v = hx[i];
        l1[j] += std::abs(v);
        if (count[j] == 0)
          want[j] = v;
        else if (op == ReduceOp::max)
          want[j] = std::max(want[j], v);
        else if (op == ReduceOp::min)
          want[j] = std::min(want[j], v);
        else
          want[j] += v;
        ++count[j];
      }
      // Sums are as accurate as float32 accumulation allows: relative to the sum of |x|.
      std::vector<double> tol(want.size());
      for (size_t j = 0; j < want.size(); ++j) {
        if (op == ReduceOp::mean) {
          want[j] /= static_cast<double>(count[j]);
          l1[j] /= static_cast<double>(count[j]);
        }
        const bool exact = op == ReduceOp::max || op == ReduceOp::min;
        tol[j] = exact ? 0.0 : 1e-6 * l1[j] + 1e-7;
      }
      Dev x = upload(be(), hx, cs.x), y = make(be(), cs.y);
      be().reduce(op, x.v, y.v);
      expect_within(download(be(), y.v), want, tol);
    }
}

// ---- transpose -----------------------------------------------------------------------------

std::vector<double> transpose_ref(const Shape& xs, const std::vector<double>& x,
                                  const std::vector<int>& perm, Shape& ys) {
  ys = Shape();
  for (int p : perm) ys.push_back(xs[p]);
  const auto xst = strides_of(xs), yst = strides_of(ys);
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < ys.numel(); ++i) {
    int64_t src = 0;
    for (int d = 0; d < ys.rank(); ++d) src += (i / yst[d] % ys[d]) * xst[perm[d]];
    y[i] = x[src];
  }
  return y;
}

TEST_P(BackendConformance, TransposeEveryPermutation) {
  const Shape shapes[] = {{3, 4}, {2, 3, 4}, {2, 1, 3, 4}, {2, 3, 4, 5}};
  for (const Shape& xs : shapes) {
    std::vector<int> perm(static_cast<size_t>(xs.rank()));
    std::iota(perm.begin(), perm.end(), 0);
    const auto hx = random_vec(xs.numel(), -1, 1, 51);
    Dev x = upload(be(), hx, xs);
    do {
      Shape ys;
      const auto want = transpose_ref(xs, to_double(hx), perm, ys);
      SCOPED_TRACE(xs.str() + " -> " + ys.str());
      Dev y = make(be(), ys);
      be().transpose(x.v, y.v, perm);
      expect_close(download(be(), y.v), want, 0, 0);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

TEST_P(BackendConformance, TransposeIntegerDtypes) {
  const Shape xs{3, 5, 2};
  const std::vector<int> perm{2, 0, 1};
  std::vector<int32_t> h32(30);
  std::vector<int64_t> h64(30);
  std::vector<double> hd(30);
  for (int i = 0; i < 30; ++i) {
    h32[i] = i * 7 - 100;
    h64[i] = (int64_t{1} << 40) * i + i;
    hd[i] = i;
  }
  Shape ys;
  const auto order = transpose_ref(xs, hd, perm, ys);
  Dev x32 = upload(be(), h32, xs), y32 = make(be(), ys, DType::int32);
  be().transpose(x32.v, y32.v, perm);
  Dev x64 = upload(be(), h64, xs), y64 = make(be(), ys, DType::int64);
  be().transpose(x64.v, y64.v, perm);
  const auto g32 = download<int32_t>(be(), y32.v);
  const auto g64 = download<int64_t>(be(), y64.v);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(g32[i], h32[static_cast<int>(order[i])]);
    EXPECT_EQ(g64[i], h64[static_cast<int>(order[i])]);
  }
}

// ---- eltwise -------------------------------------------------------------------------------

constexpr double kSqrt2OverPi = 0.7978845608028654;

double apply_act(const Eltwise& e, double x) {
  const double a = e.alpha, b = e.beta;
  switch (e.alg) {
    case EltwiseAlg::relu: return x > 0 ? x : a * x;
    case EltwiseAlg::elu: return x > 0 ? x : a * (std::exp(x) - 1);
    case EltwiseAlg::logistic: return 1 / (1 + std::exp(-x));
    case EltwiseAlg::tanh: return std::tanh(x);
    case EltwiseAlg::gelu_erf: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case EltwiseAlg::gelu_tanh:
      return 0.5 * x * (1 + std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
    case EltwiseAlg::soft_relu: return std::log1p(std::exp(x));
    case EltwiseAlg::exp: return std::exp(x);
    case EltwiseAlg::log: return std::log(x);
    case EltwiseAlg::linear: return a * x + b;
    case EltwiseAlg::abs: return std::abs(x);
    case EltwiseAlg::sqrt: return std::sqrt(x);
    case EltwiseAlg::square: return x * x;
    case EltwiseAlg::clip: return std::min(std::max(x, a), b);
    case EltwiseAlg::pow: return a * std::pow(x, b);
  }
  return 0;
}

double act_derivative(const Eltwise& e, double x) {
  const double a = e.alpha, b = e.beta;
  switch (e.alg) {
    case EltwiseAlg::relu: return x > 0 ? 1 : a;
    case EltwiseAlg::elu: return x > 0 ? 1 : a * std::exp(x);
    case EltwiseAlg::logistic: {
      const double s = 1 / (1 + std::exp(-x));
      return s * (1 - s);
    }
    case EltwiseAlg::tanh: return 1 - std::tanh(x) * std::tanh(x);
    case EltwiseAlg::gelu_erf:
      return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) +
             x * std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi);
    case EltwiseAlg::gelu_tanh: {
      const double t = std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) +
             0.5 * x * (1 - t * t) * kSqrt2OverPi * (1 + 3 * 0.044715 * x * x);
    }
    case EltwiseAlg::soft_relu: return 1 / (1 + std::exp(-x));
    case EltwiseAlg::exp: return std::exp(x);
    case EltwiseAlg::log: return 1 / x;
    case EltwiseAlg::linear: return a;
    case EltwiseAlg::abs: return x > 0 ? 1 : -1;
    case EltwiseAlg::sqrt: return 0.5 / std::sqrt(x);
    case EltwiseAlg::square: return 2 * x;
    case EltwiseAlg::clip: return x > a && x < b ? 1 : 0;
    case EltwiseAlg::pow: return a * b * std::pow(x, b - 1);
  }
  return 0;
}

struct EltwiseCase {
  Eltwise e;
  bool positive_inputs;  // for log, sqrt and fractional powers
  // oneDNN's vectorised log is accurate to ~4e-6 absolute, not to float32 rounding.
  double atol = 1e-6;
};

const EltwiseCase kEltwiseCases[] = {
    {{EltwiseAlg::relu, 0.f, 0.f}, false},      {{EltwiseAlg::relu, 0.3f, 0.f}, false},
    {{EltwiseAlg::relu, -0.5f, 0.f}, false},    {{EltwiseAlg::elu, 1.f, 0.f}, false},
    {{EltwiseAlg::elu, 0.5f, 0.f}, false},      {{EltwiseAlg::elu, -0.5f, 0.f}, false},
    {{EltwiseAlg::logistic, 0.f, 0.f}, false},  {{EltwiseAlg::tanh, 0.f, 0.f}, false},
    {{EltwiseAlg::gelu_erf, 0.f, 0.f}, false},  {{EltwiseAlg::gelu_tanh, 0.f, 0.f}, false},
    {{EltwiseAlg::soft_relu, 0.f, 0.f}, false}, {{EltwiseAlg::exp, 0.f, 0.f}, false},
    {{EltwiseAlg::log, 0.f, 0.f}, true, 1e-5},  {{EltwiseAlg::linear, 2.f, 0.5f}, false},
    {{EltwiseAlg::linear, 1.f, 0.f}, false},    {{EltwiseAlg::abs, 0.f, 0.f}, false},
    {{EltwiseAlg::sqrt, 0.f, 0.f}, true},       {{EltwiseAlg::square, 0.f, 0.f}, false},
    {{EltwiseAlg::clip, -0.5f, 0.7f}, false},   {{EltwiseAlg::pow, 1.5f, 3.f}, false},
    {{EltwiseAlg::pow, 0.5f, 0.5f}, true},
};

std::vector<float> eltwise_inputs(const EltwiseCase& ec, int64_t n) {
  if (ec.positive_inputs) return random_vec(n, 0.1f, 3.f, 61);
  auto x = random_away_from_zero(n, 0.01f, 3.f, 62);
  // Keep clip's inputs off its bounds, where the derivative jumps.
  if (ec.e.alg == EltwiseAlg::clip)
    for (auto& v : x)
      if (std::abs(v - ec.e.alpha) < 1e-2f || std::abs(v - ec.e.beta) < 1e-2f) v += 0.05f;
  return x;
}

std::string eltwise_name(const Eltwise& e) {
  return "alg " + std::to_string(static_cast<int>(e.alg)) + " alpha " + std::to_string(e.alpha) +
         " beta " + std::to_string(e.beta);
}

TEST_P(BackendConformance, EltwiseForwardEveryAlgorithm) {
  for (const EltwiseCase& ec : kEltwiseCases)
    for (const Shape& s : {Shape{5, 7}, Shape{2, 3, 1000}}) {
      SCOPED_TRACE(eltwise_name(ec.e) + " " + s.str());
      const auto hx = eltwise_inputs(ec, s.numel());
      std::vector<double> want(hx.size());
      for (size_t i = 0; i < hx.size(); ++i) want[i] = apply_act(ec.e, hx[i]);
      Dev x = upload(be(), hx, s), y = make(be(), s);
      be().eltwise_forward(ec.e, x.v, y.v);
      expect_close(download(be(), y.v), want, 1e-5, ec.atol);
      // In place.
      be().eltwise_forward(ec.e, x.v, x.v);
      expect_close(download(be(), x.v), want, 1e-5, ec.atol);
    }
}

TEST_P(BackendConformance, EltwiseBackwardEveryAlgorithm) {
  for (const EltwiseCase& ec : kEltwiseCases)
    for (const Shape& s : {Shape{5, 7}, Shape{2, 3, 1000}}) {
      const bool uses_dst = eltwise_backward_uses_dst(ec.e);
      SCOPED_TRACE(eltwise_name(ec.e) + " " + s.str() + (uses_dst ? " (dst)" : " (src)"));
      const auto hx = eltwise_inputs(ec, s.numel());
      const auto hdy = random_vec(s.numel(), -1, 1, 63);
      std::vector<double> want(hx.size());
      std::vector<float> hy(hx.size());
      for (size_t i = 0; i < hx.size(); ++i) {
        want[i] = hdy[i] * act_derivative(ec.e, hx[i]);
        hy[i] = static_cast<float>(apply_act(ec.e, hx[i]));
      }
      Dev saved = upload(be(), uses_dst ? hy : hx, s), dy = upload(be(), hdy, s);
      Dev dx = make(be(), s);
      be().eltwise_backward(ec.e, dy.v, saved.v, dx.v);
      expect_close(download(be(), dx.v), want, 1e-5, ec.atol);
    }
}

// ---- softmax -------------------------------------------------------------------------------

// Visits every softmax row of shape `s` along `axis`: f(at), where at(k) is the flat index of
// the row's k-th element.
template <class F>
void for_each_row(const Shape& s, int axis, F&& f) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < s.rank(); ++i) inner *= s[i];
  const int64_t c = s[axis];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in)
      f(c, [=](int64_t k) { return (o * c + k) * inner + in; });
}

std::vector<double> softmax_ref(const Shape& s, int axis, bool log, const std::vector<float>& x) {
  std::vector<double> y(x.size());
  for_each_row(s, axis, [&](int64_t c, auto at) {
    double mx = -INFINITY, sum = 0;
    for (int64_t k = 0; k < c; ++k) mx = std::max(mx, static_cast<double>(x[at(k)]));
    for (int64_t k = 0; k < c; ++k) sum += std::exp(x[at(k)] - mx);
    for (int64_t k = 0; k < c; ++k)
      y[at(k)] = log ? x[at(k)] - mx - std::log(sum) : std::exp(x[at(k)] - mx) / sum;
  });
  return y;
}

// dx given the upstream gradient and the forward output y.
std::vector<double> softmax_backward_ref(const Shape& s, int axis, bool log,
                                         const std::vector<float>& dy,
                                         const std::vector<float>& y) {
  std::vector<double> dx(dy.size());
  for_each_row(s, axis, [&](int64_t c, auto at) {
    double dot = 0, dsum = 0;
    for (int64_t k = 0; k < c; ++k) {
      dot += static_cast<double>(dy[at(k)]) * y[at(k)];
      dsum += dy[at(k)];
    }
    for (int64_t k = 0; k < c; ++k)
      dx[at(k)] = log ? dy[at(k)] - std::exp(static_cast<double>(y[at(k)])) * dsum
                      : y[at(k)] * (dy[at(k)] - dot);
  });
  return dx;
}

TEST_P(BackendConformance, SoftmaxForwardAndBackwardEveryAxis) {
  const Shape shapes[] = {{4, 7}, {2, 3, 5}, {3, 1, 4}, {64, 10}, {2, 3, 4, 5}};
  for (const Shape& s : shapes)
    for (int axis = 0; axis < s.rank(); ++axis)
      for (bool log : {false, true}) {
        SCOPED_TRACE(s.str() + " axis " + std::to_string(axis) + (log ? " log" : ""));
        // log-softmax goes through oneDNN's vectorised log (see EltwiseCase::atol).
        const double atol = log ? 1e-5 : 1e-6;
        const auto hx = random_vec(s.numel(), -4, 4, 71);
        const auto hdy = random_vec(s.numel(), -1, 1, 72);
        Dev x = upload(be(), hx, s), y = make(be(), s), dy = upload(be(), hdy, s);
        Dev dx = make(be(), s);
        be().softmax_forward(x.v, y.v, axis, log);
        const auto got_y = download(be(), y.v);
        expect_close(got_y, softmax_ref(s, axis, log, hx), 1e-5, atol);
        // Backward from the backend's own forward output, as autodiff does.
        be().softmax_backward(dy.v, y.v, dx.v, axis, log);
        expect_close(download(be(), dx.v), softmax_backward_ref(s, axis, log, hdy, got_y), 1e-5,
                     atol);
      }
}

// ---- one-hot -------------------------------------------------------------------------------

template <class T>
void check_one_hot(Backend& be, const std::vector<T>& labels, int64_t classes) {
  const int64_t n = static_cast<int64_t>(labels.size());
  Dev l = upload(be, labels, Shape{n}), out = make(be, Shape{n, classes});
  be.fill(out.v, 7.0);
  be.one_hot(l.v, out.v);
  std::vector<double> want(static_cast<size_t>(n * classes), 0.0);
  for (int64_t i = 0; i < n; ++i) want[i * classes + static_cast<int64_t>(labels[i])] = 1.0;
  expect_close(download(be, out.v), want, 0, 0);
}

template <class T>
std::string one_hot_error(Backend& be, const std::vector<T>& labels, int64_t classes) {
  const int64_t n = static_cast<int64_t>(labels.size());
  Dev l = upload(be, labels, Shape{n}), out = make(be, Shape{n, classes});
  try {
    be.one_hot(l.v, out.v);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

TEST_P(BackendConformance, OneHotEveryLabelDtype) {
  check_one_hot<int32_t>(be(), {0, 3, 9, 3, 1}, 10);
  check_one_hot<int64_t>(be(), {2, 0, 1}, 3);
  check_one_hot<float>(be(), {4.f, 0.f, 2.f, 4.f}, 5);
  std::vector<int32_t> many(5000);
  for (int i = 0; i < 5000; ++i) many[i] = (i * 37) % 100;
  check_one_hot<int32_t>(be(), many, 100);
}

TEST_P(BackendConformance, OneHotNamesTheFirstBadLabel) {
  EXPECT_NE(one_hot_error<int32_t>(be(), {1, 2, 3, 12, 40}, 10)
                .find("label 12 at sample 3 is out of range [0, 10)"),
            std::string::npos);
  EXPECT_NE(one_hot_error<int64_t>(be(), {0, -1}, 4).find("label -1 at sample 1"),
            std::string::npos);
  const std::string frac = one_hot_error<float>(be(), {1.f, 2.5f, 3.f}, 10);
  EXPECT_NE(frac.find("label 2.5 at sample 1"), std::string::npos) << frac;
  EXPECT_NE(frac.find("[0, 10)"), std::string::npos) << frac;
  EXPECT_NE(one_hot_error<float>(be(), {0.f, 0.f, NAN}, 3).find("at sample 2"),
            std::string::npos);
  EXPECT_NE(one_hot_error<float>(be(), {3.f}, 3).find("label 3 at sample 0 is out of range"),
            std::string::npos);
}

// ---- gather_rows / scatter_add_rows -----------------------------------------------------------

TEST_P(BackendConformance, GatherRowsAndScatterAddRows) {
  const int64_t v = 9, d = 70;  // d > 64: more than one column block in the scatter-add
  const auto table = random_vec(v * d, -1.f, 1.f, 4);
  std::vector<int32_t> ids32;
  for (int i = 0; i < 600; ++i) ids32.push_back((i * 7 + i / 3) % v);  // many repeats
  std::vector<int64_t> ids64(ids32.begin(), ids32.end());
  const int64_t m = static_cast<int64_t>(ids32.size());
  Dev t = upload(be(), table, Shape{v, d});
  const auto grad = random_vec(m * d, -1.f, 1.f, 5);
  std::vector<double> want_grad(static_cast<size_t>(v * d), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < d; ++c) want_grad[ids32[i] * d + c] += grad[i * d + c];
  for (int pass = 0; pass < 2; ++pass) {
    Dev ids = pass == 0 ? upload(be(), ids32, Shape{m / 4, 4}) : upload(be(), ids64, Shape{m});
    Dev out = make(be(), Shape{m, d});
    be().gather_rows(t.v, ids.v, out.v);
    const auto got = download(be(), out.v);
    for (int64_t i = 0; i < m; ++i)
      ASSERT_EQ(std::vector<float>(got.begin() + i * d, got.begin() + (i + 1) * d),
                std::vector<float>(table.begin() + ids32[i] * d, table.begin() + (ids32[i] + 1) * d))
          << "row " << i;
    Dev g = upload(be(), grad, Shape{m, d});
    Dev tg = make(be(), Shape{v, d});
    be().fill(tg.v, 0.0);
    be().scatter_add_rows(g.v, ids.v, tg.v);
    expect_close(download(be(), tg.v), want_grad, 1e-5, 1e-5);
  }
}

TEST_P(BackendConformance, GatherRowsNamesTheFirstBadIndex) {
  Dev t = make(be(), Shape{4, 3});
  be().fill(t.v, 1.0);
  Dev out = make(be(), Shape{3, 3});
  for (const auto& [ids, part] : std::vector<std::pair<std::vector<int32_t>, std::string>>{
           {{0, 4, 1}, "index 4 at position 1 is out of range [0, 4)"},
           {{0, 1, -2}, "index -2 at position 2"}}) {
    Dev i = upload(be(), ids, Shape{3});
    try {
      be().gather_rows(t.v, i.v, out.v);
      ADD_FAILURE() << "expected ValueError";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
    try {
      be().scatter_add_rows(out.v, i.v, t.v);
      ADD_FAILURE() << "expected ValueError";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
  Dev f = make(be(), Shape{3});
  EXPECT_THROW(be().gather_rows(t.v, f.v, out.v), ValueError);  // float indices
}

// ---- dropout -------------------------------------------------------------------------------

std::vector<float> mask_of(Backend& be, int64_t n, float rate, uint64_t seed, uint64_t offset) {
  Dev m = make(be, Shape{n});
  be.dropout_mask(m.v, rate, seed, offset);
  return download(be, m.v);
}

TEST_P(BackendConformance, DropoutMaskIsDeterministic) {
  const auto a = mask_of(be(), 100003, 0.5f, 42, 0);
  EXPECT_EQ(a, mask_of(be(), 100003, 0.5f, 42, 0));
  EXPECT_NE(a, mask_of(be(), 100003, 0.5f, 43, 0));
  EXPECT_NE(a, mask_of(be(), 100003, 0.5f, 42, 100003));
  // Element i depends on (seed, offset + i) alone, so masks of consecutive ranges line up.
  const auto tail = mask_of(be(), 100003 - 101, 0.5f, 42, 101);
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), a.begin() + 101));
}

// Reference Philox-4x32-10 (Salmon et al., SC'11), written from the paper.
std::array<uint32_t, 4> philox_ref(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{0xD2511F53u} * c[0], p1 = uint64_t{0xCD9E8D57u} * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += 0x9E3779B9u;
    k[1] += 0xBB67AE85u;
  }
  return c;
}

// The mask scheme every backend shares (so a seed gives the same mask on CPU and GPU): element
// e = offset + i takes word j / 16 of the Philox block g * 16 + j % 16 (g = e / 64, j = e % 64),
// keyed by the seed, and is dropped when its top 24 bits, over 2^24, fall below the rate.
TEST_P(BackendConformance, DropoutMaskMatchesThePhiloxScheme) {
  // Random123's known-answer vector checks the reference itself.
  EXPECT_EQ(philox_ref({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                       {0xa4093822u, 0x299f31d0u}),
            (std::array<uint32_t, 4>{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
  const uint64_t seed = 0x123456789abcdef0ull, offset = (uint64_t{1} << 33) + 17;
  const float rate = 0.25f;
  const int64_t n = 5000;
  const auto got = mask_of(be(), n, rate, seed, offset);
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(rate * 16777216.0));
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t e = offset + static_cast<uint64_t>(i), g = e / 64, j = e % 64;
    const uint64_t block = g * 16 + j % 16;
    const uint32_t word = philox_ref({static_cast<uint32_t>(block),
                                      static_cast<uint32_t>(block >> 32), 0u, 0u},
                                     {static_cast<uint32_t>(seed),
                                      static_cast<uint32_t>(seed >> 32)})[j / 16];
    const float want = (word >> 8) < threshold ? 0.f : 1.f / (1.f - rate);
    ASSERT_EQ(got[i], want) << "element " << i;
  }
}

// Forward applies exactly dropout_mask's mask; backward reuses it through the opaque payload.
TEST_P(BackendConformance, DropoutForwardBackwardUseTheMaskViaThePayload) {
  const Shape s{37, 11};
  std::vector<float> hx(static_cast<size_t>(s.numel())), hdy(hx.size());
  for (size_t i = 0; i < hx.size(); ++i) hx[i] = 0.5f + float(i % 7), hdy[i] = 1.f - float(i % 5);
  Dev x = upload(be(), hx, s), dy = upload(be(), hdy, s), y = make(be(), s), dx = make(be(), s);
  PayloadPtr saved = be().dropout_forward(x.v, y.v, 0.3f, 99, 1000);
  ASSERT_NE(saved, nullptr);
  const auto mask = mask_of(be(), s.numel(), 0.3f, 99, 1000);
  be().dropout_backward(dy.v, *saved, dx.v);
  const auto fy = download(be(), y.v), fdx = download(be(), dx.v);
  for (size_t i = 0; i < hx.size(); ++i) {
    ASSERT_FLOAT_EQ(fy[i], hx[i] * mask[i]) << i;
    ASSERT_FLOAT_EQ(fdx[i], hdy[i] * mask[i]) << i;
  }
  struct Foreign : Payload {};
  EXPECT_THROW(be().dropout_backward(dy.v, Foreign{}, dx.v), ValueError);
}

TEST_P(BackendConformance, DropoutMaskRateStatistics) {
  for (float rate : {0.1f, 0.3f, 0.5f, 0.9f}) {
    SCOPED_TRACE("rate " + std::to_string(rate));
    const int64_t n = 400000;
    const auto m = mask_of(be(), n, rate, 7, 12345);
    const float keep = 1.f / (1.f - rate);
    int64_t zeros = 0;
    double sum = 0;
    for (float v : m) {
      if (v == 0.f)
        ++zeros;
      else
        ASSERT_EQ(v, keep);
      sum += v;
    }
    // Binomial standard deviation is below 0.001 here; 5 sigma.
    EXPECT_NEAR(static_cast<double>(zeros) / n, rate, 0.004);
    EXPECT_NEAR(sum / n, 1.0, 0.04);
  }
  for (float v : mask_of(be(), 1000, 0.f, 1, 0)) ASSERT_EQ(v, 1.f);
  for (float v : mask_of(be(), 1000, 1.f, 1, 0)) ASSERT_EQ(v, 0.f);
}

// ---- optimizers ----------------------------------------------------------------------------

struct OptState {
  std::vector<std::vector<float>> host;  // p, then the states
  std::vector<Dev> dev;
};

// Runs `steps` updates on the backend and in double on the host, with fresh gradients per step.
void check_optimizer(Backend& be, int n_states, const std::vector<double>& state_init,
                     const std::function<void(std::vector<View>&, const View&, int64_t)>& run,
                     const std::function<void(std::vector<std::vector<double>>&,
                                              const std::vector<double>&, int64_t)>& ref) {
  const int64_t n = 1000;
  const Shape s{10, 100};
  std::vector<Dev> dev;
  std::vector<std::vector<double>> want;
  const auto p0 = random_vec(n, -1, 1, 81);
  dev.push_back(upload(be, p0, s));
  want.push_back(to_double(p0));
  for (int k = 0; k < n_states; ++k) {
    std::vector<float> init(static_cast<size_t>(n), static_cast<float>(state_init[k]));
    dev.push_back(upload(be, init, s));
    want.emplace_back(init.begin(), init.end());
  }
  for (int64_t step = 1; step <= 3; ++step) {
    const auto g = random_vec(n, -1, 1, 90 + static_cast<uint32_t>(step));
    Dev gd = upload(be, g, s);
    std::vector<View> views;
    for (auto& d : dev) views.push_back(d.v);
    run(views, gd.v, step);
    ref(want, to_double(g), step);
  }
  for (size_t k = 0; k < dev.size(); ++k) {
    SCOPED_TRACE(k == 0 ? std::string("parameter") : "state " + std::to_string(k));
    expect_close(download(be, dev[k].v), want[k], 1e-5, 1e-6);
  }
}

TEST_P(BackendConformance, SgdUpdate) {
  const double lr = 0.1;
  for (double momentum : {0.0, 0.9})
    for (bool nesterov : {false, true}) {
      if (momentum == 0 && nesterov) continue;
      SCOPED_TRACE("momentum " + std::to_string(momentum) + (nesterov ? " nesterov" : ""));
      check_optimizer(
          be(), momentum == 0 ? 0 : 1, {0.0},
          [&](std::vector<View>& v, const View& g, int64_t) {
            be().sgd_update(v[0], g, momentum == 0 ? nullptr : &v[1], lr, momentum, nesterov);
          },
          [&](std::vector<std::vector<double>>& w, const std::vector<double>& g, int64_t) {
            for (size_t i = 0; i < g.size(); ++i) {
              if (momentum == 0) {
                w[0][i] -= lr * g[i];
                continue;
              }
              w[1][i] = momentum * w[1][i] - lr * g[i];
              w[0][i] += nesterov ? momentum * w[1][i] - lr * g[i] : w[1][i];
            }
          });
    }
}

TEST_P(BackendConformance, AdamUpdate) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  for (bool amsgrad : {false, true}) {
    SCOPED_TRACE(amsgrad ? "amsgrad" : "adam");
    check_optimizer(
        be(), amsgrad ? 3 : 2, {0.0, 0.0, 0.0},
        [&](std::vector<View>& v, const View& g, int64_t step) {
          be().adam_update(v[0], g, v[1], v[2], amsgrad ? &v[3] : nullptr, lr, b1, b2, eps,
                           step);
        },
        [&](std::vector<std::vector<double>>& w, const std::vector<double>& g, int64_t step) {
          const double t = static_cast<double>(step);
          const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
          for (size_t i = 0; i < g.size(); ++i) {
            w[1][i] += (g[i] - w[1][i]) * (1 - b1);
            w[2][i] += (g[i] * g[i] - w[2][i]) * (1 - b2);
            double v = w[2][i];
            if (amsgrad) {
              w[3][i] = std::max(w[3][i], v);
              v = w[3][i];
            }
            w[0][i] -= alpha * w[1][i] / (std::sqrt(v) + eps);
          }
        });
  }
}

TEST_P(BackendConformance, RmspropUpdate) {
  const double lr = 0.01, rho = 0.9, eps = 1e-7;
  for (bool centered : {false, true})
    for (double momentum : {0.0, 0.5}) {
      SCOPED_TRACE(std::string(centered ? "centered" : "plain") + " momentum " +
                   std::to_string(momentum));
      const int mg_index = centered ? 2 : -1;
      const int mom_index = momentum > 0 ? (centered ? 3 : 2) : -1;
      check_optimizer(
          be(), 1 + centered + (momentum > 0), {0.0, 0.0, 0.0},
          [&](std::vector<View>& v, const View& g, int64_t) {
            be().rmsprop_update(v[0], g, v[1], centered ? &v[mg_index] : nullptr,
                                momentum > 0 ? &v[mom_index] : nullptr, lr, rho, momentum, eps);
          },
          [&](std::vector<std::vector<double>>& w, const std::vector<double>& g, int64_t) {
            for (size_t i = 0; i < g.size(); ++i) {
              w[1][i] = rho * w[1][i] + (1 - rho) * g[i] * g[i];
              double denom = w[1][i] + eps;
              if (centered) {
                w[mg_index][i] = rho * w[mg_index][i] + (1 - rho) * g[i];
                denom = w[1][i] - w[mg_index][i] * w[mg_index][i] + eps;
              }
              const double inc = lr * g[i] / std::sqrt(denom);
              if (momentum > 0) {
                w[mom_index][i] = momentum * w[mom_index][i] + inc;
                w[0][i] -= w[mom_index][i];
              } else {
                w[0][i] -= inc;
              }
            }
          });
    }
}

// ---- checks --------------------------------------------------------------------------------

TEST_P(BackendConformance, FirstNonFinite) {
  auto first = [&](std::vector<float> h) {
    Dev x = upload(be(), h, Shape{static_cast<int64_t>(h.size())});
    return be().first_non_finite(x.v);
  };
  std::vector<float> h(200000, 1.f);
  EXPECT_EQ(first(h), -1);
  h[150000] = INFINITY;
  EXPECT_EQ(first(h), 150000);
  h[70001] = NAN;
  EXPECT_EQ(first(h), 70001);
  h[5] = -INFINITY;
  EXPECT_EQ(first(h), 5);
  h[0] = NAN;
  EXPECT_EQ(first(h), 0);
  EXPECT_EQ(first({1.f, 3e38f, -3e38f, 1e-40f}), -1);
  EXPECT_EQ(first({}), -1);
}

// ---- floating-point environment ----------------------------------------------------------

// Denormal inputs read as zero and denormal results are flushed, on every compute thread: a
// zero-gradient SGD step then turns denormal parameters into exact zeros.
TEST_P(BackendConformance, CpuComputeFlushesDenormalsToZero) {
  if (be().device() != DeviceKind::cpu) GTEST_SKIP() << "CPU floating-point environment only";
  const int64_t n = 1 << 20;  // large enough to run on every OpenMP thread
  // Built and checked as bits: with DAZ on this thread a denormal compares equal to zero.
  const uint32_t denormal_bits = 0x000b5e62u;  // about 1e-39
  std::vector<uint32_t> denormal(static_cast<size_t>(n), denormal_bits);
  Dev p = make(be(), Shape{n});
  be().copy_from_host(p.v.data, denormal.data(), static_cast<size_t>(n) * sizeof(float));
  Dev g = make(be(), Shape{n});
  be().fill(g.v, 0.0);
  be().sgd_update(p.v, g.v, nullptr, 0.f, 0.f, false);
  std::vector<uint32_t> out(static_cast<size_t>(n));
  be().copy_to_host(out.data(), p.v.data, out.size() * sizeof(float));
  EXPECT_EQ(std::count(out.begin(), out.end(), 0u), n);
}

#if defined(STRATA_WITH_ONEDNN) && defined(_OPENMP) && defined(__SSE__)
// Threads created after the backend inherit the creator's MXCSR anyway; this checks the
// constructor also reaches OpenMP workers that already existed with FTZ/DAZ off.
TEST(OneDnnBackend, ConstructorSetsFlushToZeroOnExistingWorkers) {
  constexpr unsigned kFtzDaz = 0x8040;
#pragma omp parallel
  { _mm_setcsr(_mm_getcsr() & ~kFtzDaz); }
  auto be = make_onednn_backend();
  int missing = 0;
#pragma omp parallel reduction(+ : missing)
  { missing += (_mm_getcsr() & kFtzDaz) == kFtzDaz ? 0 : 1; }
  EXPECT_EQ(missing, 0);
}
#endif

// ---- primitive reuse -----------------------------------------------------------------------

// Ops run again on the same shapes must reuse what the first call built and still read and
// write the new buffers (a cached primitive bound to stale pointers would return old results).
// Earlier buffers are kept alive so the pool cannot hand the same addresses out again.
TEST_P(BackendConformance, RepeatedCallsReuseAndRebind) {
  const Shape s{16, 24};
  std::vector<Dev> keep;
  auto run_once = [&](uint32_t seed) {
    const auto ha = random_vec(s.numel(), -1, 1, seed), hb = random_vec(24, -1, 1, seed + 1);
    Dev a = upload(be(), ha, s), b = upload(be(), hb, Shape{1, 24}), c = make(be(), s);
    be().binary(BinaryOp::mul, a.v, b.v, c.v);
    expect_close(download(be(), c.v), binary_expected(BinaryOp::mul, s, ha, Shape{1, 24}, hb, s),
                 1e-6, 0);

    const MatmulCase mc{s, Shape{24, 8}, Shape{16, 8}};
    const auto hw = random_vec(24 * 8, -1, 1, seed + 2);
    Dev w = upload(be(), hw, mc.b), out = make(be(), mc.c);
    be().matmul(a.v, false, w.v, false, nullptr, out.v);
    expect_close(download(be(), out.v), matmul_ref(mc, ha, hw, {}, {}), 1e-4, 1e-4);

    Dev col = make(be(), Shape{1, 24});
    be().reduce(ReduceOp::sum, a.v, col.v);
    std::vector<double> want_col(24, 0.0);
    for (int64_t i = 0; i < s.numel(); ++i) want_col[i % 24] += ha[i];
    expect_close(download(be(), col.v), want_col, 1e-5, 1e-5);

    Dev y = make(be(), s), t = make(be(), Shape{24, 16});
    be().eltwise_forward({EltwiseAlg::tanh, 0.f, 0.f}, a.v, y.v);
    std::vector<double> want_y(ha.size());
    for (size_t i = 0; i < ha.size(); ++i) want_y[i] = std::tanh(static_cast<double>(ha[i]));
    expect_close(download(be(), y.v), want_y, 1e-5, 1e-6);
    be().softmax_forward(a.v, y.v, 1, false);
    expect_close(download(be(), y.v), softmax_ref(s, 1, false, ha), 1e-5, 1e-6);
    be().transpose(a.v, t.v, {1, 0});
    Shape ts;
    expect_close(download(be(), t.v), transpose_ref(s, to_double(ha), {1, 0}, ts), 0, 0);
    for (Dev* d : {&a, &b, &c, &w, &out, &col, &y, &t}) keep.push_back(*d);
  };
  run_once(100);
  const int64_t before = be().stats().cached_primitives;
  for (uint32_t seed = 200; seed < 205; ++seed) run_once(seed);
  EXPECT_EQ(be().stats().cached_primitives, before);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformance, ::testing::ValuesIn(available_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BackendConformance);

}  // namespace
}  // namespace strata
