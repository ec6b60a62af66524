// TimeDistributed: values, shapes, weights, gradients, errors, config and file round trips.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  fs::path d = fs::temp_directory_path() /
               ("strata_td_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(TimeDistributed, AppliesDenseToEverySlice) {
  auto dense = std::make_shared<Dense>(DenseOptions{.units = 2, .name = "inner"});
  TimeDistributed td(dense);
  Tensor x = Tensor::from_vector({1, 2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  td.build(x.shape());
  EXPECT_TRUE(dense->built());
  EXPECT_EQ(dense->input_shape(), (Shape{-1, 3}));  // built without T
  // kernel (3, 2) = [[1, 0], [0, 1], [1, 1]], bias (1, -1).
  dense->weights()[0].copy_(Tensor::from_vector({3, 2}, std::vector<float>{1, 0, 0, 1, 1, 1}));
  dense->weights()[1].copy_(Tensor::from_vector({2}, std::vector<float>{1, -1}));
  Tensor y = td(x);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 2}));
  // slice 0: (1,2,3) -> (1+3+1, 2+3-1) = (5, 4); slice 1: (4,5,6) -> (11, 10).
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, 4, 11, 10}));
}

TEST(TimeDistributed, WeightsAreTheInnerLayers) {
  TimeDistributed td(Dense({.units = 8}));
  td.build(Shape{-1, 5, 4});
  EXPECT_EQ(td.count_params(), 4 * 8 + 8);
  ASSERT_EQ(td.weights().size(), 2u);
  EXPECT_TRUE(td.weights()[0].same(td.layer()->weights()[0]));
  EXPECT_EQ(td.trainable_weights().size(), 2u);
  td.set_trainable(false);
  EXPECT_FALSE(td.layer()->trainable());
  EXPECT_TRUE(td.trainable_weights().empty());
  EXPECT_EQ(td.non_trainable_weights().size(), 2u);
  td.set_trainable(true);
  EXPECT_TRUE(td.layer()->trainable());
  EXPECT_EQ(td.trainable_weights().size(), 2u);
}

TEST(TimeDistributed, ShapesInModels) {
  Sequential seq({Input({10, 16}), TimeDistributed(Dense({.units = 8})), Flatten()});
  EXPECT_EQ(seq.output_shape(), (Shape{-1, 80}));
  EXPECT_EQ(seq.count_params(), 16 * 8 + 8);
  EXPECT_EQ(seq.trainable_weights().size(), 2u);
  EXPECT_EQ(seq.predict(Tensor::ones({3, 10, 16})).shape(), (Shape{3, 80}));

  SymbolicTensor in = Input({4, 6, 6, 2});
  SymbolicTensor h = TimeDistributed(Conv2D({.filters = 3, .kernel_size = {3, 3}}))(in);
  EXPECT_EQ(h.shape(), (Shape{-1, 4, 4, 4, 3}));
  SymbolicTensor out = TimeDistributed(Flatten())(h);
  EXPECT_EQ(out.shape(), (Shape{-1, 4, 48}));
  Model m(in, out);
  EXPECT_EQ(m.predict(test::random_tensor({2, 4, 6, 6, 2}, 1)).shape(), (Shape{2, 4, 48}));
}

TEST(TimeDistributed, Gradients) {
  auto dense = std::make_shared<Dense>(DenseOptions{.units = 3, .activation = "tanh"});
  TimeDistributed td(dense);
  Tensor x = test::random_tensor({2, 4, 5}, 7).set_requires_grad(true);
  td.build(x.shape());
  EXPECT_TRUE(test::gradcheck([&td](auto& in) { return td(in[0]); }, {x}));
  // With respect to the inner Dense's kernel: feed the candidate kernel in by copying it.
  Tensor kernel = dense->weights()[0];
  EXPECT_TRUE(test::gradcheck([&td](auto&) { return td(Tensor(test::random_tensor({2, 4, 5}, 8))); },
                              {kernel}));
}

TEST(TimeDistributed, RefusesLowRankInputs) {
  test::expect_value_error(
      [] { TimeDistributed(Dense({.units = 2}), "td_bad").build(Shape{-1, 5}); },
      {"TimeDistributed 'td_bad'", "rank 3 or more", "(None, 5)"});
  SymbolicTensor in = Input({5});
  test::expect_value_error([&] { TimeDistributed(Dense({.units = 2}))(in); },
                           {"TimeDistributed", "rank 3"});
  // The wrapped layer's own shape errors still surface.
  EXPECT_THROW(TimeDistributed(Permute({2, 1})).build(Shape{-1, 3, 4}), ValueError);
}

TEST(TimeDistributed, ConfigRoundTrip) {
  TimeDistributed td(Dense({.units = 8, .activation = "relu", .name = "inner_dense"}), "td");
  auto c = td.get_config();
  EXPECT_EQ(c["name"], "td");
  EXPECT_EQ(c["layer"]["class_name"], "Dense");
  EXPECT_EQ(c["layer"]["config"]["units"], 8);
  EXPECT_EQ(c["layer"]["config"]["name"], "inner_dense");
  LayerPtr back = layer_from_config(layer_to_config(td));
  auto* back_td = dynamic_cast<TimeDistributed*>(back.get());
  ASSERT_NE(back_td, nullptr);
  EXPECT_EQ(back_td->layer()->class_name(), "Dense");
  EXPECT_EQ(back->get_config(), c);
  test::expect_value_error(
      [] { layer_from_config({{"class_name", "TimeDistributed"}, {"config", {{"name", "x"}}}}); },
      {"TimeDistributed", "layer"});

  // RepeatVector wants rank 2; TimeDistributed(Dense) keeps rank 3.
  EXPECT_THROW(Sequential({Input({3, 4}), TimeDistributed(Dense({.units = 2})), RepeatVector(2)}),
               ValueError);
}

TEST(TimeDistributed, ModelConfigRoundTrip) {
  Sequential seq({Input({3, 4}), TimeDistributed(Dense({.units = 2})), Flatten(), RepeatVector(2),
                  Permute({2, 1})});
  EXPECT_EQ(seq.output_shape(), (Shape{-1, 6, 2}));
  auto copy = model_from_config(model_to_config(seq));
  EXPECT_EQ(copy->output_shape(), (Shape{-1, 6, 2}));
  EXPECT_EQ(copy->count_params(), seq.count_params());
  copy->set_weights(seq.get_weights());
  Tensor x = test::random_tensor({2, 3, 4}, 9);
  EXPECT_EQ(copy->predict(x).to_vector(), seq.predict(x).to_vector());
}

TEST(TimeDistributed, SaveAndLoadKeepPredictions) {
  const fs::path dir = scratch();
  SymbolicTensor in = Input({5, 4});
  SymbolicTensor h = TimeDistributed(Dense({.units = 3, .activation = "tanh"}))(in);
  SymbolicTensor out = Dense({.units = 2})(Flatten()(h));
  Model model(in, out);
  Tensor x = test::random_tensor({3, 5, 4}, 21);
  const auto expected = model.predict(x).to_vector();
  for (const char* file : {"td.h5", "td.keras"}) {
    SCOPED_TRACE(file);
    save_model(model, dir / file);
    auto loaded = load_model(dir / file);
    EXPECT_EQ(loaded->count_params(), model.count_params());
    EXPECT_EQ(loaded->predict(x).to_vector(), expected);
  }
  fs::remove_all(dir);
}
