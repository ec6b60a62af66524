// Attention and AdditiveAttention: forward and masks against a host reference, gradients,
// attention scores, shapes in models, config round trips, errors and file round trips.
#include "strata/layers/attention.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"
#include "support/model_files.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

enum class Mode { dot, concat, additive };

struct RefOptions {
  Mode mode = Mode::dot;
  std::vector<float> scale;  // empty: no scale; one value (Attention) or dim values (Additive)
  float concat_weight = 1.f;
  std::vector<float> q_mask, v_mask;  // (N, Tq), (N, Tv); empty = none
  bool causal = false;
};

struct Reference {
  std::vector<float> out;      // (N, Tq, dv)
  std::vector<float> weights;  // (N, Tq, Tv)
};

// Keras' dense attention on the host: scores in double, -1e9 subtracted in float32 at masked
// keys, softmax in double, query-masked rows zeroed.
Reference reference(const Tensor& query, const Tensor& value, const Tensor& key,
                    const RefOptions& o) {
  const int64_t n = query.dim(0), tq = query.dim(1), tv = value.dim(1), d = query.dim(2),
                dv = value.dim(2);
  const auto q = query.to_vector<float>(), v = value.to_vector<float>(), k = key.to_vector<float>();
  Reference r;
  r.weights.resize(static_cast<size_t>(n * tq * tv));
  r.out.assign(static_cast<size_t>(n * tq * dv), 0.f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < tq; ++i) {
      std::vector<double> row(static_cast<size_t>(tv));
      for (int64_t j = 0; j < tv; ++j) {
        double acc = 0;
        for (int64_t c = 0; c < d; ++c) {
          const double qc = q[(b * tq + i) * d + c], kc = k[(b * tv + j) * d + c];
          switch (o.mode) {
            case Mode::dot: acc += qc * kc; break;
            case Mode::concat:
              acc += std::tanh((o.scale.empty() ? 1.0 : o.scale[0]) * (qc + kc));
              break;
            case Mode::additive:
              acc += (o.scale.empty() ? 1.0 : o.scale[c]) * std::tanh(qc + kc);
              break;
          }
        }
        if (o.mode == Mode::dot && !o.scale.empty()) acc *= o.scale[0];
        if (o.mode == Mode::concat) acc *= o.concat_weight;
        float f = static_cast<float>(acc);
        const bool hidden = (!o.v_mask.empty() && o.v_mask[b * tv + j] == 0.f) || (o.causal && j > i);
        if (hidden) f -= 1e9f;
        row[j] = f;
      }
      const double mx = *std::max_element(row.begin(), row.end());
      double z = 0;
      for (auto& x : row) z += (x = std::exp(x - mx));
      const double keep = o.q_mask.empty() || o.q_mask[b * tq + i] != 0.f ? 1.0 : 0.0;
      for (int64_t j = 0; j < tv; ++j) {
        const double p = row[j] / z;
        r.weights[(b * tq + i) * tv + j] = static_cast<float>(p);
        for (int64_t c = 0; c < dv; ++c)
          r.out[(b * tq + i) * dv + c] += static_cast<float>(keep * p * v[(b * tv + j) * dv + c]);
      }
    }
  return r;
}

}  // namespace

TEST(Attention, DotAndConcatMatchReference) {
  Tensor q = test::random_tensor({2, 3, 4}, 1), v = test::random_tensor({2, 5, 3}, 2),
         k = test::random_tensor({2, 5, 4}, 3);
  for (Mode mode : {Mode::dot, Mode::concat})
    for (bool scale : {false, true}) {
      SCOPED_TRACE(std::string(mode == Mode::dot ? "dot" : "concat") + (scale ? " scaled" : ""));
      Attention att({.use_scale = scale, .score_mode = mode == Mode::dot ? "dot" : "concat",
                     .return_attention_scores = true});
      auto outs = att.call_on({q, v, k}, false);
      RefOptions o{.mode = mode};
      if (scale) {
        att.scale().copy_(Tensor::scalar(0.7f));
        o.scale = {0.7f};
        EXPECT_EQ(att.weight_entries()[0].name, "scale");
        EXPECT_EQ(att.scale().shape(), Shape{});
      }
      if (mode == Mode::concat) {
        att.concat_score_weight().copy_(Tensor::scalar(1.3f));
        o.concat_weight = 1.3f;
        EXPECT_EQ(att.weight_entries().back().name, "concat_score_weight");
      }
      EXPECT_EQ(att.weights().size(), size_t(scale) + size_t(mode == Mode::concat));
      outs = att.call_on({q, v, k}, false);
      ASSERT_EQ(outs.size(), 2u);
      EXPECT_EQ(outs[0].shape(), (Shape{2, 3, 3}));
      EXPECT_EQ(outs[1].shape(), (Shape{2, 3, 5}));
      const auto ref = reference(q, v, k, o);
      EXPECT_LT(test::max_abs_diff(outs[0].to_vector<float>(), ref.out), 1e-5);
      EXPECT_LT(test::max_abs_diff(outs[1].to_vector<float>(), ref.weights), 1e-6);
    }
  // Without a key the value is the key.
  Attention self;
  Tensor x = test::random_tensor({1, 4, 3}, 9);
  const auto ref = reference(x, x, x, {});
  EXPECT_LT(test::max_abs_diff(self({x, x}).to_vector<float>(), ref.out), 1e-5);
}

TEST(AdditiveAttention, MatchesReference) {
  Tensor q = test::random_tensor({2, 3, 4}, 4), v = test::random_tensor({2, 2, 5}, 5),
         k = test::random_tensor({2, 2, 4}, 6);
  AdditiveAttention add({.return_attention_scores = true});
  add.call_on({q, v, k}, false);
  ASSERT_EQ(add.weight_entries().size(), 1u);
  EXPECT_EQ(add.weight_entries()[0].name, "scale");
  EXPECT_EQ(add.scale().shape(), (Shape{4}));
  add.scale().copy_(Tensor::from_vector({4}, std::vector<float>{0.5f, -1.f, 1.5f, 0.25f}));
  auto outs = add.call_on({q, v, k}, false);
  auto ref = reference(q, v, k, {.mode = Mode::additive, .scale = {0.5f, -1.f, 1.5f, 0.25f}});
  EXPECT_LT(test::max_abs_diff(outs[0].to_vector<float>(), ref.out), 1e-5);
  EXPECT_LT(test::max_abs_diff(outs[1].to_vector<float>(), ref.weights), 1e-6);

  AdditiveAttention plain({.use_scale = false});
  plain({q, v, k});
  EXPECT_TRUE(plain.weights().empty());
  ref = reference(q, v, k, {.mode = Mode::additive});
  EXPECT_LT(test::max_abs_diff(plain({q, v, k}).to_vector<float>(), ref.out), 1e-5);
}

TEST(Attention, MasksMatchReference) {
  const int64_t n = 2, tq = 3, tv = 4;
  const std::vector<float> qm = {1, 0, 1, 1, 1, 0};
  const std::vector<float> vm = {1, 1, 0, 1, 0, 1, 1, 0};
  Tensor q = test::random_tensor({n, tq, 3}, 11), v = test::random_tensor({n, tv, 2}, 12),
         k = test::random_tensor({n, tv, 3}, 13);
  Tensor qmt = Tensor::from_vector({n, tq}, qm), vmt = Tensor::from_vector({n, tv}, vm);
  Tensor km_all_zero = Tensor::zeros({n, tv});  // Keras ignores the key's mask
  for (Mode mode : {Mode::dot, Mode::concat, Mode::additive})
    for (bool causal : {false, true}) {
      SCOPED_TRACE(std::to_string(int(mode)) + (causal ? " causal" : ""));
      std::shared_ptr<BaseDenseAttention> layer;
      if (mode == Mode::additive)
        layer = std::make_shared<AdditiveAttention>(AdditiveAttentionOptions{
            .use_scale = false, .use_causal_mask = causal, .return_attention_scores = true});
      else
        layer = std::make_shared<Attention>(AttentionOptions{
            .score_mode = mode == Mode::dot ? "dot" : "concat", .use_causal_mask = causal,
            .return_attention_scores = true});
      struct Case {
        bool q, v;
      };
      for (Case c : {Case{true, false}, Case{false, true}, Case{true, true}, Case{false, false}}) {
        auto outs = layer->call_masked({q, v, k}, {c.q ? qmt : Tensor(), c.v ? vmt : Tensor(), km_all_zero},
                                       false);
        const auto ref = reference(q, v, k, {.mode = mode, .q_mask = c.q ? qm : std::vector<float>{},
                                             .v_mask = c.v ? vm : std::vector<float>{},
                                             .causal = causal});
        EXPECT_LT(test::max_abs_diff(outs[0].to_vector<float>(), ref.out), 1e-5);
        EXPECT_LT(test::max_abs_diff(outs[1].to_vector<float>(), ref.weights), 1e-6);
      }
      EXPECT_EQ(layer->compute_mask({q, v}, {qmt, vmt})[0].to_vector<float>(), qm);
      EXPECT_TRUE(layer->compute_mask({q, v}, {Tensor(), vmt}).empty());
    }
}

TEST(Attention, GradientsWithMasks) {
  const int64_t n = 2, tq = 2, tv = 3;
  Tensor q = test::random_tensor({n, tq, 3}, 21).set_requires_grad(true);
  Tensor v = test::random_tensor({n, tv, 2}, 22).set_requires_grad(true);
  Tensor k = test::random_tensor({n, tv, 3}, 23).set_requires_grad(true);
  Tensor qm = Tensor::from_vector({n, tq}, std::vector<float>{1, 0, 1, 1});
  Tensor vm = Tensor::from_vector({n, tv}, std::vector<float>{1, 1, 0, 1, 0, 1});
  std::vector<std::shared_ptr<BaseDenseAttention>> layers{
      std::make_shared<Attention>(AttentionOptions{.use_scale = true}),
      std::make_shared<Attention>(AttentionOptions{.use_scale = true, .score_mode = "concat",
                                                   .use_causal_mask = true}),
      std::make_shared<AdditiveAttention>(AdditiveAttentionOptions{.use_causal_mask = true})};
  for (auto& layer : layers) {
    SCOPED_TRACE(layer->label());
    (*layer)({q, v, k});
    for (const auto& w : layer->weight_entries())
      Tensor(w.value).copy_(test::random_tensor(w.value.shape(), 3, 0.5f, 1.5f));
    std::vector<Tensor> all{q, v, k};
    for (const auto& w : layer->weights()) all.push_back(w);
    EXPECT_EQ(all.size(), 3 + layer->weight_entries().size());
    EXPECT_TRUE(test::gradcheck(
        [&](const std::vector<Tensor>& in) {
          return layer->call_masked({in[0], in[1], in[2]}, {qm, vm}, false)[0];
        },
        all));
  }
}

TEST(Attention, DropoutOnlyWhenTraining) {
  Attention att({.dropout = 0.5f, .return_attention_scores = true, .seed = 3});
  Tensor q = test::random_tensor({2, 3, 4}, 1);
  auto a = att.call_on({q, q}, false);
  test::expect_bitwise_equal(a[0], att.call_on({q, q}, false)[0]);
  auto b = att.call_on({q, q}, true);
  // Keras returns the distribution after dropout: zeros or p / (1 - rate).
  const auto pa = a[1].to_vector<float>(), pb = b[1].to_vector<float>();
  int dropped = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (pb[i] == 0.f) ++dropped;
    else EXPECT_NEAR(pb[i], 2.f * pa[i], 1e-6);
  }
  EXPECT_GT(dropped, 0);
}

TEST(Attention, InModels) {
  SymbolicTensor q = Input({3, 4}), v = Input({5, 6});
  SymbolicTensor k = Input({5, 4});
  SymbolicTensor a = Attention()({q, v, k});
  EXPECT_EQ(a.shape(), (Shape{-1, 3, 6}));
  SymbolicTensor b = AdditiveAttention()({q, v, k});
  auto both = call_symbolic(std::make_shared<AdditiveAttention>(
                                AdditiveAttentionOptions{.return_attention_scores = true}),
                            {q, v, k});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].shape(), (Shape{-1, 3, 5}));
  Model m({q, v, k}, {a, b});
  auto outs = m.predict({test::random_tensor({2, 3, 4}, 1), test::random_tensor({2, 5, 6}, 2),
                         test::random_tensor({2, 5, 4}, 3)});
  EXPECT_EQ(outs[1].shape(), (Shape{2, 3, 6}));
}

TEST(Attention, Errors) {
  test::expect_value_error([] { Attention({.score_mode = "general", .name = "a0"}); },
                           {"Attention 'a0'", "score_mode", "general"});
  test::expect_value_error([] { AdditiveAttention({.dropout = 1.f}); }, {"dropout", "[0, 1)"});
  Attention att({.name = "att_err"});
  Tensor x2 = test::random_tensor({2, 3}, 1), x3 = test::random_tensor({2, 3, 4}, 2);
  test::expect_value_error([&] { att({x2, x2}); }, {"att_err", "rank-3", "(2, 3)"});
  test::expect_value_error([&] { att(x3); }, {"att_err", "[query, value]", "a single tensor of shape (2, 3, 4)"});
  test::expect_value_error([&] { att({x3, x3, x3, x3}); }, {"att_err", "4 inputs"});
  test::expect_value_error([&] { att({x3, x3, test::random_tensor({2, 3, 5}, 3)}); },
                           {"att_err", "same feature dimension", "(2, 3, 5)"});
  test::expect_value_error([&] { att({x3, test::random_tensor({2, 4, 4}, 3), x3}); },
                           {"att_err", "same number of steps"});
  test::expect_value_error([&] { att({x3, test::random_tensor({2, 0, 4}, 3)}); },
                           {"att_err", "at least one step"});
  att({x3, x3});
  test::expect_value_error([&] { att.call_masked({x3, x3}, {Tensor::ones({2, 2}), Tensor()}, false); },
                           {"att_err", "query mask", "(2, 3)", "(2, 2)"});
  test::expect_value_error([&] { att.call_masked({x3, x3}, {Tensor(), Tensor::ones({2, 4})}, false); },
                           {"att_err", "value mask", "(2, 4)"});
  AdditiveAttention add({.name = "add_err"});
  add({x3, x3});
  test::expect_value_error([&] { add({test::random_tensor({2, 3, 5}, 1), test::random_tensor({2, 3, 5}, 2)}); },
                           {"add_err", "built for", "(None, 3, 4)", "(None, 3, 5)"});
}

TEST(Attention, ConfigRoundTrip) {
  Attention att({.use_scale = true, .score_mode = "concat", .dropout = 0.1f, .name = "luong"});
  auto c = att.get_config();
  EXPECT_EQ(c["name"], "luong");
  EXPECT_EQ(c["use_scale"], true);
  EXPECT_EQ(c["score_mode"], "concat");
  EXPECT_EQ(c["dropout"], 0.1);
  EXPECT_FALSE(c.contains("causal"));
  auto back = layer_from_config(layer_to_config(att));
  ASSERT_NE(dynamic_cast<Attention*>(back.get()), nullptr);
  EXPECT_EQ(back->get_config(), c);

  AdditiveAttention add({.use_scale = false, .use_causal_mask = true, .name = "bahdanau"});
  auto ac = add.get_config();
  EXPECT_FALSE(ac.contains("score_mode"));
  EXPECT_EQ(ac["use_scale"], false);
  EXPECT_EQ(ac["causal"], true);
  auto aback = layer_from_config(layer_to_config(add));
  auto* ab = dynamic_cast<AdditiveAttention*>(aback.get());
  ASSERT_NE(ab, nullptr);
  EXPECT_TRUE(ab->use_causal_mask());
  EXPECT_FALSE(ab->use_scale());
  EXPECT_EQ(aback->get_config(), ac);

  // Keras 3 spelling (DTypePolicy object) and defaults.
  auto k3 = nlohmann::json::parse(R"({"name": "attention", "trainable": true, "dtype":
      {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}},
      "use_scale": false, "score_mode": "dot", "dropout": 0.0})");
  auto a3 = Attention::from_config(k3);
  EXPECT_EQ(a3->score_mode(), "dot");
  EXPECT_TRUE(AdditiveAttention::from_config({{"name", "x"}})->use_scale());
  k3["score_mode"] = "bogus";
  test::expect_value_error([&] { Attention::from_config(k3); }, {"score_mode", "bogus"});
}

TEST(Attention, SaveAndLoadKeepPredictions) {
  const fs::path dir = fs::temp_directory_path() / ("strata_att_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  SymbolicTensor q = Input({3, 4}), v = Input({5, 4});
  SymbolicTensor a = Attention({.use_scale = true, .score_mode = "concat"})({q, v});
  SymbolicTensor b = AdditiveAttention()({q, v});
  Model model({q, v}, Concatenate()({a, b}));
  test::randomize_weights(model, 3);
  std::vector<Tensor> x{test::random_tensor({2, 3, 4}, 1), test::random_tensor({2, 5, 4}, 2)};
  const Tensor expected = model.predict(x)[0];
  for (const char* file : {"att.h5", "att.keras"}) {
    SCOPED_TRACE(file);
    save_model(model, dir / file);
    auto loaded = load_model(dir / file);
    test::expect_bitwise_equal(loaded->predict(x)[0], expected);
    test::expect_same_weights(*loaded, model);
  }
  fs::remove_all(dir);
}
