// Inputs whose non-batch sizes vary (Keras' None, -1 here): sequence models take any length,
// layers that need the size say so by name.
#include <gtest/gtest.h>

#include "strata/api/model.hpp"
#include "strata/api/sequential.hpp"
#include "strata/layers/conv.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/global_pooling.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/serialization/model_config.hpp"
#include "support/expect_error.hpp"
#include "support/gradcheck.hpp"

using namespace strata;

TEST(VariableLength, SequenceModelRunsOnAnyLength) {
  auto x = Input({-1, 3});
  auto h = LSTM({.units = 4, .return_sequences = true})(x);
  auto y = Dense({.units = 2})(GlobalAveragePooling1D()(Dense({.units = 5})(h)));
  Model m(x, y);
  EXPECT_EQ(m.input_shape(), (Shape{-1, -1, 3}));
  EXPECT_EQ(m.predict(test::random_tensor({2, 7, 3}, 1)).shape(), (Shape{2, 2}));
  EXPECT_EQ(m.predict(test::random_tensor({3, 2, 3}, 2)).shape(), (Shape{3, 2}));
  test::expect_value_error([&] { m.predict(test::random_tensor({2, 7, 4}, 3)); },
                           {"expects shape (None, None, 3)", "(2, 7, 4)"});
  // The config keeps the varying size as null, and the model rebuilt from it runs too.
  auto back = model_from_json(to_json(m));
  EXPECT_EQ(back->predict(test::random_tensor({1, 5, 3}, 4)).shape(), (Shape{1, 2}));
}

TEST(VariableLength, SequentialAcceptsAnyLength) {
  Sequential m({Input({-1, 2}), GRU({.units = 3}), Dense({.units = 1})});
  EXPECT_EQ(m.predict(test::random_tensor({2, 4, 2}, 5)).shape(), (Shape{2, 1}));
  EXPECT_EQ(m.predict(test::random_tensor({2, 9, 2}, 6)).shape(), (Shape{2, 1}));
}

TEST(VariableLength, LayersThatNeedTheSizeNameIt) {
  test::expect_value_error([] { Sequential({Input({-1, 2}), Flatten()}); },
                           {"Flatten", "varies"});
  test::expect_value_error([] { Sequential({Input({2, -1}), Dense({.units = 2})}); },
                           {"Dense", "kernel", "varies"});
  test::expect_value_error(
      [] { Sequential({Input({-1, 2}), Conv1D({.filters = 2, .kernel_size = 3})}); },
      {"Conv1D", "varies"});
  test::expect_value_error([] { Input({0, 2}); }, {"positive", "-1"});
}
