// Edge cases of the recurrent stack found in review: empty batches and single steps, integer
// inputs and masks, Bidirectional called on sequences of another length, NaN padding at masked
// steps, gradients through rarely combined options, and the inference weight cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "layers/recurrent_reference.hpp"
#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/recurrent.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

constexpr RnnCell kCells[] = {RnnCell::simple, RnnCell::lstm, RnnCell::gru,
                              RnnCell::gru_reset_after};

std::shared_ptr<Recurrent> make(RnnCell cell, RecurrentOptions o) {
  if (cell == RnnCell::simple) return std::make_shared<SimpleRNN>(o);
  if (cell == RnnCell::lstm) return std::make_shared<LSTM>(o);
  o.reset_after = cell == RnnCell::gru_reset_after;
  return std::make_shared<GRU>(o);
}

}  // namespace

TEST(RecurrentReview, EmptyBatch) {
  for (RnnCell cell : kCells)
    for (const char* act : {"tanh", "relu"}) {
      SCOPED_TRACE(std::string(rnn_cell_name(cell)) + " " + act);
      auto l = make(cell, {.units = 3, .activation = act, .return_sequences = true,
                           .return_state = true});
      Tensor x = Tensor::zeros({0, 4, 2});
      auto out = l->call_masked({x}, {}, false);
      EXPECT_EQ(out[0].shape(), (Shape{0, 4, 3}));
      EXPECT_EQ(out[1].shape(), (Shape{0, 3}));
      auto masked = l->call_masked({x}, {Tensor::zeros({0, 4})}, false);
      EXPECT_EQ(masked[0].shape(), (Shape{0, 4, 3}));
    }
}

TEST(RecurrentReview, SingleStep) {
  for (RnnCell cell : kCells) {
    auto l = make(cell, {.units = 3, .return_sequences = true, .go_backwards = true});
    Tensor x = test::random_tensor({2, 1, 2}, 3);
    auto out = l->call_masked({x}, {Tensor::from_vector(Shape{2, 1}, std::vector<float>{1, 0})},
                              false);
    EXPECT_EQ(out[0].shape(), (Shape{2, 1, 3}));
    auto v = out[0].to_vector();
    for (int k = 3; k < 6; ++k) EXPECT_EQ(v[k], 0.f);
  }
}

TEST(RecurrentReview, IntegerInputIsAValueError) {
  for (const char* act : {"tanh", "relu"}) {
    auto l = make(RnnCell::lstm, {.units = 3, .activation = act});
    Tensor x = Tensor::from_vector(Shape{1, 2, 2}, std::vector<int32_t>{1, 2, 3, 4});
    test::expect_value_error([&] { l->call_masked({x}, {}, false); }, {"LSTM"});
  }
}

TEST(RecurrentReview, IntegerMask) {
  auto l = make(RnnCell::gru, {.units = 3});
  Tensor x = test::random_tensor({2, 3, 2}, 3);
  Tensor fm = Tensor::from_vector(Shape{2, 3}, std::vector<float>{1, 1, 0, 1, 0, 0});
  Tensor im = Tensor::from_vector(Shape{2, 3}, std::vector<int32_t>{1, 1, 0, 1, 0, 0});
  try {
    auto a = l->call_masked({x}, {fm}, false)[0].to_vector();
    auto b = l->call_masked({x}, {im}, false)[0].to_vector();
    EXPECT_EQ(a, b);
  } catch (const ValueError&) {
  }
}

TEST(RecurrentReview, BidirectionalAcceptsAnotherSequenceLength) {
  Bidirectional bi(std::make_shared<LSTM>(RecurrentOptions{.units = 2}));
  bi(test::random_tensor({2, 5, 3}, 1));
  EXPECT_EQ(bi(test::random_tensor({2, 7, 3}, 2)).shape(), (Shape{2, 4}));
}

// Keras picks a masked step's state and output with tf.where, so whatever padding holds (NaN,
// inf) never reaches the result; the step path and the packed fused path must agree with that.
TEST(RecurrentReview, NonFiniteValuesAtMaskedStepsDoNotLeak) {
  const float nan = std::nanf("");
  // One valid block per row (right and left padding: the packed fused path), then a row with a
  // gap (the step path).
  const std::vector<float> blocks{1, 1, 0, 0, 0, 1, 1, 1};
  const std::vector<float> gap{1, 1, 0, 0, 1, 0, 1, 1};
  for (RnnCell cell : kCells)
    for (const auto* mask : {&blocks, &gap})
      for (bool zero_out : {false, true}) {
        SCOPED_TRACE(std::string(rnn_cell_name(cell)) + (mask == &gap ? " gap" : " blocks") +
                     (zero_out ? " zero_output" : ""));
        auto l = make(cell, {.units = 3, .return_sequences = true, .return_state = true});
        l->zero_output_for_mask = zero_out;
        std::vector<float> xv = test::random_tensor({2, 4, 2}, 5).to_vector();
        for (size_t k = 0; k < mask->size(); ++k)
          if ((*mask)[k] == 0.f) xv[2 * k] = xv[2 * k + 1] = nan;
        const Tensor x = Tensor::from_vector(Shape{2, 4, 2}, xv);
        const auto out = l->call_masked({x}, {Tensor::from_vector(Shape{2, 4}, *mask)}, false);
        for (const Tensor& t : out)
          for (float v : t.to_vector()) EXPECT_TRUE(std::isfinite(v)) << t.shape().str();
      }
}

// The fused primitive's backward over an empty batch. (The step path's is not checked here: its
// ops::matmul backward over a zero-sized batch stops the process in oneDNN, outside this stack.)
TEST(RecurrentReview, EmptyBatchGradientsOnTheFusedPath) {
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(rnn_cell_name(cell));
    auto l = make(cell, {.units = 3, .return_sequences = true});
    Tensor x = Tensor::zeros({0, 4, 2}).set_requires_grad(true);
    Tensor y = l->call_masked({x}, {}, true)[0];
    ops::sum(y, {0, 1, 2}, false).backward();
    EXPECT_EQ(x.grad().shape(), (Shape{0, 4, 2}));
    EXPECT_EQ(l->kernel().grad().to_vector(), std::vector<float>(l->kernel().numel(), 0.f));
  }
}

TEST(RecurrentReview, BidirectionalEmptyBatchAndSingleStep) {
  for (int64_t n : {0, 2})
    for (int64_t t : {1, 3}) {
      SCOPED_TRACE("n " + std::to_string(n) + " t " + std::to_string(t));
      Bidirectional bi(std::make_shared<GRU>(RecurrentOptions{.units = 2, .return_sequences = true}));
      EXPECT_EQ(bi(Tensor::zeros({n, t, 3})).shape(), (Shape{n, t, 4}));
    }
}

// The rarely combined options at once: go_backwards inside Bidirectional, return_state, initial
// states and a mask with a gap (step path) or without (packed path), through every merge mode.
TEST(RecurrentReview, BidirectionalGradientsWithStatesAndMask) {
  const std::vector<float> blocks{1, 1, 1, 0, 0, 1, 1, 1};
  const std::vector<float> gap{1, 0, 1, 1, 1, 1, 0, 1};
  for (const char* merge : {"concat", "sum", "mul", "ave"})
    for (const auto* mv : {&blocks, &gap}) {
      SCOPED_TRACE(std::string(merge) + (mv == &gap ? " gap" : " blocks"));
      Bidirectional bi(LSTM({.units = 2, .return_sequences = true, .return_state = true,
                             .go_backwards = true}),
                       {.merge_mode = merge});
      const Tensor mask = Tensor::from_vector({2, 4}, *mv);
      Tensor x = test::random_tensor({2, 4, 3}, 41).set_requires_grad(true);
      bi.build(x.shape());
      uint64_t seed = 150;
      for (auto& w : bi.weights()) w.copy_(test::random_tensor(w.shape(), seed++, -0.6f, 0.6f));
      std::vector<Tensor> in{x};
      for (int k = 0; k < 4; ++k)
        in.push_back(test::random_tensor({2, 2}, 60 + k, -0.5f, 0.5f).set_requires_grad(true));
      EXPECT_TRUE(test::gradcheck(
          [&](auto& v) {
            auto out = bi.call_masked(v, {mask}, true);
            std::vector<Tensor> parts{ops::reshape(out[0], Shape{2, out[0].numel() / 2})};
            for (size_t k = 1; k < out.size(); ++k) parts.push_back(out[k]);
            return ops::concat(parts, 1);
          },
          in));
    }
}

// Inference keeps the fused primitive's reordered weights across calls; a weight changed in
// place (copy_, as set_weights / load_weights / optimizers do, or written through its memory
// without a version bump) must never be read stale.
TEST(RecurrentReview, InferenceWeightCacheSeesInPlaceChanges) {
  NoGrad no_grad;
  for (RnnCell cell : kCells) {
    SCOPED_TRACE(rnn_cell_name(cell));
    auto l = make(cell, {.units = 16, .return_sequences = true});
    auto fresh = make(cell, {.units = 16, .return_sequences = true});
    const Tensor x = test::random_tensor({4, 6, 8}, 7);
    l->call_masked({x}, {}, false);
    fresh->call_masked({x}, {}, false);
    l->kernel().copy_(test::random_tensor(l->kernel().shape(), 8));
    const Tensor r = test::random_tensor(l->recurrent_kernel().shape(), 9);
    std::copy_n(r.to_vector().data(), r.numel(), l->recurrent_kernel().fdata());
    fresh->kernel().copy_(l->kernel());
    fresh->recurrent_kernel().copy_(r);
    if (l->bias().defined()) fresh->bias().copy_(l->bias());
    EXPECT_EQ(l->call_masked({x}, {}, false)[0].to_vector(),
              fresh->call_masked({x}, {}, false)[0].to_vector());
  }
}
