// Functional API: symbolic tensors, Model(inputs, outputs), shared layers, intermediate outputs,
// graph validation errors, and training through a graph.
#include <random>

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"
#include "strata/strata.hpp"

using namespace strata;

namespace {

Dataset blobs(int n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> noise(0.f, 0.5f);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < n; ++i) {
    int c = i % 2;
    x.push_back((c ? 2.f : -2.f) + noise(rng));
    x.push_back((c ? -1.f : 1.f) + noise(rng));
    y.push_back(c);
  }
  return {Tensor::from_vector({n, 2}, x), Tensor::from_vector({n}, y)};
}

}  // namespace

TEST(Functional, SymbolicCallsInferShapesAtOnce) {
  SymbolicTensor in = Input({28, 28, 1}, {.name = "pixels"});
  EXPECT_EQ(in.shape(), (Shape{-1, 28, 28, 1}));
  SymbolicTensor h = Conv2D({.filters = 4, .kernel_size = 3})(in);
  EXPECT_EQ(h.shape(), (Shape{-1, 26, 26, 4}));
  SymbolicTensor f = Flatten()(h);
  EXPECT_EQ(f.shape(), (Shape{-1, 26 * 26 * 4}));
  test::expect_value_error([&] { Reshape({7, -1})(f); }, {"reshape", "(None, 2704)"});
  // Integer inputs exist (see input_dtype_test.cpp).
  EXPECT_EQ(Input({3}, {.name = "ids", .dtype = DType::int32}).shape(), (Shape{-1, 3}));
}

TEST(Functional, ModelTrainsLikeSequential) {
  set_random_seed(3);
  SymbolicTensor in = Input({2});
  SymbolicTensor h = Dense({.units = 16, .activation = "relu", .name = "hidden"})(in);
  Model model(in, Dense({.units = 2, .activation = "softmax"})(h), "blob_net");
  EXPECT_EQ(model.name(), "blob_net");
  ASSERT_EQ(model.layers().size(), 3u);
  EXPECT_EQ(model.get_layer(0)->class_name(), "InputLayer");
  EXPECT_EQ(model.get_layer(1)->name(), "hidden");
  EXPECT_EQ(model.count_params(), 2 * 16 + 16 + 16 * 2 + 2);
  EXPECT_EQ(model.input_shape(), (Shape{-1, 2}));
  EXPECT_EQ(model.output_shape(), (Shape{-1, 2}));

  model.compile({.optimizer = Adam({.learning_rate = 0.01}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  Dataset train = blobs(256, 1), test = blobs(128, 2);
  model.fit(train.x, train.y, {.batch_size = 32, .epochs = 10, .verbose = 0});
  EXPECT_GT(model.evaluate(test.x, test.y, {.verbose = 0})["accuracy"], 0.95);
  EXPECT_EQ(model.predict(test.x).shape(), (Shape{128, 2}));
  test::expect_value_error([&] { model(Tensor::zeros({4, 3})); }, {"blob_net", "(None, 2)", "(4, 3)"});
  test::expect_value_error([&] { model.get_layer(3); }, {"index 3", "3 layers"});
}

TEST(Functional, SharedLayerHasOneSetOfWeights) {
  auto shared = std::make_shared<Dense>(DenseOptions{.units = 3, .name = "shared"});
  SymbolicTensor a = Input({4}, {.name = "a"});
  SymbolicTensor b = Input({4}, {.name = "b"});
  SymbolicTensor ya = (*shared)(a);
  SymbolicTensor yb = (*shared)(b);
  Model model({a, b}, {ya, yb});
  EXPECT_EQ(model.count_params(), 4 * 3 + 3);
  EXPECT_EQ(model.layers().size(), 3u);  // a, b, shared
  EXPECT_EQ(shared->inbound_nodes().size(), 2u);
  test::expect_value_error([&] { shared->output(); }, {"shared", "2 times"});

  Tensor xa = test::random_tensor({5, 4}, 1), xb = test::random_tensor({5, 4}, 2);
  auto out = model({xa, xb});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_LT(test::max_abs_diff(out[0].to_vector<float>(), (*shared)(xa).to_vector<float>()), 1e-6);
  EXPECT_LT(test::max_abs_diff(out[1].to_vector<float>(), (*shared)(xb).to_vector<float>()), 1e-6);
  test::expect_value_error([&] { model(xa); }, {"2 input"});

  // Gradients from both calls reach the one kernel.
  Tensor kernel = shared->weights()[0];
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        auto o = model({in[0], in[1]}, true);
        return ops::add(o[0], o[1]);
      },
      {xa.set_requires_grad(true), xb.set_requires_grad(true), kernel}));
}

TEST(Functional, IntermediateOutputsForFeatureExtraction) {
  SymbolicTensor in = Input({6});
  SymbolicTensor h = Dense({.units = 4, .activation = "tanh", .name = "features"})(in);
  Model full(in, Dense({.units = 2, .name = "head"})(h));
  Model extractor(full.input(), full.get_layer("features")->output());
  EXPECT_EQ(extractor.output_shape(), (Shape{-1, 4}));
  EXPECT_EQ(extractor.count_params(), 6 * 4 + 4);
  Tensor x = test::random_tensor({3, 6}, 4);
  Tensor direct = (*full.get_layer("features"))(x);
  EXPECT_LT(test::max_abs_diff(extractor(x).to_vector<float>(), direct.to_vector<float>()), 1e-6);
}

TEST(Functional, SequentialExposesSymbolicTensors) {
  Sequential seq({Input({5}), Dense({.units = 3, .name = "d1"}), Dense({.units = 2, .name = "d2"})});
  Model head_off(seq.input(), seq.get_layer("d1")->output());
  EXPECT_EQ(head_off.output_shape(), (Shape{-1, 3}));
  EXPECT_EQ(seq.output().shape(), (Shape{-1, 2}));
}

TEST(Functional, BadGraphsAreRefused) {
  SymbolicTensor a = Input({3}, {.name = "in_a"});
  SymbolicTensor b = Input({3}, {.name = "in_b"});
  SymbolicTensor ya = Dense(2)(a);
  test::expect_value_error([&] { Model m(b, ya); }, {"depends on", "in_a", "not among"});
  test::expect_value_error([&] { Model m({a, b}, ya); }, {"in_b", "not used"});
  test::expect_value_error([&] { Model m(ya, ya); }, {"Input(...)", "dense"});
  test::expect_value_error([&] { Model m({a, a}, ya); }, {"in_a", "twice"});
  SymbolicTensor c1 = Dense({.units = 2, .name = "twin"})(a);
  SymbolicTensor c2 = Dense({.units = 2, .name = "twin"})(c1);
  test::expect_value_error([&] { Model m(a, c2); }, {"twin", "unique"});
  Dense named(2);
  test::expect_value_error([&] { named(a); }, {"std::shared_ptr"});
  test::expect_value_error([&] { Model m(a, SymbolicTensor{}); }, {"undefined"});
}

TEST(Functional, ResidualBlockThroughMergeTrainsAndHasGradients) {
  set_random_seed(5);
  SymbolicTensor in = Input({4});
  SymbolicTensor h = Dense({.units = 4, .activation = "tanh"})(in);
  SymbolicTensor sum = Add()({in, h});
  SymbolicTensor cat = Concatenate()({sum, h});
  EXPECT_EQ(cat.shape(), (Shape{-1, 8}));
  Model model(in, Dense({.units = 1, .name = "out"})(cat));
  EXPECT_EQ(model.layers().size(), 5u);
  Tensor x = test::random_tensor({3, 4}, 6);
  std::vector<Tensor> params = model.trainable_weights();
  std::vector<Tensor> args{x.set_requires_grad(true)};
  args.insert(args.end(), params.begin(), params.end());
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>&) { return model(x, true); }, args));
  test::expect_value_error([&] { Add()({in, cat}); }, {"add", "(None, 4)", "(None, 8)"});
}

TEST(Functional, NestedModelIsOneLayerWithItsWeights) {
  SymbolicTensor e_in = Input({6});
  auto encoder = std::make_shared<Model>(
      e_in, Dense({.units = 3, .activation = "tanh", .name = "code"})(e_in), "encoder");
  SymbolicTensor a = Input({6}, {.name = "left"});
  SymbolicTensor b = Input({6}, {.name = "right"});
  SymbolicTensor ya = (*encoder)(a);
  SymbolicTensor yb = (*encoder)(b);  // a shared sub-model: one set of weights
  SymbolicTensor d = Dot({.axes = {1}, .normalize = true})({ya, yb});
  EXPECT_EQ(d.shape(), (Shape{-1, 1}));
  Model siamese({a, b}, d, "siamese");
  ASSERT_EQ(siamese.layers().size(), 4u);  // left, right, encoder, dot
  EXPECT_EQ(siamese.get_layer("encoder").get(), encoder.get());
  EXPECT_EQ(siamese.count_params(), 6 * 3 + 3);
  EXPECT_EQ(siamese.weights().size(), 2u);

  Tensor xa = test::random_tensor({4, 6}, 7), xb = test::random_tensor({4, 6}, 8);
  auto out = siamese({xa, xb});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{4, 1}));
  auto w = encoder->weights();
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) { return siamese({in[0], in[1]}, true)[0]; },
      {xa.set_requires_grad(true), xb, w[0], w[1]}));

  encoder->set_trainable(false);
  EXPECT_TRUE(siamese.trainable_weights().empty());
  EXPECT_EQ(siamese.non_trainable_weights().size(), 2u);
  EXPECT_FALSE(encoder->get_layer("code")->trainable());
  encoder->set_trainable(true);
  EXPECT_EQ(siamese.trainable_weights().size(), 2u);
  test::expect_value_error([&] { (*encoder)(Input({5})); }, {"encoder", "(None, 6)", "(None, 5)"});
}

TEST(Functional, TwoInputsTwoOutputsForward) {
  SymbolicTensor a = Input({3}, {.name = "a"});
  SymbolicTensor b = Input({2}, {.name = "b"});
  SymbolicTensor joined = Concatenate()({a, b});
  SymbolicTensor y1 = Dense({.units = 1, .name = "score"})(joined);
  SymbolicTensor y2 = Dense({.units = 4, .activation = "softmax", .name = "kind"})(joined);
  Model model({a, b}, {y1, y2});
  Tensor xa = test::random_tensor({5, 3}, 9), xb = test::random_tensor({5, 2}, 10);
  auto out = model({xa, xb});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (Shape{5, 1}));
  EXPECT_EQ(out[1].shape(), (Shape{5, 4}));
  test::expect_value_error([&] { model({xb, xa}); }, {"input 'a'", "(None, 3)", "(5, 2)"});
  test::expect_value_error([&] { model.output(); }, {"2 outputs"});
}

TEST(Functional, SequentialNestedInAGraphTrains) {
  set_random_seed(11);
  auto body = std::make_shared<Sequential>(
      std::vector<LayerRef>{Dense({.units = 8, .activation = "tanh"}), Dense({.units = 2})}, "body");
  SymbolicTensor in = Input({2});
  SymbolicTensor logits = (*body)(in);
  EXPECT_EQ(logits.shape(), (Shape{-1, 2}));
  Model model(in, Softmax()(logits));
  EXPECT_EQ(model.count_params(), 2 * 8 + 8 + 8 * 2 + 2);
  model.compile({.optimizer = Adam({.learning_rate = 0.02}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  Dataset d = blobs(256, 12);
  model.fit(d.x, d.y, {.batch_size = 32, .epochs = 8, .verbose = 0});
  EXPECT_GT(model.evaluate(d.x, d.y, {.verbose = 0})["accuracy"], 0.95);
  // The nested model's weights are the outer model's: predictions agree.
  Tensor x = d.x.slice_rows(0, 4);
  Tensor direct = ops::softmax((*body)(x));
  EXPECT_LT(test::max_abs_diff(model.predict(x).to_vector<float>(), direct.to_vector<float>()), 1e-6);
}
