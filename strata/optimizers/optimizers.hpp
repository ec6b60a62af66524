// All of Strata's optimizers in one include: the Optimizer base and get_optimizer(),
// OptimizerSpec, and Keras 3's SGD, Adam and RMSprop with their defaults.
//
//   #include "strata/optimizers/optimizers.hpp"
//   OptimizerPtr opt = OptimizerSpec(Adam({.learning_rate = 3e-4})).resolve();
//   opt->apply_gradients(weights);
#pragma once

#include "strata/optimizers/adam.hpp"
#include "strata/optimizers/optimizer.hpp"
#include "strata/optimizers/rmsprop.hpp"
#include "strata/optimizers/sgd.hpp"
