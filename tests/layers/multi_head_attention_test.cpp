// MultiHeadAttention: forward and masks against a host reference, gradients, attention scores,
// shapes in models, config round trips, errors and .h5 / .keras round trips.
#include "strata/layers/multi_head_attention.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "strata/io/hdf5.hpp"
#include "strata/io/zip.hpp"
#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/fixtures.hpp"
#include "support/gradcheck.hpp"
#include "support/model_files.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  fs::path d = fs::temp_directory_path() /
               ("strata_mha_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Distinct random values for every weight (biases too, so they are checked).
void randomize(const Layer& layer, uint64_t seed) {
  for (const auto& w : layer.weight_entries())
    Tensor(w.value).copy_(test::random_tensor(w.value.shape(), seed++, -0.8f, 0.8f));
}

Tensor weight(const Layer& layer, const std::string& name) {
  for (const auto& w : layer.weight_entries())
    if (w.name == name) return w.value;
  ADD_FAILURE() << "no weight " << name;
  return {};
}

// (N, T, S) keep mask from the parts, written independently of the layer's helper.
std::vector<float> keep_mask(int64_t n, int64_t t, int64_t s, const std::vector<float>& qm,
                             const std::vector<float>& vm, const std::vector<float>& km,
                             const std::vector<float>& am, bool causal) {
  std::vector<float> keep(static_cast<size_t>(n * t * s), 1.f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < s; ++j) {
        bool k = true;
        if (!qm.empty()) k = k && qm[b * t + i] != 0.f;
        if (!vm.empty()) k = k && vm[b * s + j] != 0.f;
        if (!km.empty()) k = k && km[b * s + j] != 0.f;
        if (!am.empty()) k = k && am[(b * t + i) * s + j] != 0.f;
        if (causal) k = k && j <= i;
        keep[(b * t + i) * s + j] = k ? 1.f : 0.f;
      }
  return keep;
}

struct Reference {
  std::vector<float> out;     // (N, T, O)
  std::vector<float> scores;  // (N, H, T, S)
};

// Keras' MultiHeadAttention on the host: double sums, masked scores plus -1e9 in float32 (so a
// fully masked row turns uniform exactly as in Keras), softmax in double.
Reference reference(const MultiHeadAttention& mha, const Tensor& query, const Tensor& value,
                    const Tensor& key, const std::vector<float>& keep) {
  const auto& o = mha.options();
  const int64_t n = query.dim(0), t = query.dim(1), s = value.dim(1), h = o.num_heads;
  const int64_t kd = o.key_dim, vd = o.value_dim;
  auto proj = [&](const Tensor& x, const std::string& scope, int64_t dim) {
    const auto xv = x.to_vector<float>();
    const auto w = weight(mha, scope + "/kernel").to_vector<float>();
    std::vector<float> b(static_cast<size_t>(h * dim), 0.f);
    if (o.use_bias) b = weight(mha, scope + "/bias").to_vector<float>();
    const int64_t len = x.dim(1), d_in = x.dim(2);
    std::vector<double> y(static_cast<size_t>(n * len * h * dim));
    for (int64_t a = 0; a < n * len; ++a)
      for (int64_t c = 0; c < h * dim; ++c) {
        double acc = b[c];
        for (int64_t d = 0; d < d_in; ++d) acc += double(xv[a * d_in + d]) * w[d * h * dim + c];
        y[a * h * dim + c] = acc;
      }
    return y;  // (N, L, H, dim)
  };
  const auto q = proj(query, "query", kd), k = proj(key, "key", kd), v = proj(value, "value", vd);
  const double scale = 1.0 / std::sqrt(double(kd));
  Reference r;
  r.scores.resize(static_cast<size_t>(n * h * t * s));
  std::vector<double> ctx(static_cast<size_t>(n * t * h * vd), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t i = 0; i < t; ++i) {
        std::vector<double> row(static_cast<size_t>(s));
        for (int64_t j = 0; j < s; ++j) {
          double acc = 0;
          for (int64_t c = 0; c < kd; ++c)
            acc += q[((b * t + i) * h + hh) * kd + c] * scale * k[((b * s + j) * h + hh) * kd + c];
          float f = static_cast<float>(acc);
          if (!keep.empty() && keep[(b * t + i) * s + j] == 0.f) f += -1e9f;
          row[j] = f;
        }
        const double mx = *std::max_element(row.begin(), row.end());
        double z = 0;
        for (auto& x : row) z += (x = std::exp(x - mx));
        for (int64_t j = 0; j < s; ++j) {
          const double p = row[j] / z;
          r.scores[((b * h + hh) * t + i) * s + j] = static_cast<float>(p);
          for (int64_t c = 0; c < vd; ++c)
            ctx[((b * t + i) * h + hh) * vd + c] += p * v[((b * s + j) * h + hh) * vd + c];
        }
      }
  const auto wo = weight(mha, "attention_output/kernel").to_vector<float>();
  const int64_t od = weight(mha, "attention_output/kernel").dim(2);
  std::vector<float> bo(static_cast<size_t>(od), 0.f);
  if (o.use_bias) bo = weight(mha, "attention_output/bias").to_vector<float>();
  r.out.resize(static_cast<size_t>(n * t * od));
  for (int64_t a = 0; a < n * t; ++a)
    for (int64_t c = 0; c < od; ++c) {
      double acc = bo[c];
      for (int64_t e = 0; e < h * vd; ++e) acc += ctx[a * h * vd + e] * wo[e * od + c];
      r.out[a * od + c] = static_cast<float>(acc);
    }
  return r;
}

Tensor mask_tensor(const Shape& shape, const std::vector<float>& v) {
  return Tensor::from_vector(shape, v);
}

}  // namespace

TEST(MultiHeadAttention, WeightsInKerasOrderAndShapes) {
  MultiHeadAttention mha({.num_heads = 2, .key_dim = 3, .value_dim = 4, .output_shape = 5,
                          .name = "mha"});
  Tensor q = test::random_tensor({2, 3, 6}, 1), v = test::random_tensor({2, 4, 7}, 2),
         k = test::random_tensor({2, 4, 8}, 3);
  Tensor y = mha({q, v, k});
  EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  std::vector<std::pair<std::string, Shape>> want = {
      {"query/kernel", Shape{6, 2, 3}}, {"query/bias", Shape{2, 3}},
      {"key/kernel", Shape{8, 2, 3}},   {"key/bias", Shape{2, 3}},
      {"value/kernel", Shape{7, 2, 4}}, {"value/bias", Shape{2, 4}},
      {"attention_output/kernel", Shape{2, 4, 5}}, {"attention_output/bias", Shape{5}}};
  ASSERT_EQ(mha.weight_entries().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(mha.weight_entries()[i].name, want[i].first);
    EXPECT_EQ(mha.weight_entries()[i].value.shape(), want[i].second);
  }
  EXPECT_EQ(mha.count_params(), 36 + 6 + 48 + 6 + 56 + 8 + 40 + 5);

  MultiHeadAttention nb({.num_heads = 1, .key_dim = 2, .use_bias = false});
  nb({q, v});
  EXPECT_EQ(nb.weight_entries().size(), 4u);
  EXPECT_EQ(nb.output_shape(), (Shape{-1, 3, 6}));
}

TEST(MultiHeadAttention, ForwardMatchesReference) {
  for (bool with_key : {false, true}) {
    SCOPED_TRACE(with_key ? "query, value, key" : "query, value");
    MultiHeadAttention mha({.num_heads = 2, .key_dim = 3, .value_dim = 2, .output_shape = 4,
                            .return_attention_scores = true});
    Tensor q = test::random_tensor({2, 3, 5}, 11), v = test::random_tensor({2, 4, 6}, 12);
    Tensor k = with_key ? test::random_tensor({2, 4, 3}, 13) : v;
    auto outs = with_key ? mha.call_on({q, v, k}, false) : mha.call_on({q, v}, false);
    randomize(mha, 100);
    outs = with_key ? mha.call_on({q, v, k}, false) : mha.call_on({q, v}, false);
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(outs[1].shape(), (Shape{2, 2, 3, 4}));
    const auto ref = reference(mha, q, v, k, {});
    EXPECT_LT(test::max_abs_diff(outs[0].to_vector<float>(), ref.out), 1e-5);
    EXPECT_LT(test::max_abs_diff(outs[1].to_vector<float>(), ref.scores), 1e-6);
  }
}

TEST(MultiHeadAttention, MasksMatchReference) {
  const int64_t n = 2, t = 3, s = 4;
  const std::vector<float> qm = {1, 1, 0, 1, 0, 1};
  const std::vector<float> vm = {1, 0, 1, 1, 1, 1, 1, 0};
  const std::vector<float> km = {1, 1, 0, 1, 0, 1, 1, 1};
  std::vector<float> am(static_cast<size_t>(n * t * s));
  for (size_t i = 0; i < am.size(); ++i) am[i] = (i * 7 % 5) != 0 ? 1.f : 0.f;
  Tensor q = test::random_tensor({n, t, 3}, 21), v = test::random_tensor({n, s, 3}, 22),
         k = test::random_tensor({n, s, 2}, 23);
  struct Case {
    const char* what;
    bool q, v, k, a, causal;
  };
  for (const Case c : {Case{"query", true, false, false, false, false},
                       Case{"value", false, true, false, false, false},
                       Case{"key", false, false, true, false, false},
                       Case{"attention", false, false, false, true, false},
                       Case{"causal", false, false, false, false, true},
                       Case{"all", true, true, true, false, true}}) {
    SCOPED_TRACE(c.what);
    MultiHeadAttention mha({.num_heads = 2, .key_dim = 2, .use_causal_mask = c.causal,
                            .return_attention_scores = true});
    mha({q, v, k});
    randomize(mha, 7);
    const auto keep = keep_mask(n, t, s, c.q ? qm : std::vector<float>{},
                                c.v ? vm : std::vector<float>{}, c.k ? km : std::vector<float>{},
                                c.a ? am : std::vector<float>{}, c.causal);
    const auto ref = reference(mha, q, v, k, keep);
    std::vector<Tensor> outs;
    if (c.a) {
      ASSERT_FALSE(c.q || c.v || c.k) << "attend() takes no sequence masks";
      outs = mha.attend(q, v, k, mask_tensor({n, t, s}, am), false);
    } else {
      outs = mha.call_masked({q, v, k},
                             {c.q ? mask_tensor({n, t}, qm) : Tensor(),
                              c.v ? mask_tensor({n, s}, vm) : Tensor(),
                              c.k ? mask_tensor({n, s}, km) : Tensor()},
                             false);
    }
    if (c.q && c.v && c.k && c.causal) {
      // "all": the sequence masks through call_masked, then attend() with the same keep mask
      // as an explicit attention mask must agree with them.
      auto via_attend = mha.attend(q, v, k, mask_tensor({n, t, s}, keep), false);
      EXPECT_LT(test::max_abs_diff(via_attend[0].to_vector<float>(), ref.out), 1e-5);
    }
    EXPECT_LT(test::max_abs_diff(outs[0].to_vector<float>(), ref.out), 1e-5);
    EXPECT_LT(test::max_abs_diff(outs[1].to_vector<float>(), ref.scores), 1e-6);
    // Masked keys get (numerically) zero probability unless the whole row is masked.
    const auto sc = outs[1].to_vector<float>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < t; ++i) {
        bool any = false;
        for (int64_t j = 0; j < s; ++j) any = any || keep[(b * t + i) * s + j] != 0.f;
        for (int64_t j = 0; j < s; ++j)
          if (any && keep[(b * t + i) * s + j] == 0.f)
            EXPECT_EQ(sc[((b * 2 + 0) * t + i) * s + j], 0.f);
      }
  }
}

TEST(MultiHeadAttention, OutputKeepsQueryMask) {
  MultiHeadAttention mha({.num_heads = 1, .key_dim = 2});
  Tensor q = test::random_tensor({1, 2, 3}, 1);
  Tensor m = mask_tensor({1, 2}, {1, 0});
  EXPECT_TRUE(mha.supports_masking());
  auto out = mha.compute_mask({q, q}, {m, Tensor()});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to_vector<float>(), m.to_vector<float>());
  EXPECT_TRUE(mha.compute_mask({q, q}, {Tensor(), m}).empty());
}

TEST(MultiHeadAttention, GradientsWithMasks) {
  const int64_t n = 2, t = 2, s = 3;
  MultiHeadAttention mha({.num_heads = 2, .key_dim = 2, .value_dim = 2, .output_shape = 2,
                          .use_causal_mask = true});
  Tensor q = test::random_tensor({n, t, 3}, 31), v = test::random_tensor({n, s, 2}, 32),
         k = test::random_tensor({n, s, 3}, 33);
  mha({q, v, k});
  randomize(mha, 40);
  // A fully masked query row (the query's mask) is uniform after float32 rounding of
  // score - 1e9, so finite differences see no dependence there while the chain rule (Keras' too)
  // does; the query mask is checked by the forward tests, the value mask and causal mask here,
  // with every row keeping a visible key.
  Tensor vm = mask_tensor({n, s}, {1, 0, 1, 1, 1, 0});
  Tensor km = mask_tensor({n, s}, {1, 1, 0, 1, 1, 1});
  std::vector<Tensor> all{q.set_requires_grad(true), v.set_requires_grad(true),
                          k.set_requires_grad(true)};
  for (const auto& w : mha.weights()) all.push_back(w);
  EXPECT_EQ(all.size(), 11u);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return mha.call_masked({in[0], in[1], in[2]}, {Tensor(), vm, km}, false)[0];
      },
      all));
  // Through the attention scores output too.
  MultiHeadAttention scores({.num_heads = 1, .key_dim = 2, .return_attention_scores = true});
  scores({q, v});
  // The scores depend on the query and key projections only.
  std::vector<Tensor> sw{q, v};
  for (size_t i = 0; i < 4; ++i) sw.push_back(scores.weights()[i]);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) { return scores.call_on({in[0], in[1]}, false)[1]; },
      sw));
}

TEST(MultiHeadAttention, DropoutOnlyWhenTraining) {
  MultiHeadAttention mha({.num_heads = 2, .key_dim = 2, .dropout = 0.5f,
                          .return_attention_scores = true, .seed = 5});
  Tensor q = test::random_tensor({2, 3, 4}, 1);
  auto a = mha.call_on({q, q}, false), b = mha.call_on({q, q}, false);
  test::expect_bitwise_equal(a[0], b[0]);
  auto c = mha.call_on({q, q}, true);
  EXPECT_GT(test::max_abs_diff(c[0].to_vector<float>(), a[0].to_vector<float>()), 1e-4);
  // The returned scores are the probabilities before dropout, as Keras.
  EXPECT_LT(test::max_abs_diff(c[1].to_vector<float>(), a[1].to_vector<float>()), 1e-6);
}

TEST(MultiHeadAttention, InModels) {
  SymbolicTensor x = Input({5, 8});
  SymbolicTensor y = MultiHeadAttention({.num_heads = 4, .key_dim = 32})({x, x});
  EXPECT_EQ(y.shape(), (Shape{-1, 5, 8}));
  Model model(x, y);
  EXPECT_EQ(model.predict(test::random_tensor({3, 5, 8}, 2)).shape(), (Shape{3, 5, 8}));

  SymbolicTensor q = Input({2, 3}), v = Input({4, 5});
  auto both = call_symbolic(std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{
                                .num_heads = 2, .key_dim = 2, .return_attention_scores = true}),
                            {q, v});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].shape(), (Shape{-1, 2, 3}));
  EXPECT_EQ(both[1].shape(), (Shape{-1, 2, 2, 4}));
  Model two({q, v}, {both[0], both[1]});
  auto outs = two.predict({test::random_tensor({1, 2, 3}, 1), test::random_tensor({1, 4, 5}, 2)});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[1].shape(), (Shape{1, 2, 2, 4}));
}

TEST(MultiHeadAttention, Errors) {
  test::expect_value_error([] { MultiHeadAttention({.num_heads = 0, .key_dim = 2, .name = "m0"}); },
                           {"MultiHeadAttention 'm0'", "num_heads", "0"});
  test::expect_value_error([] { MultiHeadAttention({.num_heads = 2, .key_dim = -1}); },
                           {"key_dim", "-1"});
  MultiHeadAttention mha({.num_heads = 2, .key_dim = 2, .name = "mha_err"});
  Tensor x2 = test::random_tensor({2, 3}, 1), x3 = test::random_tensor({2, 3, 4}, 2);
  test::expect_value_error([&] { mha({x2, x2}); }, {"mha_err", "rank-3", "(2, 3)"});
  test::expect_value_error([&] { mha(x3); }, {"mha_err", "[query, value]", "a single tensor of shape (2, 3, 4)"});
  test::expect_value_error([&] { mha(std::vector<Tensor>{x3}); }, {"mha_err", "got 1 input"});
  test::expect_value_error([&] { mha({x3, test::random_tensor({2, 4, 4}, 3), test::random_tensor({2, 5, 4}, 3)}); },
                           {"mha_err", "same number of steps", "(2, 4, 4)", "(2, 5, 4)"});
  test::expect_value_error([&] { mha({x3, test::random_tensor({2, 0, 4}, 3)}); },
                           {"mha_err", "at least one step"});
  test::expect_value_error([&] { mha({x3, test::random_tensor({3, 4, 4}, 3)}); },
                           {"mha_err", "same batch size"});
  mha({x3, x3});
  // Built for features 4: another key/value feature size is refused.
  test::expect_value_error([&] { mha({x3, test::random_tensor({2, 3, 5}, 4)}); },
                           {"mha_err", "built for", "(None, 3, 4)", "(None, 3, 5)"});
  test::expect_value_error([&] { mha.call_masked({x3, x3}, {Tensor::ones({2, 4}), Tensor()}, false); },
                           {"mha_err", "query mask", "(2, 3)", "(2, 4)"});
  test::expect_value_error([&] { mha.call_masked({x3, x3}, {Tensor(), Tensor::ones({3, 3})}, false); },
                           {"mha_err", "value mask", "(3, 3)"});
  test::expect_value_error([&] { mha.attend(x3, x3, Tensor(), Tensor::ones({2, 3, 2}), false); },
                           {"mha_err", "attention_mask", "(2, 3, 3)", "(2, 3, 2)"});
  EXPECT_THROW(call_symbolic(std::make_shared<MultiHeadAttention>(
                                 MultiHeadAttentionOptions{.num_heads = 1, .key_dim = 1}),
                             {Input({3, 4}), Input({0, 4})}),
               ValueError);
}

// A hostile config's num_heads x key_dim must not overflow the kernel's element count into a
// silently "built" layer: building fails with a ValueError naming the layer.
TEST(MultiHeadAttention, HugeHeadCountsFailToBuild) {
  SymbolicTensor q = Input({3, 4});
  auto mha = MultiHeadAttention::from_config(
      {{"name", "huge"}, {"num_heads", int64_t{1} << 40}, {"key_dim", int64_t{1} << 40}});
  test::expect_value_error([&] { (*mha)({q, q}); }, {"'huge'", "query kernel", "too large"});
}

TEST(MultiHeadAttention, ConfigRoundTrip) {
  MultiHeadAttention mha({.num_heads = 3, .key_dim = 4, .dropout = 0.25f, .use_bias = false,
                          .output_shape = 6, .name = "att"});
  auto c = mha.get_config();
  EXPECT_EQ(c["name"], "att");
  EXPECT_EQ(c["num_heads"], 3);
  EXPECT_EQ(c["key_dim"], 4);
  EXPECT_EQ(c["value_dim"], 4);  // resolved, as tf.keras writes it
  EXPECT_EQ(c["dropout"], 0.25);
  EXPECT_EQ(c["use_bias"], false);
  EXPECT_EQ(c["output_shape"], 6);
  EXPECT_TRUE(c["attention_axes"].is_null());
  EXPECT_TRUE(c["kernel_regularizer"].is_null());
  EXPECT_FALSE(c.contains("use_causal_mask"));
  Tensor x = test::random_tensor({1, 2, 5}, 1);
  mha({x, x});
  c = mha.get_config();
  EXPECT_EQ(c["attention_axes"], nlohmann::json::array({1}));
  EXPECT_EQ(c["query_shape"], nlohmann::json::parse("[null, 2, 5]"));
  LayerPtr back = layer_from_config(layer_to_config(mha));
  ASSERT_NE(dynamic_cast<MultiHeadAttention*>(back.get()), nullptr);
  Tensor y = test::random_tensor({1, 2, 5}, 2);
  back->call_on({y, y}, false);
  EXPECT_EQ(back->get_config(), c);

  // Keras 3 spellings: output_shape as a list, attention_axes null, seed, build info.
  auto k3 = nlohmann::json::parse(R"({"name": "mha3", "trainable": true,
      "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}},
      "num_heads": 2, "key_dim": 3, "value_dim": null, "dropout": 0.0, "use_bias": true,
      "output_shape": [7], "attention_axes": [1], "kernel_initializer": {"module":
      "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}},
      "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}},
      "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
      "kernel_constraint": null, "bias_constraint": null, "seed": 3,
      "query_shape": [null, 4, 5], "value_shape": [null, 4, 5], "key_shape": null})");
  auto l3 = MultiHeadAttention::from_config(k3);
  EXPECT_EQ(l3->options().value_dim, 3);
  EXPECT_EQ(l3->options().output_shape, 7);
  EXPECT_EQ(l3->options().seed, 3u);

  auto causal = MultiHeadAttention({.num_heads = 1, .key_dim = 1, .use_causal_mask = true,
                                    .return_attention_scores = true}).get_config();
  auto lc = MultiHeadAttention::from_config(causal);
  EXPECT_TRUE(lc->options().use_causal_mask);
  EXPECT_TRUE(lc->options().return_attention_scores);

  auto bad = k3;
  bad["attention_axes"] = {2};
  test::expect_value_error([&] { MultiHeadAttention::from_config(bad); },
                           {"MultiHeadAttention", "attention_axes", "[2]", "axis 1"});
  bad = k3;
  bad["output_shape"] = {2, 3};
  test::expect_value_error([&] { MultiHeadAttention::from_config(bad); }, {"output_shape", "[2,3]"});
  bad = k3;
  bad["kernel_regularizer"] = "l2";
  EXPECT_THROW(MultiHeadAttention::from_config(bad), ValueError);
}

TEST(MultiHeadAttention, SaveAndLoadKeepPredictions) {
  const fs::path dir = scratch();
  SymbolicTensor q = Input({3, 4}), v = Input({5, 6});
  SymbolicTensor h = MultiHeadAttention({.num_heads = 2, .key_dim = 3, .name = "mha"})({q, v});
  SymbolicTensor out = Dense({.units = 2})(h);
  Model model({q, v}, out);
  test::randomize_weights(model, 5);
  std::vector<Tensor> x{test::random_tensor({2, 3, 4}, 1), test::random_tensor({2, 5, 6}, 2)};
  const Tensor expected = model.predict(x)[0];
  for (const char* file : {"mha.h5", "mha.keras"}) {
    SCOPED_TRACE(file);
    save_model(model, dir / file);
    auto loaded = load_model(dir / file);
    EXPECT_EQ(loaded->count_params(), model.count_params());
    test::expect_bitwise_equal(loaded->predict(x)[0], expected);
    test::expect_same_weights(*loaded, model);
  }
  // tf.keras 2 names in the .h5 file, Keras 3's sublayer groups in the .keras file.
  std::vector<int64_t> dims;
  const auto qk = test::h5_dataset(dir / "mha.h5", "/model_weights/mha/mha/query/kernel:0", &dims);
  EXPECT_EQ(dims, (std::vector<int64_t>{4, 2, 3}));
  EXPECT_EQ(qk.size(), 24u);
  test::h5_dataset(dir / "mha.h5", "/model_weights/mha/mha/attention_output/bias:0", &dims);
  EXPECT_EQ(dims, (std::vector<int64_t>{4}));
  io::ZipReader z(dir / "mha.keras");
  const fs::path h5p = dir / "weights.extracted.h5";
  z.extract("model.weights.h5", h5p);
  h5::File f = h5::File::open(h5p.string());
  EXPECT_TRUE(f.has_group("layers/multi_head_attention/vars"));
  for (const char* sub : {"_query_dense", "_key_dense", "_value_dense", "_output_dense"}) {
    EXPECT_TRUE(f.has_dataset(std::string("layers/multi_head_attention/") + sub + "/vars/0")) << sub;
    EXPECT_TRUE(f.has_dataset(std::string("layers/multi_head_attention/") + sub + "/vars/1")) << sub;
  }
  EXPECT_EQ(f.open_group("layers/multi_head_attention/_output_dense/vars").read_string_attr("name"),
            "attention_output");
  // weights-only files too.
  save_weights(model, dir / "w.weights.h5");
  save_weights(model, dir / "w.h5");
  for (const char* file : {"w.weights.h5", "w.h5"}) {
    SymbolicTensor q2 = Input({3, 4}), v2 = Input({5, 6});
    SymbolicTensor h2 = MultiHeadAttention({.num_heads = 2, .key_dim = 3})({q2, v2});
    Model m2({q2, v2}, Dense({.units = 2})(h2));
    load_weights(m2, dir / file);
    test::expect_bitwise_equal(m2.predict(x)[0], expected);
  }
  fs::remove_all(dir);
}

TEST(MultiHeadAttention, ModelsCarryEmbeddingMasks) {
  // Embedding(mask_zero) marks id 0 as padding; the model hands that mask to the layer as the
  // query's and the value's mask, and the output keeps it.
  SymbolicTensor ids = Input({4}, {.dtype = DType::int32});
  auto emb = std::make_shared<Embedding>(EmbeddingOptions{.input_dim = 6, .output_dim = 3,
                                                          .mask_zero = true});
  auto mha = std::make_shared<MultiHeadAttention>(MultiHeadAttentionOptions{.num_heads = 2,
                                                                            .key_dim = 2});
  SymbolicTensor e = (*emb)(ids);
  SymbolicTensor y = (*mha)({e, e});
  Model model(ids, y);
  test::randomize_weights(model, 8);
  Tensor x = Tensor::from_vector({2, 4}, std::vector<int32_t>{3, 1, 0, 0, 5, 2, 4, 0});
  Tensor m = Tensor::from_vector({2, 4}, std::vector<float>{1, 1, 0, 0, 1, 1, 1, 0});
  Tensor ex = (*emb)(x);
  const auto want = mha->call_masked({ex, ex}, {m, m}, false)[0];
  test::expect_bitwise_equal(model.predict(x), want);
  // Differs from the unmasked result, so the mask did arrive.
  EXPECT_GT(test::max_abs_diff(mha->call_on({ex, ex}, false)[0].to_vector<float>(),
                               want.to_vector<float>()), 1e-4);
}
