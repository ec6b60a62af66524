// ops::rnn: gradients of every cell and direction w.r.t. every input, through any subset of the
// three outputs (sequence, h, c); shape errors; and the inference weights cache keyed by tensor
// identity and version.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
using test::gradcheck;
using test::random_tensor;

namespace {

constexpr int kSeq = 1, kH = 2, kC = 4;

struct Case {
  RnnCell cell = RnnCell::lstm;
  EltwiseAlg act = EltwiseAlg::tanh;
  bool reverse = false;
  bool states = true;  // h0 (and c0 for LSTM) given
  bool bias = true;
  int use = kSeq;      // which outputs the loss reads
};

std::string describe(const Case& c) {
  const char* cells[] = {"simple", "lstm", "gru", "gru_reset_after"};
  return std::string(cells[static_cast<int>(c.cell)]) + " act=" +
         std::to_string(static_cast<int>(c.act)) + (c.reverse ? " reverse" : "") +
         (c.states ? " states" : "") + (c.bias ? " bias" : "") + " use=" +
         std::to_string(c.use);
}

constexpr int64_t N = 2, T = 3, I = 3, U = 2;

Tensor param(const Shape& s, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t = random_tensor(s, seed, lo, hi);
  t.set_requires_grad(true);
  return t;
}

Tensor flat(const Tensor& t) { return ops::reshape(t, Shape{t.numel()}); }

Tensor combined(const ops::RnnOutputs& o, int use) {
  std::vector<Tensor> parts;
  if (use & kSeq) parts.push_back(flat(o.sequence));
  if (use & kH) parts.push_back(flat(o.h));
  if (use & kC) parts.push_back(flat(o.c));
  return parts.size() == 1 ? parts[0] : ops::concat(parts, 0);
}

::testing::AssertionResult check_case(const Case& c, uint64_t seed) {
  const int64_t g = rnn_gates(c.cell);
  const bool lstm = c.cell == RnnCell::lstm;
  std::vector<Tensor> inputs{param({N, T, I}, seed, -1.f, 1.f),
                             param({I, g * U}, seed + 1, -0.8f, 0.8f),
                             param({U, g * U}, seed + 2, -0.8f, 0.8f)};
  int h0 = -1, c0 = -1, b = -1;
  if (c.states) {
    h0 = static_cast<int>(inputs.size());
    inputs.push_back(param({N, U}, seed + 3));
    if (lstm) {
      c0 = static_cast<int>(inputs.size());
      inputs.push_back(param({N, U}, seed + 4));
    }
  }
  if (c.bias) {
    b = static_cast<int>(inputs.size());
    inputs.push_back(param(
        c.cell == RnnCell::gru_reset_after ? Shape{2, 3 * U} : Shape{g * U}, seed + 5, -0.5f,
        0.5f));
  }
  RnnParams p;
  p.cell = c.cell;
  p.activation = c.act;
  p.reverse = c.reverse;
  const auto f = [=](const std::vector<Tensor>& in) {
    // gradcheck perturbs inputs by writing their memory directly, without a version bump: the
    // NoGrad evaluations also check that the inference weights cache never serves stale values.
    const auto opt = [&](int k) { return k >= 0 ? in[k] : Tensor(); };
    return combined(ops::rnn(p, in[0], opt(h0), opt(c0), in[1], in[2], opt(b)), c.use);
  };
  // relu's kink at 0 sits inside a 1e-2 central difference for some pre-activations; a finer
  // step keeps the comparison on one side of it.
  test::GradcheckOptions opts;
  if (c.act == EltwiseAlg::relu) opts.eps = 2e-4;
  return gradcheck(f, inputs, opts);
}

std::vector<int> uses_for(RnnCell cell) {
  if (cell == RnnCell::lstm) return {kSeq, kH, kC, kSeq | kH, kH | kC, kSeq | kC, kSeq | kH | kC};
  return {kSeq, kH, kSeq | kH};
}

struct CellAct {
  RnnCell cell;
  EltwiseAlg act;
};
const CellAct kCells[] = {{RnnCell::simple, EltwiseAlg::tanh},
                          {RnnCell::simple, EltwiseAlg::relu},
                          {RnnCell::simple, EltwiseAlg::logistic},
                          {RnnCell::lstm, EltwiseAlg::tanh},
                          {RnnCell::gru, EltwiseAlg::tanh},
                          {RnnCell::gru_reset_after, EltwiseAlg::tanh}};

TEST(OpsRnn, GradientsOfEveryCellDirectionAndOutputSubset) {
  uint64_t seed = 100;
  for (const auto& [cell, act] : kCells)
    for (bool reverse : {false, true})
      for (int use : uses_for(cell)) {
        Case c;
        c.cell = cell;
        c.act = act;
        c.reverse = reverse;
        c.use = use;
        EXPECT_TRUE(check_case(c, seed += 10)) << describe(c);
      }
}

TEST(OpsRnn, GradientsWithoutInitialStatesOrBias) {
  uint64_t seed = 5000;
  for (const auto& [cell, act] : kCells)
    for (bool reverse : {false, true}) {
      Case c;
      c.cell = cell;
      c.act = act;
      c.reverse = reverse;
      c.states = false;
      c.bias = false;
      c.use = cell == RnnCell::lstm ? kSeq | kC : kSeq | kH;
      EXPECT_TRUE(check_case(c, seed += 10)) << describe(c);
      c.bias = true;
      EXPECT_TRUE(check_case(c, seed += 10)) << describe(c);
    }
}

// Only some inputs require grad: the others get none and nothing breaks.
TEST(OpsRnn, GradientOnlyForTheInputsThatAskForIt) {
  RnnParams p;
  p.cell = RnnCell::lstm;
  Tensor x = param({N, T, I}, 1), k = random_tensor({I, 4 * U}, 2);
  Tensor r = random_tensor({U, 4 * U}, 3), h0 = random_tensor({N, U}, 4);
  auto out = ops::rnn(p, x, h0, Tensor(), k, r, Tensor());
  ops::sum(out.h).backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_FALSE(k.grad().defined());
  EXPECT_FALSE(h0.grad().defined());
}

TEST(OpsRnn, OutputsAreConsistentAndFollowTheDirection) {
  for (bool reverse : {false, true})
    for (RnnCell cell : {RnnCell::lstm, RnnCell::gru}) {
      RnnParams p;
      p.cell = cell;
      p.reverse = reverse;
      const int64_t g = rnn_gates(cell);
      Tensor x = random_tensor({N, T, I}, 7), k = random_tensor({I, g * U}, 8);
      Tensor r = random_tensor({U, g * U}, 9);
      auto out = ops::rnn(p, x, Tensor(), Tensor(), k, r, Tensor());
      EXPECT_EQ(out.sequence.shape(), (Shape{N, T, U}));
      EXPECT_EQ(out.h.shape(), (Shape{N, U}));
      EXPECT_EQ(out.c.defined(), cell == RnnCell::lstm);
      // The last processed step sits at index T-1 going forward and at 0 going backwards.
      const auto seq = out.sequence.to_vector(), h = out.h.to_vector();
      const int64_t t_last = reverse ? 0 : T - 1;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < U; ++j)
          EXPECT_FLOAT_EQ(seq[(n * T + t_last) * U + j], h[n * U + j]);
    }
}

// An empty batch (a zero-length last batch) runs through and contributes zero weight gradients.
TEST(OpsRnn, EmptyBatchGivesEmptyOutputsAndZeroWeightGradients) {
  RnnParams p;
  p.cell = RnnCell::lstm;
  Tensor x = Tensor::zeros({0, T, I}).set_requires_grad(true);
  Tensor k = param({I, 4 * U}, 3), r = param({U, 4 * U}, 4), b = param({4 * U}, 5);
  auto out = ops::rnn(p, x, Tensor(), Tensor(), k, r, b);
  EXPECT_EQ(out.sequence.shape(), (Shape{0, T, U}));
  EXPECT_EQ(out.c.shape(), (Shape{0, U}));
  ops::sum(ops::add(ops::sum(out.sequence), ops::sum(out.c))).backward();
  for (const Tensor* t : {&k, &r, &b})
    for (float v : t->grad().to_vector()) EXPECT_EQ(v, 0.f);
}

TEST(OpsRnn, SequenceLengthZeroIsAValueError) {
  RnnParams p;
  p.cell = RnnCell::gru;
  Tensor x = Tensor::zeros({2, 0, 3});
  test::expect_value_error(
      [&] {
        ops::rnn(p, x, Tensor(), Tensor(), Tensor::zeros({3, 6}), Tensor::zeros({2, 6}),
                 Tensor());
      },
      {"rnn: sequence length 0", "(2, 0, 3)"});
}

TEST(OpsRnn, BadShapesNameTheOperandAndTheShapes) {
  RnnParams p;
  p.cell = RnnCell::lstm;
  Tensor x = Tensor::zeros({N, T, I});
  Tensor k = Tensor::zeros({I, 4 * U}), r = Tensor::zeros({U, 4 * U});
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor(), Tensor(), Tensor::zeros({I + 1, 4 * U}), r, Tensor()); },
      {"kernel", "(3, 8)", "(4, 8)", "lstm"});
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor(), Tensor(), k, Tensor::zeros({U, 3 * U}), Tensor()); },
      {"recurrent", "(2, 8)", "(2, 6)"});
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor(), Tensor(), k, r, Tensor::zeros({3 * U})); },
      {"bias", "(8,)", "(6,)"});
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor::zeros({N + 1, U}), Tensor(), k, r, Tensor()); },
      {"h0", "(2, 2)", "(3, 2)"});
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor(), Tensor::zeros({N, U + 1}), k, r, Tensor()); },
      {"c0", "(2, 3)"});
  test::expect_value_error(
      [&] { ops::rnn(p, Tensor::zeros({N, I}), Tensor(), Tensor(), k, r, Tensor()); },
      {"x", "(2, 3)"});
  p.cell = RnnCell::gru_reset_after;
  Tensor kg = Tensor::zeros({I, 3 * U}), rg = Tensor::zeros({U, 3 * U});
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor(), Tensor(), kg, rg, Tensor::zeros({3 * U})); },
      {"bias", "(2, 6)", "(6,)", "gru_reset_after"});
  p.cell = RnnCell::gru;
  test::expect_value_error(
      [&] { ops::rnn(p, x, Tensor(), Tensor::zeros({N, U}), kg, rg, Tensor()); },
      {"c0", "lstm"});
  p.cell = RnnCell::simple;
  p.activation = EltwiseAlg::elu;
  test::expect_value_error(
      [&] {
        ops::rnn(p, x, Tensor(), Tensor(), Tensor::zeros({I, U}), Tensor::zeros({U, U}),
                 Tensor());
      },
      {"activation"});
}

// Under NoGrad the op lets the backend keep reordered weights, keyed by tensor identity and
// version: in-place updates (copy_) and re-created weight tensors must never hit a stale copy.
TEST(OpsRnn, InferenceCacheSeesUpdatedAndRecreatedWeights) {
  RnnParams p;
  p.cell = RnnCell::lstm;
  const Shape ks{I, 4 * U}, rs{U, 4 * U};
  Tensor x = random_tensor({N, T, I}, 21);
  const auto recorded = [&](const Tensor& k, const Tensor& r) {
    // A recording call never uses the cache: the reference result.
    Tensor kk = k.clone().set_requires_grad(true);
    return ops::rnn(p, x, Tensor(), Tensor(), kk, r, Tensor()).h.to_vector();
  };
  const auto cached = [&](const Tensor& k, const Tensor& r) {
    NoGrad ng;
    return ops::rnn(p, x, Tensor(), Tensor(), k, r, Tensor()).h.to_vector();
  };
  Tensor k = random_tensor(ks, 22), r = random_tensor(rs, 23);
  EXPECT_EQ(cached(k, r), recorded(k, r));
  EXPECT_EQ(cached(k, r), recorded(k, r));
  k.copy_(random_tensor(ks, 24));  // in-place update bumps the version
  EXPECT_EQ(cached(k, r), recorded(k, r));
  for (uint64_t seed = 30; seed < 36; ++seed) {
    // New tensors may land on the old ones' addresses and pooled buffers.
    k = random_tensor(ks, seed);
    r = random_tensor(rs, seed + 100);
    EXPECT_EQ(cached(k, r), recorded(k, r)) << seed;
  }
}

}  // namespace
