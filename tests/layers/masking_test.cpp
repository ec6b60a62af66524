// Masks: the Masking layer, Embedding(mask_zero), how Functional graphs and Sequential carry a
// mask from layer to layer, how merge layers combine masks, and GlobalAveragePooling1D's masked
// mean (values, gradient, errors).
#include <gtest/gtest.h>

#include "strata/api/model.hpp"
#include "strata/api/sequential.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/layers/concatenate.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/global_pooling.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/masking.hpp"
#include "strata/layers/masks.hpp"
#include "strata/layers/merge.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

namespace {

// The mean over the steps t of sample n where keep[n][t], per feature, on the host.
std::vector<float> masked_mean(const std::vector<float>& x, int64_t n, int64_t t, int64_t d,
                               const std::vector<float>& keep) {
  std::vector<float> out(static_cast<size_t>(n * d), 0.f);
  for (int64_t i = 0; i < n; ++i) {
    float count = 0;
    for (int64_t s = 0; s < t; ++s) {
      if (keep[static_cast<size_t>(i * t + s)] == 0.f) continue;
      count += 1;
      for (int64_t k = 0; k < d; ++k)
        out[static_cast<size_t>(i * d + k)] += x[static_cast<size_t>((i * t + s) * d + k)];
    }
    for (int64_t k = 0; k < d; ++k) out[static_cast<size_t>(i * d + k)] /= count;
  }
  return out;
}

}  // namespace

TEST(Masking, ZeroesPaddedStepsAndEmitsTheirMask) {
  Masking m({.mask_value = -1.f});
  // Sample 0: step 1 is padding; sample 1: step 2 only partly -1, so it is kept.
  Tensor x = Tensor::from_vector({2, 3, 2}, std::vector<float>{1, 2, -1, -1, 3, 4, 5, 6, 7, 8, -1, 9});
  Tensor y = m(x);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 2, 0, 0, 3, 4, 5, 6, 7, 8, -1, 9}));
  auto mask = m.compute_mask({x}, {Tensor()});
  ASSERT_EQ(mask.size(), 1u);
  EXPECT_EQ(mask[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(mask[0].to_vector(), (std::vector<float>{1, 0, 1, 1, 1, 1}));
}

TEST(Masking, GradientPassesOnlyThroughKeptSteps) {
  Tensor x = Tensor::from_vector({1, 2, 2}, std::vector<float>{0.5f, -0.3f, 0, 0}).set_requires_grad(true);
  Masking m;
  ops::sum(m(x, true)).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1, 1, 0, 0}));
}

TEST(Masking, ConfigAndErrors) {
  Masking m({.mask_value = 2.5f, .name = "pad"});
  auto c = m.get_config();
  EXPECT_EQ(c["mask_value"], 2.5);
  auto back = layer_from_config({{"class_name", "Masking"}, {"config", c}});
  EXPECT_EQ(back->get_config(), c);
  test::expect_value_error([] { Masking({.mask_value = std::nanf("")}); }, {"Masking", "NaN"});
  test::expect_value_error([] { Masking().build(Shape{-1, 4}); },
                           {"Masking", "rank >= 3", "(None, 4)"});
}

TEST(EmbeddingMask, MaskZeroMarksNonZeroIds) {
  Embedding e({.input_dim = 5, .output_dim = 3, .mask_zero = true});
  Tensor ids = Tensor::from_vector({2, 3}, std::vector<int32_t>{4, 2, 0, 1, 0, 0});
  auto m = e.compute_mask({ids}, {Tensor()});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].to_vector(), (std::vector<float>{1, 1, 0, 1, 0, 0}));
  Embedding plain(5, 3);
  EXPECT_TRUE(plain.compute_mask({ids}, {Tensor()}).empty());
}

TEST(MaskPropagation, FunctionalGraphCarriesTheMaskThroughDenseToPooling) {
  auto in = Input({4}, {.dtype = DType::int32});
  auto h = Embedding({.input_dim = 6, .output_dim = 3, .mask_zero = true, .name = "emb"})(in);
  auto d = std::make_shared<Dense>(DenseOptions{.units = 2, .name = "proj"});
  auto out = GlobalAveragePooling1D()((*d)(h));
  Model model(in, out);
  Tensor ids = Tensor::from_vector({2, 4}, std::vector<int32_t>{3, 1, 0, 0, 5, 0, 2, 0});
  Tensor got = model.predict(ids);
  // The same Dense outputs, averaged over the non-padding steps only.
  auto emb = std::dynamic_pointer_cast<Embedding>(model.get_layer("emb"));
  Tensor projected = (*d)(ops::embedding_lookup(emb->embeddings(), ids));
  auto want = masked_mean(projected.to_vector(), 2, 4, 2, {1, 1, 0, 0, 1, 0, 1, 0});
  EXPECT_LT(test::max_abs_diff(got.to_vector(), want), 1e-6);
}

TEST(MaskPropagation, SequentialCarriesTheMaskToo) {
  Sequential model({Input({3}, {.dtype = DType::int32}),
                    Embedding({.input_dim = 4, .output_dim = 2, .mask_zero = true}),
                    GlobalAveragePooling1D()});
  Tensor ids = Tensor::from_vector({1, 3}, std::vector<int32_t>{2, 0, 0});
  auto emb = std::dynamic_pointer_cast<Embedding>(model.get_layer(0));
  ASSERT_NE(emb, nullptr);
  auto table = emb->embeddings().to_vector();
  EXPECT_EQ(model.predict(ids).to_vector(), (std::vector<float>{table[4], table[5]}));
}

TEST(MaskPropagation, LayersWithoutMaskSupportDropTheMask) {
  // Flatten does not pass masks on (as in Keras 3), so the pooling after it is not masked...
  // pooling needs rank 3, so check Flatten's answer directly.
  Flatten f;
  Tensor m = Tensor::ones({2, 3});
  EXPECT_TRUE(f.compute_mask({Tensor::ones({2, 3, 4})}, {m}).empty());
  Dense d({.units = 2});
  auto passed = d.compute_mask({Tensor::ones({2, 3, 4})}, {m});
  ASSERT_EQ(passed.size(), 1u);
  EXPECT_TRUE(passed[0].same(m));
}

TEST(MergeMasks, AddAndsMasksConcatenateJoinsThemAlongTime) {
  Tensor a = Tensor::ones({1, 3, 2}), b = Tensor::ones({1, 3, 2});
  Tensor ma = Tensor::from_vector({1, 3}, std::vector<float>{1, 1, 0}), mb = Tensor::from_vector({1, 3}, std::vector<float>{1, 0, 1});
  Add add;
  EXPECT_EQ(add.compute_mask({a, b}, {ma, mb}).at(0).to_vector(), (std::vector<float>{1, 0, 0}));
  EXPECT_EQ(add.compute_mask({a, b}, {ma, Tensor()}).at(0).to_vector(),
            (std::vector<float>{1, 1, 0}));
  EXPECT_TRUE(add.compute_mask({a, b}, {Tensor(), Tensor()}).empty());
  Concatenate along_time(1);
  EXPECT_EQ(along_time.compute_mask({a, b}, {ma, Tensor()}).at(0).to_vector(),
            (std::vector<float>{1, 1, 0, 1, 1, 1}));
  Concatenate along_features;
  EXPECT_EQ(along_features.compute_mask({a, b}, {ma, mb}).at(0).to_vector(),
            (std::vector<float>{1, 0, 0}));
}

TEST(MaskedPooling, GradientAndValues) {
  Tensor mask = Tensor::from_vector({2, 3}, std::vector<float>{1, 0, 1, 0, 1, 0});
  GlobalAveragePooling1D pool;
  Tensor x = test::random_tensor({2, 3, 2}, 4).set_requires_grad(true);
  auto y = pool.call_masked({x}, {mask}, false);
  EXPECT_LT(test::max_abs_diff(y[0].to_vector(),
                               masked_mean(x.to_vector(), 2, 3, 2, mask.to_vector())),
            1e-6);
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) { return pool.call_masked({in[0]}, {mask}, true)[0]; },
      {x}));
}

TEST(MaskedPooling, WrongMaskShapeIsRefused) {
  GlobalAveragePooling1D pool({.name = "gap"});
  Tensor x = Tensor::ones({2, 3, 2});
  test::expect_value_error([&] { pool.call_masked({x}, {Tensor::ones({2, 4})}, false); },
                           {"GlobalAveragePooling1D 'gap'", "mask of shape (2, 3)", "(2, 4)"});
  test::expect_value_error([&] { masks::check("here", Tensor::ones({2}), x); },
                           {"here", "(2, 3)"});
}

TEST(MaskPropagation, NestedModelsTakeAndPassMasks) {
  // The inner model makes the mask (Embedding) and passes it out; the outer pools with it.
  auto ids = Input({4}, {.dtype = DType::int32});
  auto emb = std::make_shared<Embedding>(EmbeddingOptions{.input_dim = 6, .output_dim = 2,
                                                          .mask_zero = true});
  auto inner = std::make_shared<Model>(ids, (*emb)(ids), "inner");
  auto outer_in = Input({4}, {.dtype = DType::int32});
  Model outer(outer_in, GlobalAveragePooling1D()((*inner)(outer_in)), "outer");
  Tensor x = Tensor::from_vector({1, 4}, std::vector<int32_t>{2, 0, 3, 0});
  auto t = emb->embeddings().to_vector();
  EXPECT_LT(test::max_abs_diff(outer.predict(x).to_vector(),
                               {(t[4] + t[6]) / 2, (t[5] + t[7]) / 2}),
            1e-6);
  // A Sequential inside a Functional model receives the outer mask.
  auto seq = std::make_shared<Sequential>(
      std::vector<LayerRef>{Input({4, 2}), Dense({.units = 2}), GlobalAveragePooling1D()});
  auto in2 = Input({4}, {.dtype = DType::int32});
  auto e2 = std::make_shared<Embedding>(EmbeddingOptions{.input_dim = 6, .output_dim = 2,
                                                         .mask_zero = true});
  Model with_seq(in2, (*seq)((*e2)(in2)));
  Tensor got = with_seq.predict(x);
  auto dense = std::dynamic_pointer_cast<Dense>(seq->get_layer(0));
  ASSERT_NE(dense, nullptr);
  Tensor projected = (*dense)(ops::embedding_lookup(e2->embeddings(), x));
  auto want = masked_mean(projected.to_vector(), 1, 4, 2, {1, 0, 1, 0});
  EXPECT_LT(test::max_abs_diff(got.to_vector(), want), 1e-6);
}
