// All of Strata's losses in one include: the Loss base and get_loss(), LossSpec, and the Keras
// losses MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy and
// SparseCategoricalCrossentropy.
//
//   #include "strata/losses/losses.hpp"
//   LossPtr loss = LossSpec("categorical_crossentropy").resolve();
//   Tensor l = (*loss)(one_hot_labels, probabilities);
#pragma once

#include "strata/losses/binary_crossentropy.hpp"
#include "strata/losses/categorical_crossentropy.hpp"
#include "strata/losses/loss.hpp"
#include "strata/losses/mean_absolute_error.hpp"
#include "strata/losses/mean_squared_error.hpp"
#include "strata/losses/sparse_categorical_crossentropy.hpp"
