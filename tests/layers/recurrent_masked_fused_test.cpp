// SimpleRNN / LSTM / GRU under padding masks (one block of valid steps per row) on the fused
// primitive: values and gradients equal the step path and the host reference of Keras' formulas
// for right, left and two-sided padding, fully masked rows, go_backwards, initial and returned
// states, zero_output_for_mask both ways and inside Bidirectional; masks with gaps, recurrent
// dropout and LSTM's final c over rows of unequal length keep the step path.
#include <gtest/gtest.h>

#include <set>

#include "layers/recurrent_reference.hpp"
#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/recurrent.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

constexpr int64_t kT = 6;

// Right padding, left padding, both, none, fully masked, a single last step. Lengths differ.
const std::vector<float> kRaggedRows = {1, 1, 1, 0, 0, 0,  //
                                        0, 0, 1, 1, 1, 1,  //
                                        0, 1, 1, 1, 0, 0,  //
                                        1, 1, 1, 1, 1, 1,  //
                                        0, 0, 0, 0, 0, 0,  //
                                        0, 0, 0, 0, 0, 1};
// Every non-empty row has 4 valid steps (right, left, both sides), and one empty row: the case
// where the primitive's last c is every row's exact final c.
const std::vector<float> kEvenRows = {1, 1, 1, 1, 0, 0,  //
                                      0, 0, 1, 1, 1, 1,  //
                                      0, 1, 1, 1, 1, 0,  //
                                      0, 0, 0, 0, 0, 0};
// A row with a gap: appended to a batch, it sends the whole batch down the step path.
const std::vector<float> kGapRow = {1, 0, 1, 1, 0, 1};

const RnnCell kCells[] = {RnnCell::simple, RnnCell::lstm, RnnCell::gru, RnnCell::gru_reset_after};

std::string cell_name(RnnCell c) { return rnn_cell_name(c); }

std::shared_ptr<Recurrent> random_layer(RnnCell cell, RecurrentOptions o, int64_t features,
                                        uint64_t seed) {
  std::shared_ptr<Recurrent> l;
  if (cell == RnnCell::simple) l = std::make_shared<SimpleRNN>(o);
  else if (cell == RnnCell::lstm) l = std::make_shared<LSTM>(o);
  else {
    o.reset_after = cell == RnnCell::gru_reset_after;
    l = std::make_shared<GRU>(o);
  }
  l->build(Shape{-1, -1, features});
  l->kernel().copy_(test::random_tensor(l->kernel().shape(), seed, -0.6f, 0.6f));
  l->recurrent_kernel().copy_(test::random_tensor(l->recurrent_kernel().shape(), seed + 1, -0.6f, 0.6f));
  if (l->bias().defined())
    l->bias().copy_(test::random_tensor(l->bias().shape(), seed + 2, -0.4f, 0.4f));
  return l;
}

// True when the fused primitive ("rnn") is anywhere in the graph behind `t`.
bool ran_fused(const Tensor& t) {
  std::vector<Node*> todo;
  std::set<Node*> seen;
  if (t.grad_fn()) todo.push_back(t.grad_fn().get());
  while (!todo.empty()) {
    Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) continue;
    if (std::string(node->op) == "rnn") return true;
    for (const Tensor& in : node->inputs)
      if (in.defined() && in.grad_fn()) todo.push_back(in.grad_fn().get());
  }
  return false;
}

void touch(const std::vector<Tensor>& tensors) {
  for (const auto& t : tensors)
    if (t.defined()) t.bump_version();
}

// The first `rows` rows of a tensor whose first axis is the batch.
std::vector<float> head_rows(const Tensor& t, int64_t rows) {
  std::vector<float> v = t.to_vector();
  v.resize(static_cast<size_t>(t.numel() / t.dim(0) * rows));
  return v;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_LE(test::max_abs_diff(got, want), tol);
}

Tensor with_row(const Tensor& t, const Tensor& row) { return ops::concat({t, row}, 0); }

struct Case {
  RnnCell cell;
  bool back, zero_out, sequences, state;
  const std::vector<float>* mask;
};

std::string describe(const Case& c) {
  return cell_name(c.cell) + (c.back ? " backwards" : "") + (c.zero_out ? " zero_output" : "") +
         (c.sequences ? " sequences" : " last") + (c.state ? " states" : "") +
         (c.mask == &kEvenRows ? " even rows" : " ragged rows");
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (RnnCell cell : kCells)
    for (bool back : {false, true})
      for (bool zero_out : {false, true})
        for (bool sequences : {false, true})
          for (bool state : {false, true}) {
            // LSTM's final c over rows of unequal length is the step path's job (checked below).
            const bool lstm_state = cell == RnnCell::lstm && state;
            cases.push_back({cell, back, zero_out, sequences, state,
                             lstm_state ? &kEvenRows : &kRaggedRows});
            if (!lstm_state) cases.push_back({cell, back, zero_out, sequences, state, &kEvenRows});
          }
  return cases;
}

std::shared_ptr<Recurrent> case_layer(const Case& c, uint64_t seed) {
  auto l = random_layer(c.cell, {.units = 3, .return_sequences = c.sequences,
                                 .return_state = c.state, .go_backwards = c.back}, 2, seed);
  l->zero_output_for_mask = c.zero_out;
  return l;
}

}  // namespace

// Values: the packed fused run equals the host reference and the step path (the same rows run
// beside a row with a gap), initial states included.
TEST(RecurrentMaskedFused, ForwardEqualsStepPathAndReference) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    auto l = case_layer(c, 200);
    const int64_t n = static_cast<int64_t>(c.mask->size()) / kT;
    const Tensor x = test::random_tensor({n, kT, 2}, 31);
    const Tensor mask = Tensor::from_vector({n, kT}, *c.mask);
    std::vector<Tensor> states{test::random_tensor({n, 3}, 32)};
    if (c.cell == RnnCell::lstm) states.push_back(test::random_tensor({n, 3}, 33));

    const auto fused = l->run(x, mask, states, false);
    EXPECT_TRUE(ran_fused(fused[0]));

    std::vector<float> mv = *c.mask;
    mv.insert(mv.end(), kGapRow.begin(), kGapRow.end());
    std::vector<Tensor> states1;
    for (const Tensor& s : states) states1.push_back(with_row(s, test::random_tensor({1, 3}, 34)));
    const auto stepped = l->run(with_row(x, test::random_tensor({1, kT, 2}, 35)),
                                Tensor::from_vector({n + 1, kT}, mv), states1, false);
    EXPECT_FALSE(ran_fused(stepped[0]));
    ASSERT_EQ(fused.size(), stepped.size());
    for (size_t k = 0; k < fused.size(); ++k) {
      SCOPED_TRACE(k);
      expect_near(fused[k].to_vector(), head_rows(stepped[k], n), 2e-6);
    }

    test::RnnReferenceInput in;
    in.cell = c.cell;
    in.n = n;
    in.steps = kT;
    in.features = 2;
    in.units = 3;
    in.x = x.to_vector();
    in.kernel = l->kernel().to_vector();
    in.recurrent = l->recurrent_kernel().to_vector();
    in.bias = l->bias().to_vector();
    in.go_backwards = c.back;
    in.return_sequences = c.sequences;
    in.zero_output_for_mask = c.zero_out;
    in.mask = *c.mask;
    in.h0 = states[0].to_vector();
    if (c.cell == RnnCell::lstm) in.c0 = states[1].to_vector();
    const auto want = test::rnn_reference(in);
    expect_near(fused[0].to_vector(), want.output, 2e-5);
    if (c.state) {
      expect_near(fused[1].to_vector(), want.h, 2e-5);
      if (c.cell == RnnCell::lstm) expect_near(fused[2].to_vector(), want.c, 2e-5);
    }
  }
}

// Gradients of every input (sequence, weights, initial states) equal the step path's; the loss
// gives the step path's extra row weight 0, so it adds nothing.
TEST(RecurrentMaskedFused, GradientsEqualStepPath) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    auto l = case_layer(c, 210);
    const int64_t n = static_cast<int64_t>(c.mask->size()) / kT;
    const bool lstm = c.cell == RnnCell::lstm;
    std::vector<Tensor> weights{l->kernel(), l->recurrent_kernel(), l->bias()};
    std::vector<float> mv = *c.mask;
    mv.insert(mv.end(), kGapRow.begin(), kGapRow.end());

    // Inputs with the extra row; the fused run reads copies of their first n rows.
    std::vector<Tensor> big{test::random_tensor({n + 1, kT, 2}, 41),
                            test::random_tensor({n + 1, 3}, 42)};
    if (lstm) big.push_back(test::random_tensor({n + 1, 3}, 43));
    std::vector<Tensor> small;
    for (auto& t : big) {
      small.push_back(t.slice_rows(0, n).clone().set_requires_grad(true));
      t.set_requires_grad(true);
    }
    // Loss projections: for each output, random on the first n rows, zero on the extra row.
    auto loss = [&](const std::vector<Tensor>& outs, int64_t rows) {
      Tensor total;
      for (size_t k = 0; k < outs.size(); ++k) {
        Shape s = outs[k].shape();
        s[0] = n;
        Tensor p = test::random_tensor(s, 50 + k);
        if (rows > n) {
          s[0] = 1;
          p = with_row(p, Tensor::zeros(s));
        }
        Tensor term = ops::sum(ops::mul(outs[k], p));
        total = total.defined() ? ops::add(total, term) : term;
      }
      return total;
    };
    auto run = [&](const std::vector<Tensor>& in, const Tensor& mask) {
      return l->run(in[0], mask,
                    std::vector<Tensor>(in.begin() + 1, in.end()), false);
    };

    const auto fused = run(small, Tensor::from_vector({n, kT}, *c.mask));
    EXPECT_TRUE(ran_fused(fused[0]));
    loss(fused, n).backward();
    std::vector<std::vector<float>> wgrads;
    for (auto& w : weights) wgrads.push_back(w.grad().to_vector()), w.zero_grad();

    const auto stepped = run(big, Tensor::from_vector({n + 1, kT}, mv));
    EXPECT_FALSE(ran_fused(stepped[0]));
    loss(stepped, n + 1).backward();
    for (size_t k = 0; k < weights.size(); ++k) {
      SCOPED_TRACE("weight " + std::to_string(k));
      expect_near(wgrads[k], weights[k].grad().to_vector(), 1e-5);
      weights[k].zero_grad();
    }
    for (size_t k = 0; k < small.size(); ++k) {
      SCOPED_TRACE("input " + std::to_string(k));
      expect_near(small[k].grad().to_vector(), head_rows(big[k].grad(), n), 1e-5);
    }
  }
}

// Finite differences through the packed path: gathers in, primitive, gathers out.
TEST(RecurrentMaskedFused, Gradcheck) {
  for (RnnCell cell : kCells)
    for (bool back : {false, true})
      for (bool zero_out : {false, true}) {
        const bool lstm = cell == RnnCell::lstm;
        Case c{cell, back, zero_out, true, true, lstm ? &kEvenRows : &kRaggedRows};
        SCOPED_TRACE(describe(c));
        auto l = case_layer(c, 220);
        const int64_t n = static_cast<int64_t>(c.mask->size()) / kT;
        const Tensor mask = Tensor::from_vector({n, kT}, *c.mask);
        std::vector<Tensor> inputs{test::random_tensor({n, kT, 2}, 61).set_requires_grad(true),
                                   l->kernel(), l->recurrent_kernel(), l->bias(),
                                   test::random_tensor({n, 3}, 62).set_requires_grad(true)};
        if (lstm) inputs.push_back(test::random_tensor({n, 3}, 63).set_requires_grad(true));
        auto run = [&](const std::vector<Tensor>& in) {
          touch(in);
          return l->run(in[0], mask, std::vector<Tensor>(in.begin() + 4, in.end()), false);
        };
        EXPECT_TRUE(ran_fused(run(inputs)[0]));
        for (size_t k = 0; k < (lstm ? 3u : 2u); ++k) {
          SCOPED_TRACE("output " + std::to_string(k));
          EXPECT_TRUE(test::gradcheck(
              [&](const std::vector<Tensor>& in) { return run(in)[k]; }, inputs));
        }
      }
}

// Which path runs: one block per row goes fused; a gap, recurrent dropout in training, a
// non-fused activation, or LSTM's final c over rows of unequal length keep the step path.
TEST(RecurrentMaskedFused, ChoosesThePath) {
  const Tensor x = test::random_tensor({6, kT, 2}, 71);
  const Tensor ragged = Tensor::from_vector({6, kT}, kRaggedRows);
  std::vector<float> gap = kRaggedRows;
  std::copy(kGapRow.begin(), kGapRow.end(), gap.begin() + kT);
  const Tensor gapped = Tensor::from_vector({6, kT}, gap);
  auto fused = [&](RnnCell cell, RecurrentOptions o, const Tensor& mask, bool training) {
    o.units = 3;
    auto l = random_layer(cell, o, 2, 230);
    return ran_fused(l->run(x, mask, {}, training)[0]);
  };
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(cell_name(cell));
    EXPECT_TRUE(fused(cell, {}, ragged, false));
    EXPECT_TRUE(fused(cell, {.return_sequences = true, .go_backwards = true}, ragged, false));
    EXPECT_TRUE(fused(cell, {.dropout = 0.5f}, ragged, true));
    EXPECT_TRUE(fused(cell, {.recurrent_dropout = 0.5f}, ragged, false));
    EXPECT_FALSE(fused(cell, {.recurrent_dropout = 0.5f}, ragged, true));
    EXPECT_FALSE(fused(cell, {}, gapped, false));
    EXPECT_FALSE(fused(cell, {.activation = "softsign"}, ragged, false));
    EXPECT_EQ(fused(cell, {.return_state = true}, ragged, false), cell != RnnCell::lstm);
    EXPECT_EQ(fused(cell, {.stateful = true}, ragged, false), cell != RnnCell::lstm);
  }
  const Tensor even = Tensor::from_vector({4, kT}, kEvenRows);
  auto l = random_layer(RnnCell::lstm, {.units = 3, .return_state = true}, 2, 230);
  EXPECT_TRUE(ran_fused(l->run(x.slice_rows(0, 4).clone(), even, {}, false)[2]));
}

// A batch whose every step is masked: zeros out, the initial states returned untouched, and the
// states' gradient passes straight through.
TEST(RecurrentMaskedFused, FullyMaskedBatch) {
  for (RnnCell cell : kCells)
    for (bool zero_out : {false, true}) {
      SCOPED_TRACE(cell_name(cell) + (zero_out ? " zero_output" : ""));
      auto l = random_layer(cell, {.units = 3, .return_sequences = true, .return_state = true}, 2, 240);
      l->zero_output_for_mask = zero_out;
      std::vector<Tensor> states{test::random_tensor({2, 3}, 81).set_requires_grad(true)};
      if (cell == RnnCell::lstm) states.push_back(test::random_tensor({2, 3}, 82).set_requires_grad(true));
      const auto out = l->run(test::random_tensor({2, kT, 2}, 83), Tensor::zeros({2, kT}), states, false);
      ASSERT_EQ(out.size(), 1 + states.size());
      EXPECT_EQ(out[0].shape(), (Shape{2, kT, 3}));
      expect_near(out[0].to_vector(), std::vector<float>(2 * kT * 3, 0.f), 0.0);
      for (size_t k = 0; k < states.size(); ++k) {
        expect_near(out[k + 1].to_vector(), states[k].to_vector(), 0.0);
        ops::sum(out[k + 1]).backward();
        expect_near(states[k].grad().to_vector(), std::vector<float>(6, 1.f), 0.0);
      }
    }
}

// A stateful layer carries the packed path's final states into the next call, as the step path.
TEST(RecurrentMaskedFused, StatefulCarryEqualsStepPath) {
  for (RnnCell cell : {RnnCell::simple, RnnCell::gru, RnnCell::lstm}) {
    SCOPED_TRACE(cell_name(cell));
    const bool lstm = cell == RnnCell::lstm;
    const std::vector<float>& rows = lstm ? kEvenRows : kRaggedRows;
    const int64_t n = static_cast<int64_t>(rows.size()) / kT;
    auto a = random_layer(cell, {.units = 3, .return_sequences = true, .stateful = true}, 2, 250);
    auto b = random_layer(cell, {.units = 3, .return_sequences = true, .stateful = true}, 2, 250);
    std::vector<float> mv = rows;
    mv.insert(mv.end(), kGapRow.begin(), kGapRow.end());
    for (uint64_t call = 0; call < 2; ++call) {
      SCOPED_TRACE(call);
      const Tensor x = test::random_tensor({n + 1, kT, 2}, 90 + call);
      const Tensor fused = a->run(x.slice_rows(0, n).clone(), Tensor::from_vector({n, kT}, rows), {}, false)[0];
      EXPECT_TRUE(ran_fused(fused));
      const Tensor stepped = b->run(x, Tensor::from_vector({n + 1, kT}, mv), {}, false)[0];
      expect_near(fused.to_vector(), head_rows(stepped, n), 2e-6);
    }
  }
}

// Bidirectional (zero_output_for_mask = return_sequences in both directions): padded batches run
// both directions fused and equal the step path, values and gradients.
TEST(RecurrentMaskedFused, InsideBidirectional) {
  for (bool sequences : {false, true})
    for (bool gru : {false, true}) {
      SCOPED_TRACE(std::string(gru ? "gru" : "lstm") + (sequences ? " sequences" : " last"));
      const RecurrentOptions o{.units = 3, .return_sequences = sequences};
      auto bi = gru ? std::make_shared<Bidirectional>(GRU(o)) : std::make_shared<Bidirectional>(LSTM(o));
      bi->build(Shape{-1, kT, 2});
      const int64_t n = 6;
      Tensor big = test::random_tensor({n + 1, kT, 2}, 101).set_requires_grad(true);
      Tensor small = big.slice_rows(0, n).clone().set_requires_grad(true);
      std::vector<float> mv = kRaggedRows;
      mv.insert(mv.end(), kGapRow.begin(), kGapRow.end());

      const Tensor fused = bi->call_masked({small}, {Tensor::from_vector({n, kT}, kRaggedRows)}, false)[0];
      EXPECT_TRUE(ran_fused(fused));
      const Tensor stepped = bi->call_masked({big}, {Tensor::from_vector({n + 1, kT}, mv)}, false)[0];
      EXPECT_FALSE(ran_fused(stepped));
      expect_near(fused.to_vector(), head_rows(stepped, n), 2e-6);

      Shape s = fused.shape();
      const Tensor p = test::random_tensor(s, 102);
      s[0] = 1;
      ops::sum(ops::mul(fused, p)).backward();
      std::vector<std::vector<float>> wgrads;
      for (auto& w : bi->trainable_weights()) wgrads.push_back(w.grad().to_vector()), w.zero_grad();
      ops::sum(ops::mul(stepped, with_row(p, Tensor::zeros(s)))).backward();
      const auto weights = bi->trainable_weights();
      for (size_t k = 0; k < weights.size(); ++k) {
        SCOPED_TRACE("weight " + std::to_string(k));
        expect_near(wgrads[k], weights[k].grad().to_vector(), 1e-5);
      }
      expect_near(small.grad().to_vector(), head_rows(big.grad(), n), 1e-5);
    }
}

// Long sequences pack to the longest block rounded up to one of 8 lengths: the steps run past a
// row's block are never read, so values and gradients still equal the step path's.
TEST(RecurrentMaskedFused, RoundedPackedLengthEqualsStepPath) {
  constexpr int64_t steps = 20, n = 3;
  std::vector<float> rows(n * steps, 0.f), gap(steps, 0.f);
  for (int64_t t = 0; t < 7; ++t) rows[t] = 1.f;                    // right padding, 7 steps
  for (int64_t t = 15; t < 20; ++t) rows[steps + t] = 1.f;          // left padding, 5 steps
  for (int64_t t = 4; t < 6; ++t) rows[2 * steps + t] = 1.f;        // both sides, 2 steps
  gap[0] = gap[2] = 1.f;
  std::vector<float> mv = rows;
  mv.insert(mv.end(), gap.begin(), gap.end());
  for (RnnCell cell : kCells)
    for (bool back : {false, true}) {
      SCOPED_TRACE(cell_name(cell) + (back ? " backwards" : ""));
      auto l = random_layer(cell, {.units = 3, .return_sequences = true, .go_backwards = back}, 2, 260);
      Tensor big = test::random_tensor({n + 1, steps, 2}, 111).set_requires_grad(true);
      Tensor small = big.slice_rows(0, n).clone().set_requires_grad(true);
      const Tensor fused = l->run(small, Tensor::from_vector({n, steps}, rows), {}, false)[0];
      EXPECT_TRUE(ran_fused(fused));
      const Tensor stepped = l->run(big, Tensor::from_vector({n + 1, steps}, mv), {}, false)[0];
      expect_near(fused.to_vector(), head_rows(stepped, n), 2e-6);
      const Tensor p = test::random_tensor({n, steps, 3}, 112);
      ops::sum(ops::mul(fused, p)).backward();
      const auto dk = l->kernel().grad().to_vector();
      l->kernel().zero_grad();
      ops::sum(ops::mul(stepped, with_row(p, Tensor::zeros({1, steps, 3})))).backward();
      expect_near(dk, l->kernel().grad().to_vector(), 1e-5);
      expect_near(small.grad().to_vector(), head_rows(big.grad(), n), 1e-5);
      for (Tensor w : {l->kernel(), l->recurrent_kernel(), l->bias()}) w.zero_grad();
    }
}
