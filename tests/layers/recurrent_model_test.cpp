// Recurrent layers inside models: masks from Embedding(mask_zero) reach them, initial states come
// in as extra Functional inputs, and return_state gives extra outputs.
#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "strata/layers/recurrent.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(RecurrentModel, EmbeddingMaskReachesTheLayer) {
  auto emb = std::make_shared<Embedding>(EmbeddingOptions{.input_dim = 10, .output_dim = 3,
                                                          .mask_zero = true});
  auto gru = std::make_shared<GRU>(RecurrentOptions{.units = 4, .return_sequences = true});
  Sequential m({Input({5}, {.dtype = DType::int32}), emb, gru});
  // Row 0 pads at the end, row 1 at the start.
  Tensor ids = Tensor::from_vector({2, 5}, std::vector<int32_t>{3, 1, 4, 0, 0, 0, 0, 2, 7, 9});
  Tensor y = m.predict(ids);
  Tensor mask = Tensor::from_vector({2, 5}, std::vector<float>{1, 1, 1, 0, 0, 0, 0, 1, 1, 1});
  Tensor want = gru->run((*emb)(ids), mask, {}, false)[0];
  EXPECT_LE(test::max_abs_diff(y.to_vector(), want.to_vector()), 1e-6);
  // Padded steps repeat the previous output (zeros before the first real step).
  auto v = y.to_vector();
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(v[(0 * 5 + 3) * 4 + j], v[(0 * 5 + 2) * 4 + j]);
    EXPECT_EQ(v[(0 * 5 + 4) * 4 + j], v[(0 * 5 + 2) * 4 + j]);
    EXPECT_EQ(v[(1 * 5 + 0) * 4 + j], 0.f);
    EXPECT_EQ(v[(1 * 5 + 1) * 4 + j], 0.f);
  }
  // Unmasked, the result differs: the mask was applied, not dropped.
  Tensor unmasked = gru->run((*emb)(ids), Tensor(), {}, false)[0];
  EXPECT_GT(test::max_abs_diff(y.to_vector(), unmasked.to_vector()), 1e-4);
}

TEST(RecurrentModel, InitialStatesAndReturnedStatesInAFunctionalModel) {
  auto lstm = std::make_shared<LSTM>(RecurrentOptions{.units = 4, .return_state = true});
  SymbolicTensor x = Input({6, 3}), h0 = Input({4}), c0 = Input({4});
  SymbolicTensor y = (*lstm)({x, h0, c0});
  SymbolicTensor h(y.node(), 1), c(y.node(), 2);
  Model m({x, h0, c0}, {y, h, c});
  Tensor xv = test::random_tensor({2, 6, 3}, 1), hv = test::random_tensor({2, 4}, 2),
         cv = test::random_tensor({2, 4}, 3);
  auto got = m.predict(std::vector<Tensor>{xv, hv, cv});
  auto want = lstm->run(xv, Tensor(), {hv, cv}, false);
  ASSERT_EQ(got.size(), 3u);
  for (size_t k = 0; k < 3; ++k)
    EXPECT_LE(test::max_abs_diff(got[k].to_vector(), want[k].to_vector()), 1e-6) << k;
  // Without return_sequences the output is the final h.
  EXPECT_EQ(got[0].to_vector(), got[1].to_vector());
}

TEST(RecurrentModel, AcceptsAnyLengthWhenTimeIsNone) {
  // The layer builds for (None, None, 3) like Keras' Input((None, 3)) would give it.
  LSTM lstm({.units = 2, .return_sequences = true});
  lstm.build(Shape{-1, -1, 3});
  EXPECT_EQ(lstm.input_shape(), (Shape{-1, -1, 3}));
  EXPECT_EQ(lstm.output_shape(), (Shape{-1, -1, 2}));
  EXPECT_EQ(lstm(Tensor::zeros({2, 5, 3})).shape(), (Shape{2, 5, 2}));
  EXPECT_EQ(lstm(Tensor::zeros({2, 7, 3})).shape(), (Shape{2, 7, 2}));
}

TEST(RecurrentModel, TrainsOnAToyTask) {
  // Predict the sum of a sequence: a GRU then a Dense head learns it quickly.
  set_random_seed(3);
  Sequential m({Input({6, 1}), GRU({.units = 8}), Dense({.units = 1})});
  m.compile({.optimizer = "adam", .loss = "mse"});
  std::vector<float> xs, ys;
  for (int i = 0; i < 256; ++i) {
    float s = 0;
    for (int t = 0; t < 6; ++t) {
      float v = float((i * 7 + t * 13) % 11) / 10.f - 0.5f;
      xs.push_back(v);
      s += v;
    }
    ys.push_back(s);
  }
  Tensor x = Tensor::from_vector({256, 6, 1}, xs), y = Tensor::from_vector({256, 1}, ys);
  const float before = float(m.evaluate(x, y)["loss"]);
  m.fit(x, y, {.batch_size = 32, .epochs = 30, .verbose = 0});
  const float after = float(m.evaluate(x, y)["loss"]);
  EXPECT_LT(after, before * 0.2f) << before << " -> " << after;
}
