// Conformance of Backend::rnn_forward on every backend compiled into this build, against a
// straightforward host loop written from Keras' cell formulas (double precision), for every cell,
// both directions, with and without initial states and bias; plus the steady state of training
// (forward + backward) and the inference weights cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <omp.h>

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

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

double activate(EltwiseAlg a, double v) {
  switch (a) {
    case EltwiseAlg::relu: return v > 0 ? v : 0;
    case EltwiseAlg::logistic: return sigmoid(v);
    default: return std::tanh(v);
  }
}

struct Problem {
  RnnCell cell = RnnCell::lstm;
  EltwiseAlg act = EltwiseAlg::tanh;
  bool reverse = false;
  bool states = false;  // pass h0 (and c0 for LSTM)
  bool bias = true;
  int64_t n = 3, t = 4, i = 3, u = 3;
  int64_t gates() const { return rnn_gates(cell); }
};

struct HostData {
  std::vector<float> x, h0, c0, k, r, b;
};

HostData random_data(const Problem& pb, uint32_t seed) {
  const int64_t g = pb.gates();
  HostData d;
  d.x = random_vec(pb.n * pb.t * pb.i, -1.f, 1.f, seed);
  d.h0 = random_vec(pb.n * pb.u, -1.f, 1.f, seed + 1);
  d.c0 = random_vec(pb.n * pb.u, -1.f, 1.f, seed + 2);
  d.k = random_vec(pb.i * g * pb.u, -0.8f, 0.8f, seed + 3);
  d.r = random_vec(pb.u * g * pb.u, -0.8f, 0.8f, seed + 4);
  const int64_t nb = pb.cell == RnnCell::gru_reset_after ? 2 * 3 * pb.u : g * pb.u;
  d.b = random_vec(nb, -0.5f, 0.5f, seed + 5);
  return d;
}

struct HostOut {
  std::vector<double> y, h, c;
};

// Keras' recurrences, step by step. LSTM: c = f·c + i·tanh(z_c), h = o·tanh(c). GRU:
// h = z·h_prev + (1 − z)·h̃ with h̃ = tanh(x_h + (r·h_prev)·U_h) (reset_after=False) or
// tanh(x_h + r·(h_prev·U_h + b_rec_h)) (reset_after=True).
HostOut reference(const Problem& pb, const HostData& d) {
  const int64_t N = pb.n, T = pb.t, I = pb.i, U = pb.u, G = pb.gates(), GU = G * U;
  const bool lbr = pb.cell == RnnCell::gru_reset_after;
  HostOut out;
  out.y.assign(static_cast<size_t>(N * T * U), 0.0);
  out.h.assign(static_cast<size_t>(N * U), 0.0);
  out.c.assign(static_cast<size_t>(N * U), 0.0);
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> h(U, 0.0), c(U, 0.0);
    if (pb.states)
      for (int64_t j = 0; j < U; ++j) {
        h[j] = d.h0[n * U + j];
        c[j] = d.c0[n * U + j];
      }
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = pb.reverse ? T - 1 - s : s;
      std::vector<double> xk(GU, 0.0), hr(GU, 0.0);
      for (int64_t j = 0; j < GU; ++j) {
        for (int64_t i = 0; i < I; ++i) xk[j] += d.x[(n * T + t) * I + i] * d.k[i * GU + j];
        if (pb.bias) xk[j] += d.b[j];
        for (int64_t v = 0; v < U; ++v) hr[j] += h[v] * d.r[v * GU + j];
        if (pb.bias && lbr) hr[j] += d.b[GU + j];
      }
      std::vector<double> hn(U);
      switch (pb.cell) {
        case RnnCell::simple:
          for (int64_t j = 0; j < U; ++j) hn[j] = activate(pb.act, xk[j] + hr[j]);
          break;
        case RnnCell::lstm:
          for (int64_t j = 0; j < U; ++j) {
            const double ig = sigmoid(xk[j] + hr[j]), fg = sigmoid(xk[U + j] + hr[U + j]);
            const double cc = std::tanh(xk[2 * U + j] + hr[2 * U + j]);
            const double og = sigmoid(xk[3 * U + j] + hr[3 * U + j]);
            c[j] = fg * c[j] + ig * cc;
            hn[j] = og * std::tanh(c[j]);
          }
          break;
        case RnnCell::gru:
        case RnnCell::gru_reset_after:
          for (int64_t j = 0; j < U; ++j) {
            const double z = sigmoid(xk[j] + hr[j]);
            double hh;
            if (lbr) {
              const double r = sigmoid(xk[U + j] + hr[U + j]);
              hh = std::tanh(xk[2 * U + j] + r * hr[2 * U + j]);
            } else {
              double rec = 0;
              for (int64_t v = 0; v < U; ++v) {
                const double r = sigmoid(xk[U + v] + hr[U + v]);
                rec += r * h[v] * d.r[v * GU + 2 * U + j];
              }
              hh = std::tanh(xk[2 * U + j] + rec);
            }
            hn[j] = z * h[j] + (1 - z) * hh;
          }
          break;
      }
      h = hn;
      for (int64_t j = 0; j < U; ++j) out.y[(n * T + t) * U + j] = h[j];
    }
    for (int64_t j = 0; j < U; ++j) {
      out.h[n * U + j] = h[j];
      out.c[n * U + j] = c[j];
    }
  }
  return out;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) <= 1e-5) continue;
    ADD_FAILURE() << what << " element " << i << ": got " << got[i] << ", want " << want[i];
    if (++reported == 5) return;
  }
}

// Device copies of a problem's operands plus output buffers.
struct DevProblem {
  Dev x, h0, c0, k, r, b, y, h, c;
  DevProblem(Backend& be, const Problem& pb, const HostData& d) {
    const int64_t g = pb.gates();
    x = upload(be, d.x, Shape{pb.n, pb.t, pb.i});
    h0 = upload(be, d.h0, Shape{pb.n, pb.u});
    c0 = upload(be, d.c0, Shape{pb.n, pb.u});
    k = upload(be, d.k, Shape{pb.i, g * pb.u});
    r = upload(be, d.r, Shape{pb.u, g * pb.u});
    b = upload(be, d.b,
               pb.cell == RnnCell::gru_reset_after ? Shape{2, 3 * pb.u} : Shape{g * pb.u});
    y = make(be, Shape{pb.n, pb.t, pb.u});
    h = make(be, Shape{pb.n, pb.u});
    c = make(be, Shape{pb.n, pb.u});
  }
};

RnnParams params_of(const Problem& pb) {
  RnnParams p;
  p.cell = pb.cell;
  p.activation = pb.act;
  p.reverse = pb.reverse;
  return p;
}

PayloadPtr forward(Backend& be, const Problem& pb, DevProblem& dp, bool training,
                   uint64_t weights_key = 0) {
  RnnParams p = params_of(pb);
  p.weights_key = weights_key;
  const bool lstm = pb.cell == RnnCell::lstm;
  return be.rnn_forward(p, dp.x.v, pb.states ? &dp.h0.v : nullptr,
                        pb.states && lstm ? &dp.c0.v : nullptr, dp.k.v, dp.r.v,
                        pb.bias ? &dp.b.v : nullptr, dp.y.v, dp.h.v, lstm ? &dp.c.v : nullptr,
                        training);
}

void check_against_reference(Backend& be, const Problem& pb, DevProblem& dp, const HostData& d,
                             const std::string& what) {
  const HostOut want = reference(pb, d);
  expect_close(download(be, dp.y.v), want.y, what + " y");
  expect_close(download(be, dp.h.v), want.h, what + " h_last");
  if (pb.cell == RnnCell::lstm) expect_close(download(be, dp.c.v), want.c, what + " c_last");
}

std::string describe(const Problem& pb) {
  const char* cells[] = {"simple", "lstm", "gru", "gru_reset_after"};
  return std::string(cells[static_cast<int>(pb.cell)]) + " act " +
         std::to_string(static_cast<int>(pb.act)) + (pb.reverse ? " reverse" : " forward") +
         (pb.states ? " h0/c0" : " zero-state") + (pb.bias ? " bias" : " no-bias");
}

std::vector<Problem> all_problems() {
  std::vector<Problem> out;
  const std::pair<RnnCell, EltwiseAlg> cells[] = {
      {RnnCell::simple, EltwiseAlg::tanh},  {RnnCell::simple, EltwiseAlg::relu},
      {RnnCell::simple, EltwiseAlg::logistic}, {RnnCell::lstm, EltwiseAlg::tanh},
      {RnnCell::gru, EltwiseAlg::tanh},     {RnnCell::gru_reset_after, EltwiseAlg::tanh}};
  for (const auto& [cell, act] : cells)
    for (bool reverse : {false, true})
      for (bool states : {false, true})
        for (bool bias : {false, true}) {
          Problem pb;
          pb.cell = cell;
          pb.act = act;
          pb.reverse = reverse;
          pb.states = states;
          pb.bias = bias;
          out.push_back(pb);
        }
  return out;
}

// Sets the OpenMP team size for a scope (the batch split depends on it).
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

class RnnConformance : public ::testing::TestWithParam<std::string> {
 protected:
  Backend& be() { return backend_by_name(GetParam()); }
};

TEST_P(RnnConformance, ForwardMatchesKerasFormulasInBothModes) {
  uint32_t seed = 10;
  for (const Problem& pb : all_problems()) {
    const HostData d = random_data(pb, seed += 10);
    DevProblem dp(be(), pb, d);
    for (bool training : {false, true}) {
      forward(be(), pb, dp, training);
      check_against_reference(be(), pb, dp, d,
                              describe(pb) + (training ? " training" : " inference"));
    }
  }
}

TEST_P(RnnConformance, SingleStepAndUnevenSizes) {
  Problem pb;
  pb.states = true;
  for (RnnCell cell : {RnnCell::lstm, RnnCell::gru_reset_after}) {
    pb.cell = cell;
    for (int64_t t : {1, 7}) {
      pb.t = t;
      pb.n = 5;
      pb.i = 6;
      pb.u = 4;
      const HostData d = random_data(pb, 900 + static_cast<uint32_t>(t));
      DevProblem dp(be(), pb, d);
      forward(be(), pb, dp, true);
      check_against_reference(be(), pb, dp, d, describe(pb) + " T=" + std::to_string(t));
    }
  }
}

// Inference with a weights key reuses the reordered weights; new keys and new values (even
// under an old key) must give the new results.
TEST_P(RnnConformance, InferenceWeightsCacheFollowsTheKey) {
  Problem pb;
  pb.states = true;
  const HostData d1 = random_data(pb, 500), d2 = random_data(pb, 600);
  DevProblem a(be(), pb, d1), b(be(), pb, d2);
  forward(be(), pb, a, false, 11);
  check_against_reference(be(), pb, a, d1, "first call");
  forward(be(), pb, a, false, 11);
  check_against_reference(be(), pb, a, d1, "cached call");
  forward(be(), pb, b, false, 12);
  check_against_reference(be(), pb, b, d2, "other weights");
  be().copy_from_host(a.k.v.data, d2.k.data(), d2.k.size() * sizeof(float));
  be().copy_from_host(a.r.v.data, d2.r.data(), d2.r.size() * sizeof(float));
  HostData mixed = d1;
  mixed.k = d2.k;
  mixed.r = d2.r;
  forward(be(), pb, a, false, 13);  // same buffers, new values, new key
  check_against_reference(be(), pb, a, mixed, "updated weights");
  // Values written behind the key's back (same key, same buffers) are still noticed.
  be().copy_from_host(a.k.v.data, d1.k.data(), d1.k.size() * sizeof(float));
  mixed.k = d1.k;
  forward(be(), pb, a, false, 13);
  check_against_reference(be(), pb, a, mixed, "rewritten weights, same key");
}

// Training a layer, forward and backward, creates no primitives after the first batch, with
// and without the batch split over threads (n = 37 on two threads).
TEST_P(RnnConformance, TrainingReachesASteadyState) {
  const OmpThreads two(2);
  for (const auto& [cell, n] : {std::pair{RnnCell::lstm, 3}, std::pair{RnnCell::gru, 3},
                                std::pair{RnnCell::gru_reset_after, 3},
                                std::pair{RnnCell::simple, 3}, std::pair{RnnCell::lstm, 37},
                                std::pair{RnnCell::gru, 37}}) {
    Problem pb;
    pb.cell = cell;
    pb.states = true;
    pb.n = n;
    const bool lstm = cell == RnnCell::lstm;
    const HostData d = random_data(pb, 700);
    DevProblem dp(be(), pb, d);
    Dev dy = upload(be(), random_vec(pb.n * pb.t * pb.u, -1, 1, 1), dp.y.v.shape);
    Dev dh = upload(be(), random_vec(pb.n * pb.u, -1, 1, 2), dp.h.v.shape);
    Dev dc = upload(be(), random_vec(pb.n * pb.u, -1, 1, 3), dp.h.v.shape);
    Dev dx = make(be(), dp.x.v.shape), dh0 = make(be(), dp.h.v.shape);
    Dev dc0 = make(be(), dp.h.v.shape), dk = make(be(), dp.k.v.shape);
    Dev dr = make(be(), dp.r.v.shape), db = make(be(), dp.b.v.shape);
    const RnnParams p = params_of(pb);
    std::vector<float> first_dk;
    auto step = [&] {
      PayloadPtr saved = forward(be(), pb, dp, true);
      ASSERT_TRUE(saved);
      be().rnn_backward(p, *saved, dp.x.v, &dp.h0.v, lstm ? &dp.c0.v : nullptr, dp.k.v, dp.r.v,
                        &dp.b.v, dp.y.v, dp.h.v, lstm ? &dp.c.v : nullptr, dy.v, &dh.v,
                        lstm ? &dc.v : nullptr, dx.v, &dh0.v, lstm ? &dc0.v : nullptr, dk.v,
                        dr.v, &db.v);
    };
    step();
    first_dk = download(be(), dk.v);
    const BackendStats before = be().stats();
    for (int i = 0; i < 3; ++i) step();
    const BackendStats after = be().stats();
    EXPECT_EQ(after.cached_primitives, before.cached_primitives) << describe(pb);
    EXPECT_EQ(after.system_allocations, before.system_allocations) << describe(pb);
    // Gradients are overwritten, not accumulated across calls.
    const auto again = download(be(), dk.v);
    for (size_t i = 0; i < again.size(); ++i) ASSERT_FLOAT_EQ(again[i], first_dk[i]) << i;
  }
}

// Gradients of one training step: dx, dh0, dc0, dkernel, drecurrent, dbias (host copies).
std::vector<std::vector<float>> train_step(Backend& be, const Problem& pb, const HostData& d,
                                           HostOut* out) {
  const bool lstm = pb.cell == RnnCell::lstm;
  DevProblem dp(be, pb, d);
  Dev dy = upload(be, random_vec(pb.n * pb.t * pb.u, -1, 1, 1), dp.y.v.shape);
  Dev dh = upload(be, random_vec(pb.n * pb.u, -1, 1, 2), dp.h.v.shape);
  Dev dc = upload(be, random_vec(pb.n * pb.u, -1, 1, 3), dp.h.v.shape);
  Dev dx = make(be, dp.x.v.shape), dh0 = make(be, dp.h.v.shape), dc0 = make(be, dp.h.v.shape);
  Dev dk = make(be, dp.k.v.shape), dr = make(be, dp.r.v.shape), db = make(be, dp.b.v.shape);
  PayloadPtr saved = forward(be, pb, dp, true);
  be.rnn_backward(params_of(pb), *saved, dp.x.v, &dp.h0.v, lstm ? &dp.c0.v : nullptr, dp.k.v,
                  dp.r.v, &dp.b.v, dp.y.v, dp.h.v, lstm ? &dp.c.v : nullptr, dy.v, &dh.v,
                  lstm ? &dc.v : nullptr, dx.v, &dh0.v, lstm ? &dc0.v : nullptr, dk.v, dr.v,
                  &db.v);
  if (out) {
    const auto y = download(be, dp.y.v);
    out->y.assign(y.begin(), y.end());
  }
  return {download(be, dx.v), download(be, dh0.v),
          lstm ? download(be, dc0.v) : std::vector<float>{},
          download(be, dk.v), download(be, dr.v), download(be, db.v)};
}

// A batch large enough is split over the threads, one single-threaded primitive per slice
// (here two slices of different sizes): outputs must match the reference and gradients the
// unsplit run.
TEST_P(RnnConformance, BatchSplitOverThreadsMatchesTheUnsplitRun) {
  for (RnnCell cell : {RnnCell::lstm, RnnCell::gru_reset_after, RnnCell::simple}) {
    for (bool reverse : {false, true}) {
      Problem pb;
      pb.cell = cell;
      pb.reverse = reverse;
      pb.states = true;
      pb.n = 37;
      const HostData d = random_data(pb, 1000);
      HostOut split_out;
      std::vector<std::vector<float>> split, whole;
      {
        const OmpThreads two(2);
        split = train_step(be(), pb, d, &split_out);
        DevProblem dp(be(), pb, d);
        for (uint64_t key : {uint64_t{0}, uint64_t{77}, uint64_t{77}}) {
          forward(be(), pb, dp, false, key);
          check_against_reference(be(), pb, dp, d, describe(pb) + " split inference");
        }
      }
      {
        const OmpThreads one(1);
        whole = train_step(be(), pb, d, nullptr);
      }
      const HostOut want = reference(pb, d);
      for (size_t j = 0; j < want.y.size(); ++j)
        ASSERT_NEAR(split_out.y[j], want.y[j], 1e-5) << describe(pb) << " split y[" << j << "]";
      const char* names[] = {"dx", "dh0", "dc0", "dkernel", "drecurrent", "dbias"};
      for (size_t k = 0; k < split.size(); ++k) {
        ASSERT_EQ(split[k].size(), whole[k].size());
        for (size_t j = 0; j < split[k].size(); ++j)
          ASSERT_NEAR(split[k][j], whole[k][j], 1e-4 * (1 + std::abs(whole[k][j])))
              << describe(pb) << " " << names[k] << "[" << j << "]";
      }
    }
  }
}

TEST_P(RnnConformance, RejectsMismatchedOperands) {
  Problem pb;
  const HostData d = random_data(pb, 800);
  DevProblem dp(be(), pb, d);
  RnnParams p = params_of(pb);
  Dev bad_k = make(be(), Shape{pb.i + 1, 4 * pb.u});
  try {
    be().rnn_forward(p, dp.x.v, nullptr, nullptr, bad_k.v, dp.r.v, nullptr, dp.y.v, dp.h.v,
                     &dp.c.v, false);
    ADD_FAILURE() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("kernel"), std::string::npos) << e.what();
  }
  p.cell = RnnCell::gru;
  EXPECT_THROW(be().rnn_forward(p, dp.x.v, nullptr, nullptr, dp.k.v, dp.r.v, nullptr, dp.y.v,
                                dp.h.v, nullptr, false),
               ValueError);  // an lstm-sized kernel for a gru
}

INSTANTIATE_TEST_SUITE_P(Backends, RnnConformance, ::testing::ValuesIn(available_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RnnConformance);

}  // namespace
}  // namespace strata
