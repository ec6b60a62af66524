// Integer model inputs: Input dtypes, their config, and the dtype checks of models and fit.
#include <gtest/gtest.h>

#include "strata/api/model.hpp"
#include "strata/api/sequential.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"

using namespace strata;

TEST(InputDtype, IntegerInputsKeepTheirDtypeInTheConfig) {
  for (DType t : {DType::int32, DType::int64, DType::float32}) {
    InputLayer in(Shape{3}, {.name = "ids", .dtype = t});
    EXPECT_EQ(in.dtype(), t);
    auto c = in.get_config();
    EXPECT_EQ(c["dtype"], dtype_name(t));
    LayerPtr back = layer_from_config({{"class_name", "InputLayer"}, {"config", c}});
    ASSERT_TRUE(std::dynamic_pointer_cast<InputLayer>(back));
    EXPECT_EQ(std::dynamic_pointer_cast<InputLayer>(back)->dtype(), t);
    EXPECT_EQ(back->get_config(), c);
  }
  // A Keras 3 DTypePolicy and an unsupported dtype.
  nlohmann::json k3 = {{"batch_shape", {nullptr, 4}}, {"name", "t"},
                       {"dtype", {{"class_name", "DTypePolicy"}, {"config", {{"name", "int64"}}}}}};
  auto in3 = std::dynamic_pointer_cast<InputLayer>(
      layer_from_config({{"class_name", "InputLayer"}, {"config", k3}}));
  EXPECT_EQ(in3->dtype(), DType::int64);
  k3["dtype"] = "float16";
  test::expect_value_error(
      [&] { layer_from_config({{"class_name", "InputLayer"}, {"config", k3}}); },
      {"float16", "int32"});
}

TEST(InputDtype, GraphChecksTheInputDtype) {
  SymbolicTensor ids = Input({3}, {.name = "ids", .dtype = DType::int32});
  Model m(ids, Dense(2)(Flatten()(Embedding(10, 2)(ids))), "tok");
  EXPECT_EQ(m(std::vector<Tensor>{Tensor::from_vector({1, 3}, std::vector<int32_t>{1, 2, 3})})[0].shape(),
            (Shape{1, 2}));
  test::expect_value_error([&] { m(std::vector<Tensor>{Tensor::zeros({1, 3})}); },
                           {"ids", "expects dtype int32", "got float32"});
  test::expect_value_error(
      [&] { m(std::vector<Tensor>{Tensor::from_vector({1, 3}, std::vector<int64_t>{1, 2, 3})}); },
      {"ids", "int32", "int64"});
  test::expect_value_error([&] { m.predict(Tensor::zeros({2, 3})); },
                           {"x must be int32", "float32"});

  // A float model still refuses integer x, saying why.
  SymbolicTensor f = Input({3}, {.name = "feats"});
  Model fm(f, Dense(2)(f), "flt");
  test::expect_value_error(
      [&] { fm.predict(Tensor::zeros({2, 3}, DType::int32)); },
      {"x must be float32", "int32"});
  test::expect_value_error([&] { fm(std::vector<Tensor>{Tensor::zeros({2, 3}, DType::int32)}); },
                           {"feats", "expects dtype float32", "int32"});
  Sequential s({Dense(2)});
  s.build(Shape{-1, 3});
  test::expect_value_error(
      [&] { s.predict(Tensor::zeros({2, 3}, DType::int32)); },
      {"x must be float32", "int32"});
}
