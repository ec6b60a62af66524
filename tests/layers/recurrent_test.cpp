// SimpleRNN / LSTM / GRU: weights, values against a host reference of Keras' formulas, masks,
// initial and returned states, go_backwards, dropout, stateful carry, gradients through time.
#include <gtest/gtest.h>

#include <cmath>

#include "layers/recurrent_reference.hpp"
#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/recurrent.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

std::shared_ptr<Recurrent> make(RnnCell cell, RecurrentOptions o) {
  if (cell == RnnCell::simple) return std::make_shared<SimpleRNN>(o);
  if (cell == RnnCell::lstm) return std::make_shared<LSTM>(o);
  o.reset_after = cell == RnnCell::gru_reset_after;
  return std::make_shared<GRU>(o);
}

// A built layer with random weights (deterministic in `seed`).
std::shared_ptr<Recurrent> random_layer(RnnCell cell, RecurrentOptions o, int64_t features,
                                        uint64_t seed) {
  auto l = make(cell, o);
  l->build(Shape{-1, -1, features});
  l->kernel().copy_(test::random_tensor(l->kernel().shape(), seed, -0.6f, 0.6f));
  l->recurrent_kernel().copy_(test::random_tensor(l->recurrent_kernel().shape(), seed + 1, -0.6f, 0.6f));
  if (l->bias().defined())
    l->bias().copy_(test::random_tensor(l->bias().shape(), seed + 2, -0.4f, 0.4f));
  return l;
}

test::RnnReferenceInput reference_input(const Recurrent& l, const Tensor& x) {
  test::RnnReferenceInput in;
  in.cell = l.cell();
  in.n = x.dim(0);
  in.steps = x.dim(1);
  in.features = x.dim(2);
  in.units = l.options().units;
  in.x = x.to_vector();
  in.kernel = l.kernel().to_vector();
  in.recurrent = l.recurrent_kernel().to_vector();
  if (l.bias().defined()) in.bias = l.bias().to_vector();
  in.activation = l.options().activation;
  in.recurrent_activation = l.options().recurrent_activation;
  in.go_backwards = l.options().go_backwards;
  in.return_sequences = l.options().return_sequences;
  in.zero_output_for_mask = l.zero_output_for_mask;
  return in;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want, double tol = 2e-5) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_LE(test::max_abs_diff(got, want), tol);
}

// gradcheck writes perturbed values straight into the weights' memory; bumping the versions
// tells the fused RNN that its cached copy of the weights is stale (copy_ and optimizers do it).
void touch(const std::vector<Tensor>& tensors) {
  for (const auto& t : tensors)
    if (t.defined()) t.bump_version();
}

const RnnCell kCells[] = {RnnCell::simple, RnnCell::lstm, RnnCell::gru, RnnCell::gru_reset_after};

std::string cell_name(RnnCell c) { return rnn_cell_name(c); }

// (N, T) mask with row 1 fully masked after two steps, row 0 masked in the middle, and row 2
// masked at the first step.
Tensor ragged_mask() {
  return Tensor::from_vector({3, 5}, std::vector<float>{1, 1, 0, 1, 1,  //
                                                         1, 1, 0, 0, 0,  //
                                                         0, 1, 1, 1, 1});
}

}  // namespace

TEST(Recurrent, WeightsHaveKerasShapesAndOrder) {
  LSTM lstm({.units = 3});
  lstm.build(Shape{-1, 7, 5});
  ASSERT_EQ(lstm.weight_entries().size(), 3u);
  EXPECT_EQ(lstm.weight_entries()[0].name, "kernel");
  EXPECT_EQ(lstm.weight_entries()[1].name, "recurrent_kernel");
  EXPECT_EQ(lstm.weight_entries()[2].name, "bias");
  EXPECT_EQ(lstm.kernel().shape(), (Shape{5, 12}));
  EXPECT_EQ(lstm.recurrent_kernel().shape(), (Shape{3, 12}));
  EXPECT_EQ(lstm.bias().shape(), (Shape{12}));
  EXPECT_EQ(lstm.num_states(), 2);
  EXPECT_EQ(lstm.output_shape(), (Shape{-1, 3}));

  GRU gru({.units = 4, .return_sequences = true});
  gru.build(Shape{-1, -1, 2});  // any sequence length
  EXPECT_EQ(gru.bias().shape(), (Shape{2, 12}));
  EXPECT_EQ(gru.output_shape(), (Shape{-1, -1, 4}));
  GRU gru_v1({.units = 4, .reset_after = false});
  gru_v1.build(Shape{-1, 6, 2});
  EXPECT_EQ(gru_v1.bias().shape(), (Shape{12}));
  EXPECT_EQ(gru_v1.cell(), RnnCell::gru);

  SimpleRNN rnn({.units = 6, .use_bias = false});
  rnn.build(Shape{-1, 4, 3});
  EXPECT_FALSE(rnn.bias().defined());
  EXPECT_EQ(rnn.count_params(), 3 * 6 + 6 * 6);
  EXPECT_EQ(rnn.num_states(), 1);
}

TEST(Recurrent, LstmUnitForgetBiasAndOrthogonalRecurrentKernel) {
  LSTM lstm({.units = 4, .bias_initializer = initializers::Constant({.value = 0.25f})});
  lstm.build(Shape{-1, 3, 2});
  auto b = lstm.bias().to_vector();
  for (int j = 0; j < 16; ++j) EXPECT_FLOAT_EQ(b[j], j >= 4 && j < 8 ? 1.f : 0.25f) << j;
  LSTM plain({.units = 4, .unit_forget_bias = false});
  plain.build(Shape{-1, 3, 2});
  for (float v : plain.bias().to_vector()) EXPECT_EQ(v, 0.f);
  // The (U, 4U) recurrent kernel has orthonormal rows: R·Rᵀ = I.
  Tensor r = lstm.recurrent_kernel();
  auto rrt = ops::matmul(r, r, false, true).to_vector();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(rrt[i * 4 + j], i == j ? 1.f : 0.f, 1e-5);
}

TEST(Recurrent, ForwardMatchesKerasFormulas) {
  for (RnnCell cell : kCells)
    for (bool seq : {false, true})
      for (bool back : {false, true}) {
        SCOPED_TRACE(cell_name(cell) + (seq ? " sequences" : "") + (back ? " backwards" : ""));
        auto l = random_layer(cell, {.units = 3, .return_sequences = seq, .go_backwards = back}, 4, 10);
        Tensor x = test::random_tensor({2, 5, 4}, 3);
        auto want = test::rnn_reference(reference_input(*l, x));
        Tensor y = (*l)(x);
        EXPECT_EQ(y.shape(), seq ? (Shape{2, 5, 3}) : (Shape{2, 3}));
        expect_near(y.to_vector(), want.output);
      }
}

TEST(Recurrent, OtherActivationsMatchKerasFormulas) {
  struct Case { RnnCell cell; const char* act; const char* ract; };
  for (auto c : {Case{RnnCell::simple, "relu", ""}, Case{RnnCell::simple, "sigmoid", ""},
                 Case{RnnCell::simple, "", ""},
                 Case{RnnCell::lstm, "tanh", "hard_sigmoid_legacy"},
                 Case{RnnCell::lstm, "relu", "hard_sigmoid"},
                 Case{RnnCell::gru, "tanh", "hard_sigmoid_legacy"},
                 Case{RnnCell::gru_reset_after, "", "sigmoid"}}) {
    SCOPED_TRACE(cell_name(c.cell) + " " + c.act + " " + c.ract);
    RecurrentOptions o{.units = 3, .activation = c.act, .return_sequences = true};
    if (*c.ract) o.recurrent_activation = c.ract;
    auto l = random_layer(c.cell, o, 2, 20);
    Tensor x = test::random_tensor({3, 4, 2}, 5, -2.f, 2.f);
    expect_near((*l)(x).to_vector(), test::rnn_reference(reference_input(*l, x)).output);
  }
}

TEST(Recurrent, InitialStatesAndReturnState) {
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(cell_name(cell));
    auto l = random_layer(cell, {.units = 3, .return_sequences = true, .return_state = true}, 2, 30);
    Tensor x = test::random_tensor({2, 4, 2}, 7);
    std::vector<Tensor> init{test::random_tensor({2, 3}, 8)};
    if (cell == RnnCell::lstm) init.push_back(test::random_tensor({2, 3}, 9));
    auto in = reference_input(*l, x);
    in.h0 = init[0].to_vector();
    if (cell == RnnCell::lstm) in.c0 = init[1].to_vector();
    auto want = test::rnn_reference(in);
    std::vector<Tensor> inputs{x};
    inputs.insert(inputs.end(), init.begin(), init.end());
    auto out = l->call_on(inputs, false);
    ASSERT_EQ(out.size(), cell == RnnCell::lstm ? 3u : 2u);
    expect_near(out[0].to_vector(), want.output);
    expect_near(out[1].to_vector(), want.h);
    if (cell == RnnCell::lstm) expect_near(out[2].to_vector(), want.c);
    // The last step of the sequence is the returned h.
    auto seq = out[0].to_vector(), h = out[1].to_vector();
    for (int b = 0; b < 2; ++b)
      for (int j = 0; j < 3; ++j) EXPECT_EQ(seq[(b * 4 + 3) * 3 + j], h[b * 3 + j]);
  }
}

TEST(Recurrent, BuildForGivesOneShapePerOutput) {
  LSTM l({.units = 5, .return_sequences = true, .return_state = true});
  auto shapes = l.build_for({Shape{-1, 7, 3}, Shape{-1, 5}, Shape{-1, 5}});
  ASSERT_EQ(shapes.size(), 3u);
  EXPECT_EQ(shapes[0], (Shape{-1, 7, 5}));
  EXPECT_EQ(shapes[1], (Shape{-1, 5}));
  EXPECT_EQ(shapes[2], (Shape{-1, 5}));
  GRU g({.units = 2});
  EXPECT_EQ(g.build_for({Shape{-1, 7, 3}}).size(), 1u);
  test::expect_value_error([&] { g.build_for({Shape{-1, 7, 3}, Shape{-1, 3}}); },
                           {"GRU '", "initial state 0", "(None, 3)"});
  test::expect_value_error([&] { g.build_for({Shape{-1, 7, 3}, Shape{-1, 2}, Shape{-1, 2}}); },
                           {"GRU '", "3 inputs"});
}

TEST(Recurrent, MaskedStepsKeepStatesAndRepeatOutputs) {
  for (RnnCell cell : kCells)
    for (bool back : {false, true})
      for (bool zero_out : {false, true}) {
        SCOPED_TRACE(cell_name(cell) + (back ? " backwards" : "") + (zero_out ? " zero" : ""));
        auto l = random_layer(cell, {.units = 3, .return_sequences = true, .return_state = true,
                                     .go_backwards = back}, 2, 40);
        l->zero_output_for_mask = zero_out;
        Tensor x = test::random_tensor({3, 5, 2}, 11);
        Tensor mask = ragged_mask();
        auto in = reference_input(*l, x);
        in.mask = mask.to_vector();
        auto want = test::rnn_reference(in);
        auto out = l->call_masked({x}, {mask}, false);
        expect_near(out[0].to_vector(), want.output);
        expect_near(out[1].to_vector(), want.h);
        if (cell == RnnCell::lstm) expect_near(out[2].to_vector(), want.c);
        // Last-output form: the output after the last step.
        auto last = random_layer(cell, {.units = 3, .go_backwards = back}, 2, 40);
        last->zero_output_for_mask = zero_out;
        in.return_sequences = false;
        expect_near(last->call_masked({x}, {mask}, false)[0].to_vector(),
                    test::rnn_reference(in).output);
      }
}

TEST(Recurrent, AllOnesMaskEqualsNoMask) {
  auto l = random_layer(RnnCell::lstm, {.units = 3, .return_sequences = true}, 2, 50);
  Tensor x = test::random_tensor({2, 4, 2}, 12);
  auto plain = (*l)(x).to_vector();
  auto masked = l->call_masked({x}, {Tensor::ones({2, 4})}, false)[0].to_vector();
  expect_near(masked, plain, 1e-6);
}

TEST(Recurrent, ComputeMaskFollowsReturnSequences) {
  Tensor x = Tensor::zeros({2, 5, 3});
  Tensor m = ragged_mask().slice_rows(0, 2);
  LSTM seq({.units = 2, .return_sequences = true, .return_state = true});
  auto masks = seq.compute_mask({x}, {m});
  ASSERT_EQ(masks.size(), 3u);
  EXPECT_TRUE(masks[0].same(m));
  EXPECT_FALSE(masks[1].defined());
  EXPECT_FALSE(masks[2].defined());
  GRU last({.units = 2});
  auto none = last.compute_mask({x}, {m});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_FALSE(none[0].defined());
  EXPECT_TRUE(last.supports_masking());
}

// The fused path (no mask) and the step path (a mask that is not all ones) give the same values:
// rows 0..1 run once alone and once beside an extra row whose mask has a zero.
TEST(Recurrent, FusedPathEqualsStepPath) {
  for (RnnCell cell : kCells)
    for (bool back : {false, true}) {
      SCOPED_TRACE(cell_name(cell) + (back ? " backwards" : ""));
      auto l = random_layer(cell, {.units = 4, .return_sequences = true, .return_state = true,
                                   .go_backwards = back}, 3, 60);
      Tensor x = test::random_tensor({3, 6, 3}, 13);
      std::vector<float> mv(18, 1.f);
      mv[2 * 6 + 3] = 0.f;
      auto stepped = l->call_masked({x}, {Tensor::from_vector({3, 6}, mv)}, false);
      auto fused = l->call_on({x.slice_rows(0, 2).clone()}, false);
      for (size_t k = 0; k < fused.size(); ++k) {
        auto s = stepped[k].to_vector();
        s.resize(fused[k].numel());  // rows 0..1 come first
        expect_near(fused[k].to_vector(), s, 1e-5);
      }
    }
}

TEST(Recurrent, GradientsThroughTime) {
  for (RnnCell cell : kCells)
    for (bool back : {false, true}) {
      SCOPED_TRACE(cell_name(cell) + (back ? " backwards" : ""));
      auto l = random_layer(cell, {.units = 3, .return_sequences = true, .go_backwards = back}, 2, 70);
      Tensor x = test::random_tensor({2, 4, 2}, 14).set_requires_grad(true);
      Tensor h0 = test::random_tensor({2, 3}, 15).set_requires_grad(true);
      std::vector<Tensor> inputs{x, l->kernel(), l->recurrent_kernel(), l->bias(), h0};
      const bool lstm = cell == RnnCell::lstm;
      Tensor c0 = test::random_tensor({2, 3}, 16).set_requires_grad(true);
      if (lstm) inputs.push_back(c0);
      EXPECT_TRUE(test::gradcheck(
          [&](const std::vector<Tensor>& in) {
            touch(in);
            std::vector<Tensor> states{in[4]};
            if (lstm) states.push_back(in[5]);
            return l->run(in[0], Tensor(), states, false)[0];
          },
          inputs));
    }
}

TEST(Recurrent, GradientsThroughMaskedSteps) {
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(cell_name(cell));
    auto l = random_layer(cell, {.units = 3, .return_sequences = true, .return_state = true}, 2, 80);
    Tensor x = test::random_tensor({3, 5, 2}, 17).set_requires_grad(true);
    Tensor mask = ragged_mask();
    std::vector<Tensor> inputs{x, l->kernel(), l->recurrent_kernel(), l->bias()};
    // Sequence and final state together, so the kept states' gradient is checked too.
    EXPECT_TRUE(test::gradcheck(
        [&](const std::vector<Tensor>& in) {
          touch(in);
          auto out = l->run(in[0], mask, {}, false);
          return ops::concat({ops::reshape(out[0], Shape{3, 15}), out[1]}, 1);
        },
        inputs));
  }
}

TEST(Recurrent, GradientsWithoutBias) {
  auto l = random_layer(RnnCell::gru, {.units = 2, .use_bias = false}, 3, 90);
  Tensor x = test::random_tensor({2, 3, 3}, 18).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { touch(in); return (*l)(in[0]); },
                              {x, l->kernel(), l->recurrent_kernel()}));
}

TEST(Recurrent, InputDropoutIsOneMaskPerSequence) {
  // Linear SimpleRNN with kernel I, recurrent 0 and no bias outputs its dropped input.
  const int64_t n = 64, f = 32, t = 3;
  SimpleRNN l({.units = f, .activation = "linear", .use_bias = false, .dropout = 0.5f,
               .return_sequences = true, .seed = 5});
  l.build(Shape{-1, t, f});
  std::vector<float> eye(f * f, 0.f);
  for (int64_t i = 0; i < f; ++i) eye[i * f + i] = 1.f;
  l.kernel().copy_(Tensor::from_vector({f, f}, eye));
  l.recurrent_kernel().copy_(Tensor::zeros({f, f}));
  Tensor x = Tensor::ones({n, t, f});
  auto y = l(x, /*training=*/true).to_vector();
  int64_t zeros = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < f; ++k) {
      const float v0 = y[(b * t) * f + k];
      EXPECT_TRUE(v0 == 0.f || std::abs(v0 - 2.f) < 1e-6) << v0;
      zeros += v0 == 0.f;
      for (int64_t s = 1; s < t; ++s) ASSERT_EQ(y[(b * t + s) * f + k], v0);  // same mask each step
    }
  EXPECT_NEAR(double(zeros) / (n * f), 0.5, 0.05);
  // Inference ignores dropout; a second training call draws a new mask.
  for (float v : l(x, false).to_vector()) EXPECT_EQ(v, 1.f);
  EXPECT_NE(l(x, true).to_vector(), y);
  // The same seed repeats the same masks.
  SimpleRNN twin({.units = f, .activation = "linear", .use_bias = false, .dropout = 0.5f,
                  .return_sequences = true, .seed = 5});
  twin.build(Shape{-1, t, f});
  twin.kernel().copy_(l.kernel());
  twin.recurrent_kernel().copy_(l.recurrent_kernel());
  EXPECT_EQ(twin(x, true).to_vector(), y);
}

TEST(Recurrent, RecurrentDropoutDropsTheCarriedState) {
  // Linear SimpleRNN, kernel 0, recurrent I, bias 1: h1 = 1, h2 = 1 + h1 ⊙ m with m in {0, 2}.
  const int64_t n = 64, u = 32;
  SimpleRNN l({.units = u, .activation = "linear", .recurrent_dropout = 0.5f,
               .return_sequences = true, .seed = 9});
  l.build(Shape{-1, 3, 1});
  std::vector<float> eye(u * u, 0.f);
  for (int64_t i = 0; i < u; ++i) eye[i * u + i] = 1.f;
  l.kernel().copy_(Tensor::zeros({1, u}));
  l.recurrent_kernel().copy_(Tensor::from_vector({u, u}, eye));
  l.bias().copy_(Tensor::ones({u}));
  Tensor x = Tensor::zeros({n, 3, 1});
  auto y = l(x, true).to_vector();
  int64_t dropped = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < u; ++k) {
      EXPECT_EQ(y[(b * 3) * u + k], 1.f);
      const float h2 = y[(b * 3 + 1) * u + k], h3 = y[(b * 3 + 2) * u + k];
      EXPECT_TRUE(h2 == 1.f || std::abs(h2 - 3.f) < 1e-6) << h2;
      // The same mask at the next step: h3 = 1 + h2 ⊙ m.
      EXPECT_NEAR(h3, h2 == 1.f ? 1.f : 7.f, 1e-5);
      dropped += h2 == 1.f;
    }
  EXPECT_NEAR(double(dropped) / (n * u), 0.5, 0.05);
  // Not training: h_t = t.
  auto inf = l(x, false).to_vector();
  EXPECT_EQ(inf[2 * u], 3.f);
}

TEST(Recurrent, DropoutGradientsFlowThroughTheKeptUnits) {
  auto l = random_layer(RnnCell::lstm, {.units = 3, .dropout = 0.3f, .recurrent_dropout = 0.3f,
                                        .return_sequences = true, .seed = 4}, 2, 95);
  Tensor x = test::random_tensor({2, 4, 2}, 19).set_requires_grad(true);
  // Each evaluation must see the same masks: a fresh twin with the same seed per evaluation.
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        LSTM twin(l->options());
        twin.build(Shape{-1, 4, 2});
        twin.kernel().copy_(l->kernel());
        twin.recurrent_kernel().copy_(l->recurrent_kernel());
        twin.bias().copy_(l->bias());
        return twin.run(in[0], Tensor(), {}, true)[0];
      },
      {x}));
  // And the masks do change the result.
  LSTM twin(l->options());
  twin.build(Shape{-1, 4, 2});
  EXPECT_NE(twin(x, true).to_vector(), twin(x, false).to_vector());
}

TEST(Recurrent, StatefulCarriesStatesUntilReset) {
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(cell_name(cell));
    auto stateful = random_layer(cell, {.units = 3, .return_sequences = true, .stateful = true}, 2, 100);
    auto plain = random_layer(cell, {.units = 3, .return_sequences = true}, 2, 100);
    Tensor a = test::random_tensor({2, 3, 2}, 21), b = test::random_tensor({2, 4, 2}, 22);
    Tensor ab = ops::concat({a, b}, 1);
    auto whole = (*plain)(ab).to_vector();
    (*stateful)(a);
    auto second = (*stateful)(b).to_vector();
    std::vector<float> tail;
    for (int r = 0; r < 2; ++r)
      tail.insert(tail.end(), whole.begin() + (r * 7 + 3) * 3, whole.begin() + (r * 7 + 7) * 3);
    expect_near(second, tail);
    stateful->reset_states();
    expect_near((*stateful)(b).to_vector(), (*plain)(b).to_vector());
    test::expect_value_error([&] { (*stateful)(test::random_tensor({3, 4, 2}, 23)); },
                             {"stateful", "batch size 2", "(3, 4, 2)"});
  }
}

TEST(Recurrent, ErrorsNameTheLayer) {
  test::expect_value_error([] { LSTM({.units = 0, .name = "l0"}); }, {"LSTM 'l0'", "units", "0"});
  test::expect_value_error([] { GRU({.units = 2, .dropout = 1.f, .name = "g"}); },
                           {"GRU 'g'", "dropout", "[0, 1)"});
  test::expect_value_error([] { GRU({.units = 2, .recurrent_dropout = -0.1f, .name = "g"}); },
                           {"GRU 'g'", "recurrent_dropout"});
  test::expect_value_error([] { SimpleRNN({.units = 2, .activation = "nope", .name = "s"}); },
                           {"SimpleRNN 's'", "nope"});
  test::expect_value_error(
      [] { LSTM({.units = 2, .recurrent_activation = "bogus", .name = "l"}); }, {"LSTM 'l'", "bogus"});

  LSTM l({.units = 2, .name = "lstm_e"});
  test::expect_value_error([&] { l(Tensor::zeros({2, 3})); }, {"LSTM 'lstm_e'", "rank 3", "(2, 3)"});
  test::expect_value_error([&] { l.build(Shape{-1, 0, 3}); }, {"LSTM 'lstm_e'", "time step"});
  Tensor x = Tensor::zeros({2, 4, 3});
  l(x);
  test::expect_value_error([&] { l(Tensor::zeros({2, 0, 3})); }, {"LSTM 'lstm_e'", "(2, 0, 3)"});
  test::expect_value_error([&] { l(Tensor::zeros({2, 4, 5})); },
                           {"LSTM 'lstm_e'", "(batch, timesteps, 3)", "(2, 4, 5)"});
  // Built for 4 steps, it still takes any number of steps, as Keras' RNN input spec does.
  EXPECT_EQ(l(Tensor::zeros({2, 9, 3})).shape(), (Shape{2, 2}));
  test::expect_value_error([&] { l.call_on({x, Tensor::zeros({2, 2})}, false); },
                           {"LSTM 'lstm_e'", "2 initial state(s)", "got 1"});
  test::expect_value_error([&] { l.run(x, Tensor(), {Tensor::zeros({2, 2}), Tensor::zeros({3, 2})}, false); },
                           {"LSTM 'lstm_e'", "initial state 1", "(2, 2)", "(3, 2)"});
  test::expect_value_error([&] { l.call_masked({x}, {Tensor::ones({2, 3})}, false); },
                           {"LSTM 'lstm_e'", "mask", "(2, 4)", "(2, 3)"});
}

TEST(Recurrent, GradientsWithNonFusedActivations) {
  // Step path without a mask: activations the fused primitive does not have.
  struct Case { RnnCell cell; const char* act; const char* ract; };
  for (auto c : {Case{RnnCell::lstm, "tanh", "hard_sigmoid_legacy"},
                 Case{RnnCell::gru_reset_after, "softsign", "sigmoid"},
                 Case{RnnCell::simple, "", ""}}) {
    SCOPED_TRACE(cell_name(c.cell) + " " + c.act + " " + c.ract);
    RecurrentOptions o{.units = 3, .activation = c.act, .return_sequences = true};
    if (*c.ract) o.recurrent_activation = c.ract;
    auto l = random_layer(c.cell, o, 2, 120);
    Tensor x = test::random_tensor({2, 4, 2}, 24).set_requires_grad(true);
    EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { touch(in); return (*l)(in[0]); },
                                {x, l->kernel(), l->recurrent_kernel(), l->bias()}));
  }
}

// The two paths' gradients agree too. The step path runs beside an extra row (forcing it with a
// mask that has a gap); the loss ignores that row, so it adds nothing to the weights' gradients.
TEST(Recurrent, FusedPathGradientsEqualStepPathGradients) {
  for (RnnCell cell : kCells)
    for (bool back : {false, true}) {
      SCOPED_TRACE(cell_name(cell) + (back ? " backwards" : ""));
      auto l = random_layer(cell, {.units = 4, .return_sequences = true, .go_backwards = back}, 3, 130);
      std::vector<Tensor> weights{l->kernel(), l->recurrent_kernel(), l->bias()};
      Tensor x3 = test::random_tensor({3, 5, 3}, 25).set_requires_grad(true);
      Tensor x2 = x3.slice_rows(0, 2).clone().set_requires_grad(true);
      Tensor p2 = test::random_tensor({2, 5, 4}, 26);
      Tensor p3 = ops::concat({p2, Tensor::zeros({1, 5, 4})}, 0);
      std::vector<float> mv(15, 1.f);
      mv[2 * 5 + 1] = 0.f;

      ops::sum(ops::mul(l->run(x2, Tensor(), {}, false)[0], p2)).backward();
      std::vector<std::vector<float>> fused;
      for (auto& w : weights) fused.push_back(w.grad().to_vector()), w.zero_grad();
      ops::sum(ops::mul(l->run(x3, Tensor::from_vector({3, 5}, mv), {}, false)[0], p3)).backward();
      for (size_t k = 0; k < weights.size(); ++k) {
        SCOPED_TRACE(k);
        expect_near(weights[k].grad().to_vector(), fused[k], 1e-5);
        weights[k].zero_grad();
      }
      auto dx3 = x3.grad().to_vector();
      dx3.resize(30);
      expect_near(x2.grad().to_vector(), dx3, 1e-5);
    }
}

// Which path ran shows in the autodiff graph: the fused primitive's outputs come from "rnn_output".
TEST(Recurrent, ChoosesTheFusedPathExactlyWhenItComputesTheLayer) {
  Tensor x = test::random_tensor({2, 4, 2}, 27);
  auto fused = [&](RnnCell cell, RecurrentOptions o, const Tensor& mask, bool training) {
    o.units = 3;
    o.return_state = true;
    auto l = random_layer(cell, o, 2, 140);
    auto out = l->run(x, mask, {}, training);
    return out[1].grad_fn() && std::string(out[1].grad_fn()->op) == "rnn_output";
  };
  const Tensor none;
  std::vector<float> mv(8, 1.f);
  const Tensor ones = Tensor::from_vector({2, 4}, mv);
  // A mask with a gap (1, 0, 1, 1) needs the step path; contiguous masks run fused (see
  // recurrent_masked_fused_test.cpp).
  mv[1] = 0.f;
  const Tensor partial = Tensor::from_vector({2, 4}, mv);
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(cell_name(cell));
    EXPECT_TRUE(fused(cell, {}, none, false));
    EXPECT_TRUE(fused(cell, {}, ones, false));
    EXPECT_FALSE(fused(cell, {}, partial, false));
    EXPECT_TRUE(fused(cell, {.dropout = 0.5f}, none, true));
    EXPECT_TRUE(fused(cell, {.recurrent_dropout = 0.5f}, none, false));
    EXPECT_FALSE(fused(cell, {.recurrent_dropout = 0.5f}, none, true));
    EXPECT_FALSE(fused(cell, {.activation = "softsign"}, none, false));
  }
  EXPECT_TRUE(fused(RnnCell::simple, {.activation = "relu"}, none, false));
  EXPECT_TRUE(fused(RnnCell::simple, {.activation = "sigmoid"}, none, false));
  EXPECT_FALSE(fused(RnnCell::lstm, {.recurrent_activation = "hard_sigmoid_legacy"}, none, false));
  EXPECT_FALSE(fused(RnnCell::gru, {.recurrent_activation = "hard_sigmoid"}, none, false));
}
