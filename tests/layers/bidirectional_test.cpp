// Bidirectional: merge modes against the two directions run by hand, time order of the backward
// output, masks, states, gradients, weights, configs (Keras 2 and 3) and errors.
#include "strata/layers/bidirectional.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "strata/layers/recurrent.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"
#include "support/model_files.hpp"

using namespace strata;
using nlohmann::json;

namespace {

// (N, T, U) host values with the time axis reversed.
std::vector<float> reversed_in_time(const Tensor& y) {
  const auto v = y.to_vector();
  const int64_t n = y.dim(0), t = y.dim(1), u = y.dim(2);
  std::vector<float> out(v.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t s = 0; s < t; ++s)
      for (int64_t k = 0; k < u; ++k)
        out[static_cast<size_t>((i * t + s) * u + k)] =
            v[static_cast<size_t>((i * t + (t - 1 - s)) * u + k)];
  return out;
}

Tensor reversed_input(const Tensor& x) {
  return Tensor::from_vector(x.shape(), reversed_in_time(x));
}

void expect_near(const std::vector<float>& a, const std::vector<float>& b, float tol = 1e-6f) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "at " << i;
}

// Distinct weights for both directions, so swapping them would show.
void randomize(Bidirectional& bi, uint64_t seed) {
  for (auto& w : bi.weights()) w.copy_(test::random_tensor(w.shape(), seed++, -0.6f, 0.6f));
}

}  // namespace

TEST(Bidirectional, MakesForwardAndBackwardCopies) {
  Bidirectional bi(LSTM({.units = 3, .name = "enc"}));
  EXPECT_EQ(bi.forward_layer()->name(), "forward_enc");
  EXPECT_EQ(bi.backward_layer()->name(), "backward_enc");
  EXPECT_FALSE(bi.forward_layer()->options().go_backwards);
  EXPECT_TRUE(bi.backward_layer()->options().go_backwards);
  EXPECT_EQ(bi.forward_layer()->class_name(), "LSTM");
  // A wrapped go_backwards layer runs backwards in the "forward" slot (Keras 2 flips the flag).
  Bidirectional flipped(GRU({.units = 2, .go_backwards = true}));
  EXPECT_TRUE(flipped.forward_layer()->options().go_backwards);
  EXPECT_FALSE(flipped.backward_layer()->options().go_backwards);
  // Keras 3 names: a "forward_" prefix is not repeated.
  Bidirectional again(LSTM({.units = 3, .name = "forward_x"}));
  EXPECT_EQ(again.forward_layer()->name(), "forward_x");
  EXPECT_EQ(again.backward_layer()->name(), "backward_forward_x");
}

TEST(Bidirectional, WeightsAreForwardThenBackward) {
  Bidirectional bi(GRU({.units = 4}));
  bi.build(Shape{-1, 5, 3});
  ASSERT_EQ(bi.weights().size(), 6u);
  EXPECT_TRUE(bi.weights()[0].same(bi.forward_layer()->kernel()));
  EXPECT_TRUE(bi.weights()[3].same(bi.backward_layer()->kernel()));
  EXPECT_EQ(bi.count_params(), 2 * (3 * 12 + 4 * 12 + 2 * 12));
  bi.set_trainable(false);
  EXPECT_TRUE(bi.trainable_weights().empty());
  EXPECT_EQ(bi.non_trainable_weights().size(), 6u);
  EXPECT_FALSE(bi.backward_layer()->trainable());
  bi.set_trainable(true);
  EXPECT_EQ(bi.trainable_weights().size(), 6u);
}

TEST(Bidirectional, EveryMergeModeMatchesTheDirectionsRunByHand) {
  const Tensor x = test::random_tensor({2, 5, 3}, 11);
  for (const char* mode : {"concat", "sum", "mul", "ave", "none"}) {
    SCOPED_TRACE(mode);
    Bidirectional bi(LSTM({.units = 4, .return_sequences = true}), {.merge_mode = mode});
    bi.build(x.shape());
    randomize(bi, 3);
    const auto out = bi.call_on({x}, false);
    // The backward direction by hand: a forward LSTM with its weights on the reversed input,
    // whose outputs, reversed back, line up with the input steps.
    LSTM plain({.units = 4, .return_sequences = true});
    plain.build(x.shape());
    for (size_t i = 0; i < plain.weights().size(); ++i)
      plain.weights()[i].copy_(bi.backward_layer()->weights()[i]);
    const auto f = bi.forward_layer()->run(x, Tensor(), {}, false)[0].to_vector();
    const auto b = reversed_in_time(plain(reversed_input(x)));
    ASSERT_EQ(f.size(), b.size());
    std::vector<float> want;
    if (std::string(mode) == "concat") {
      for (size_t r = 0; r < f.size() / 4; ++r) {
        want.insert(want.end(), f.begin() + static_cast<long>(r * 4),
                    f.begin() + static_cast<long>(r * 4 + 4));
        want.insert(want.end(), b.begin() + static_cast<long>(r * 4),
                    b.begin() + static_cast<long>(r * 4 + 4));
      }
      EXPECT_EQ(out[0].shape(), (Shape{2, 5, 8}));
    } else if (std::string(mode) == "none") {
      ASSERT_EQ(out.size(), 2u);
      expect_near(out[0].to_vector(), f);
      expect_near(out[1].to_vector(), b);
      continue;
    } else {
      for (size_t i = 0; i < f.size(); ++i) {
        const std::string m = mode;
        want.push_back(m == "sum" ? f[i] + b[i] : m == "mul" ? f[i] * b[i] : (f[i] + b[i]) / 2);
      }
      EXPECT_EQ(out[0].shape(), (Shape{2, 5, 4}));
    }
    ASSERT_EQ(out.size(), 1u);
    expect_near(out[0].to_vector(), want);
    EXPECT_EQ(bi.compute_output_shape(Shape{-1, 5, 3}), (Shape{-1, 5, out[0].dim(2)}));
  }
}

TEST(Bidirectional, LastOutputsWithoutReturnSequences) {
  const Tensor x = test::random_tensor({3, 4, 2}, 5);
  Bidirectional bi(GRU({.units = 3}));
  bi.build(x.shape());
  randomize(bi, 40);
  const Tensor y = bi(x);
  EXPECT_EQ(y.shape(), (Shape{3, 6}));
  GRU plain({.units = 3});
  plain.build(x.shape());
  for (size_t i = 0; i < plain.weights().size(); ++i)
    plain.weights()[i].copy_(bi.backward_layer()->weights()[i]);
  const auto f = bi.forward_layer()->run(x, Tensor(), {}, false)[0].to_vector();
  const auto b = plain(reversed_input(x)).to_vector();
  std::vector<float> want;
  for (int r = 0; r < 3; ++r) {
    want.insert(want.end(), f.begin() + r * 3, f.begin() + r * 3 + 3);
    want.insert(want.end(), b.begin() + r * 3, b.begin() + r * 3 + 3);
  }
  expect_near(y.to_vector(), want);
}

TEST(Bidirectional, ReturnStateAndInitialStates) {
  const Tensor x = test::random_tensor({2, 3, 4}, 8);
  Bidirectional bi(LSTM({.units = 2, .return_state = true}));
  bi.build(x.shape());
  randomize(bi, 60);
  EXPECT_EQ(bi.num_outputs(), 5);
  std::vector<Tensor> states;
  for (uint64_t s = 0; s < 4; ++s) states.push_back(test::random_tensor({2, 2}, 70 + s));
  const auto out = bi.call_on({x, states[0], states[1], states[2], states[3]}, false);
  ASSERT_EQ(out.size(), 5u);
  const auto f = bi.forward_layer()->run(x, Tensor(), {states[0], states[1]}, false);
  const auto b = bi.backward_layer()->run(x, Tensor(), {states[2], states[3]}, false);
  expect_near(out[1].to_vector(), f[1].to_vector());
  expect_near(out[2].to_vector(), f[2].to_vector());
  expect_near(out[3].to_vector(), b[1].to_vector());
  expect_near(out[4].to_vector(), b[2].to_vector());
  // Without initial states both directions start from zeros: a different result.
  EXPECT_NE(bi.call_on({x}, false)[1].to_vector(), out[1].to_vector());
  test::expect_value_error(
      [&] {
        bi.call_on({x, states[0]}, false);
      },
      {"Bidirectional", "4 initial states", "got 2 inputs"});

  // In a Functional model: every output has its shape.
  SymbolicTensor in = Input({3, 4});
  auto layer = std::make_shared<Bidirectional>(LSTM({.units = 2, .return_state = true}),
                                               BidirectionalOptions{.merge_mode = "sum"});
  SymbolicTensor y = (*layer)(in);
  EXPECT_EQ(y.shape(), (Shape{-1, 2}));
  SymbolicTensor h_back(y.node(), 3);
  EXPECT_EQ(h_back.shape(), (Shape{-1, 2}));
  Model m(in, {y, h_back});
  const auto preds = m.predict(std::vector<Tensor>{x});
  ASSERT_EQ(preds.size(), 2u);
  EXPECT_EQ(preds[1].shape(), (Shape{2, 2}));
}

TEST(Bidirectional, MaskedStepsGiveZerosAndStatesSkipThem) {
  // Row 0 is padded after 3 steps, row 1 is full.
  Tensor x = test::random_tensor({2, 5, 3}, 21);
  const Tensor mask = Tensor::from_vector({2, 5}, std::vector<float>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1});
  Bidirectional seq(LSTM({.units = 2, .return_sequences = true}));
  seq.build(x.shape());
  randomize(seq, 90);
  EXPECT_TRUE(seq.forward_layer()->zero_output_for_mask);
  EXPECT_TRUE(seq.backward_layer()->zero_output_for_mask);
  const Tensor y = seq.call_masked({x}, {mask}, false)[0];
  const auto v = y.to_vector();
  for (int s = 3; s < 5; ++s)
    for (int k = 0; k < 4; ++k) EXPECT_EQ(v[static_cast<size_t>(s * 4 + k)], 0.f) << "step " << s;
  const auto out_masks = seq.compute_mask({x}, {mask});
  ASSERT_EQ(out_masks.size(), 1u);
  EXPECT_TRUE(out_masks[0].same(mask));

  // Without return_sequences, a padded row gives what its unpadded prefix gives.
  Bidirectional last(GRU({.units = 3}));
  last.build(Shape{-1, 5, 3});
  randomize(last, 120);
  EXPECT_FALSE(last.forward_layer()->zero_output_for_mask);
  const auto full = last.call_masked({x}, {mask}, false)[0].to_vector();
  std::vector<float> prefix;
  const auto xv = x.to_vector();
  prefix.assign(xv.begin(), xv.begin() + 9);  // row 0, steps 0..2
  Bidirectional short_bi(GRU({.units = 3}));
  short_bi.build(Shape{-1, 3, 3});
  for (size_t i = 0; i < short_bi.weights().size(); ++i)
    short_bi.weights()[i].copy_(last.weights()[i]);
  const auto want = short_bi(Tensor::from_vector({1, 3, 3}, prefix)).to_vector();
  expect_near(std::vector<float>(full.begin(), full.begin() + 6), want, 1e-5f);
  EXPECT_TRUE(last.compute_mask({x}, {mask})[0].defined() == false);
  test::expect_value_error(
      [&] {
        last.call_masked({x}, {Tensor::ones({2, 4})}, false);
      },
      {"Bidirectional", "mask"});
}

TEST(Bidirectional, MaskFromEmbeddingInAModel) {
  auto emb = std::make_shared<Embedding>(
      EmbeddingOptions{.input_dim = 10, .output_dim = 4, .mask_zero = true});
  auto bi = std::make_shared<Bidirectional>(LSTM({.units = 3, .return_sequences = true}));
  Sequential model({Input({6}), emb, bi, GlobalAveragePooling1D()});
  test::randomize_weights(model, 4);
  const Tensor ids =
      Tensor::from_vector({2, 6}, std::vector<float>{3, 1, 4, 0, 0, 0, 5, 9, 2, 6, 5, 3});
  const auto got = model.predict(ids).to_vector();
  ASSERT_EQ(got.size(), 12u);
  // Row 0: the mask reaches Bidirectional (zeros at the padded steps, which do not move the
  // states) and the pooling after it (the mean over the 3 real steps).
  const Tensor mask =
      Tensor::from_vector({2, 6}, std::vector<float>{1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1});
  const auto seq = bi->call_masked({(*emb)(ids)}, {mask}, false)[0].to_vector();
  for (int k = 0; k < 6; ++k) {
    float mean = 0.f;
    for (int s = 0; s < 3; ++s) mean += seq[static_cast<size_t>(s * 6 + k)] / 3.f;
    EXPECT_NEAR(got[static_cast<size_t>(k)], mean, 1e-6f);
  }
  // Without the mask the padded steps would count.
  const auto unmasked = (*bi)((*emb)(ids)).to_vector();
  float mean0 = 0.f;
  for (int s = 0; s < 6; ++s) mean0 += unmasked[static_cast<size_t>(s * 6)] / 6.f;
  EXPECT_GT(std::abs(mean0 - got[0]), 1e-4f);
}

TEST(Bidirectional, GradientsThroughMaskedGRU) {
  Bidirectional bi(GRU({.units = 2, .return_sequences = true}), {.merge_mode = "concat"});
  const Tensor mask = Tensor::from_vector({2, 4}, std::vector<float>{1, 1, 0, 0, 1, 1, 1, 1});
  Tensor x = test::random_tensor({2, 4, 3}, 31).set_requires_grad(true);
  bi.build(x.shape());
  randomize(bi, 140);
  EXPECT_TRUE(
      test::gradcheck([&](auto& in) { return bi.call_masked({in[0]}, {mask}, true)[0]; }, {x}));
  // With respect to both directions' kernels.
  const Tensor fixed = test::random_tensor({2, 4, 3}, 32);
  EXPECT_TRUE(
      test::gradcheck([&](auto&) { return bi.call_masked({fixed}, {mask}, true)[0]; },
                      {bi.forward_layer()->kernel(), bi.backward_layer()->recurrent_kernel()}));
}

TEST(Bidirectional, ConfigRoundTrip) {
  Bidirectional bi(LSTM({.units = 5,
                         .recurrent_activation = "hard_sigmoid_legacy",
                         .return_sequences = true,
                         .name = "lstm_enc"}),
                   {.merge_mode = "ave", .name = "bi"});
  const json c = bi.get_config();
  EXPECT_EQ(c["name"], "bi");
  EXPECT_EQ(c["merge_mode"], "ave");
  EXPECT_EQ(c["layer"]["class_name"], "LSTM");
  EXPECT_EQ(c["layer"]["config"]["name"], "lstm_enc");  // tf.keras 2 writes the wrapped layer
  EXPECT_EQ(c["layer"]["config"]["units"], 5);
  EXPECT_FALSE(c.contains("backward_layer"));
  LayerPtr back = layer_from_config(layer_to_config(bi));
  auto* b = dynamic_cast<Bidirectional*>(back.get());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->merge_mode(), "ave");
  EXPECT_EQ(b->forward_layer()->name(), "forward_lstm_enc");
  EXPECT_EQ(back->get_config(), c);

  // merge_mode None is null; a given backward layer is written.
  Bidirectional none(GRU({.units = 2, .name = "g"}),
                     {.merge_mode = "none",
                      .backward_layer = std::make_shared<GRU>(RecurrentOptions{
                          .units = 2, .activation = "relu", .go_backwards = true, .name = "gb"})});
  const json nc = none.get_config();
  EXPECT_TRUE(nc["merge_mode"].is_null());
  EXPECT_EQ(nc["backward_layer"]["config"]["activation"], "relu");
  auto again = std::dynamic_pointer_cast<Bidirectional>(layer_from_config(layer_to_config(none)));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->merge_mode(), "none");
  EXPECT_EQ(again->backward_layer()->options().activation, "relu");
  EXPECT_EQ(again->backward_layer()->name(), "backward_gb");
  EXPECT_EQ(again->get_config(), nc);
}

TEST(Bidirectional, ReadsKeras2AndKeras3Configs) {
  // As Keras 2.1.3 wrote it (dl4j's bidirectional_lstm fixture), inside a Sequential.
  const json k2 = json::parse(R"({"class_name": "Sequential", "config": [{"class_name":
    "Bidirectional", "config": {"name": "bidirectional_1", "trainable": true, "batch_input_shape":
    [null, 4, 10], "dtype": "float32", "layer": {"class_name": "LSTM", "config": {"name": "lstm_1",
    "trainable": true, "return_sequences": true, "return_state": false, "go_backwards": false,
    "stateful": false, "unroll": false, "units": 10, "activation": "tanh", "recurrent_activation":
    "hard_sigmoid", "use_bias": true, "unit_forget_bias": true, "dropout": 0.0,
    "recurrent_dropout": 0.0, "implementation": 1}}, "merge_mode": "concat"}}]})");
  auto model = model_from_config(k2);
  EXPECT_EQ(model->output_shape(), (Shape{-1, 4, 20}));
  auto bi = std::dynamic_pointer_cast<Bidirectional>(model->layers().back());
  ASSERT_NE(bi, nullptr);
  // Keras 2's hard_sigmoid is the 0.2-slope one, in the wrapped layer too.
  EXPECT_EQ(bi->forward_layer()->options().recurrent_activation, "hard_sigmoid_legacy");
  EXPECT_EQ(bi->backward_layer()->options().recurrent_activation, "hard_sigmoid_legacy");
  EXPECT_EQ(bi->forward_layer()->name(), "forward_lstm_1");
  // Written back for Keras 2 it is "hard_sigmoid" again.
  const json written = model_to_config(*model)["config"]["layers"].back();
  EXPECT_EQ(written["class_name"], "Bidirectional");
  EXPECT_EQ(written["config"]["layer"]["config"]["recurrent_activation"], "hard_sigmoid");

  // Keras 3 writes the forward layer as "layer" and the backward one as full objects.
  Sequential seq({Input({4, 3}), Bidirectional(GRU({.units = 2, .name = "gru_x"}))});
  const json k3 = model_to_keras3_config(seq);
  const json& bc = k3["config"]["layers"][1]["config"];
  EXPECT_EQ(bc["layer"]["module"], "keras.layers");
  EXPECT_EQ(bc["layer"]["config"]["name"], "forward_gru_x");
  EXPECT_EQ(bc["backward_layer"]["config"]["name"], "backward_gru_x");
  EXPECT_EQ(bc["backward_layer"]["config"]["go_backwards"], true);
  auto copy = model_from_config(k3);
  auto cb = std::dynamic_pointer_cast<Bidirectional>(copy->layers().back());
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(cb->forward_layer()->name(), "forward_gru_x");
  EXPECT_EQ(cb->backward_layer()->name(), "backward_gru_x");
  EXPECT_EQ(copy->count_params(), seq.count_params());
}

TEST(Bidirectional, Errors) {
  test::expect_value_error([] { Bidirectional(Dense({.units = 2, .name = "d"}), {.name = "bad"}); },
                           {"Bidirectional 'bad'", "recurrent layer", "Dense 'd'"});
  test::expect_value_error(
      [] { Bidirectional(LSTM({.units = 2}), {.merge_mode = "max", .name = "b2"}); },
      {"Bidirectional 'b2'", "merge_mode", "concat, sum, mul, ave or none", "'max'"});
  test::expect_value_error(
      [] {
        Bidirectional(
            LSTM({.units = 2}),
            {.backward_layer = std::make_shared<LSTM>(RecurrentOptions{.units = 2}), .name = "b3"});
      },
      {"Bidirectional 'b3'", "go_backwards"});
  test::expect_value_error(
      [] {
        Bidirectional(LSTM({.units = 2}),
                      {.backward_layer = std::make_shared<LSTM>(RecurrentOptions{
                           .units = 2, .return_sequences = true, .go_backwards = true}),
                       .name = "b4"});
      },
      {"Bidirectional 'b4'", "return_sequences"});
  test::expect_value_error(
      [] {
        Bidirectional(LSTM({.units = 2}), {.merge_mode = "sum",
                                           .backward_layer = std::make_shared<LSTM>(
                                               RecurrentOptions{.units = 3, .go_backwards = true}),
                                           .name = "b5"});
      },
      {"Bidirectional 'b5'", "equal units", "2", "3"});
  test::expect_value_error(
      [] {
        Bidirectional(LSTM({.units = 2}), {.name = "b6"}).build(Shape{-1, 4});
      },
      {"Bidirectional 'b6'", "rank 3", "(None, 4)"});
  test::expect_value_error(
      [] {
        layer_from_config({{"class_name", "Bidirectional"}, {"config", {{"name", "x"}}}});
      },
      {"Bidirectional", "layer"});
  test::expect_value_error(
      [] {
        layer_from_config(
            {{"class_name", "Bidirectional"},
             {"config",
              {{"name", "x"}, {"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}}});
      },
      {"Bidirectional 'x'", "recurrent layer"});
}

TEST(Bidirectional, StatefulDirectionsCarryTheirStates) {
  const Tensor x = test::random_tensor({2, 3, 2}, 300);
  Bidirectional bi(GRU({.units = 2, .stateful = true}));
  bi.build(x.shape());
  randomize(bi, 310);
  const auto first = bi(x).to_vector();
  const auto second = bi(x).to_vector();
  EXPECT_NE(first, second);  // both directions started from the kept states
  bi.reset_states();
  EXPECT_EQ(bi(x).to_vector(), first);
  test::expect_value_error(
      [] {
        Bidirectional(GRU({.units = 2, .stateful = true}),
                      {.backward_layer = std::make_shared<GRU>(
                           RecurrentOptions{.units = 2, .go_backwards = true}),
                       .name = "b7"});
      },
      {"Bidirectional 'b7'", "stateful"});
}

TEST(Bidirectional, MergeNoneInAModelKeepsTheMaskOnBothOutputs) {
  SymbolicTensor in = Input({5});
  SymbolicTensor e = Embedding({.input_dim = 8, .output_dim = 3, .mask_zero = true})(in);
  auto bi = std::make_shared<Bidirectional>(GRU({.units = 2, .return_sequences = true}),
                                            BidirectionalOptions{.merge_mode = "none"});
  SymbolicTensor fwd = (*bi)(e);
  SymbolicTensor bwd(fwd.node(), 1);
  EXPECT_EQ(bwd.shape(), (Shape{-1, 5, 2}));
  // The pooling after each output averages only the unmasked steps.
  Model m(in, {GlobalAveragePooling1D()(fwd), GlobalAveragePooling1D()(bwd)});
  test::randomize_weights(m, 9);
  const Tensor ids = Tensor::from_vector({1, 5}, std::vector<float>{4, 2, 0, 0, 0});
  const auto out = m.predict(std::vector<Tensor>{ids});
  ASSERT_EQ(out.size(), 2u);
  const Tensor mask = Tensor::from_vector({1, 5}, std::vector<float>{1, 1, 0, 0, 0});
  auto emb = std::dynamic_pointer_cast<Embedding>(m.layers()[1]);
  ASSERT_NE(emb, nullptr);
  const auto seqs = bi->call_masked({(*emb)(ids)}, {mask}, false);
  const auto masks_out = bi->compute_mask({ids}, {mask});
  ASSERT_EQ(masks_out.size(), 2u);
  EXPECT_TRUE(masks_out[1].same(mask));
  for (size_t o = 0; o < 2; ++o) {
    const auto s = seqs[o].to_vector();
    for (size_t k = 0; k < 2; ++k)
      EXPECT_NEAR(out[o].to_vector()[k], (s[k] + s[2 + k]) / 2, 1e-6f) << "output " << o;
  }
}
