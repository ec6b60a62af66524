// Strata umbrella header: everything a Keras-style program needs.
//
//   #include <strata/strata.hpp>
//   using namespace strata;
//   auto [train, test] = datasets::fashion_mnist::load();
//   Sequential model({Input({28, 28, 1}), Flatten(),
//                     Dense({.units = 128, .activation = "relu"}),
//                     Dense({.units = 10, .activation = "softmax"})});
//   model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy",
//                  .metrics = {"accuracy"}});
//   model.fit(train.x, train.y, {.epochs = 5});
//   model.evaluate(test.x, test.y);
//
//   // The same with the Functional API:
//   SymbolicTensor in = Input({28, 28, 1});
//   SymbolicTensor h = Dense({.units = 128, .activation = "relu"})(Flatten()(in));
//   Model functional(in, Dense({.units = 10, .activation = "softmax"})(h));
#pragma once

#include "strata/api/model.hpp"
#include "strata/api/sequential.hpp"
#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/autodiff/tensor.hpp"
#include "strata/callbacks/callback.hpp"
#include "strata/callbacks/learning_rate_scheduler.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/datasets/csv.hpp"
#include "strata/functional/graph.hpp"
#include "strata/functional/symbolic_tensor.hpp"
#include "strata/datasets/fashion_mnist.hpp"
#include "strata/datasets/idx.hpp"
#include "strata/datasets/synthetic_text.hpp"
#include "strata/initializers/initializer.hpp"
#include "strata/layers/activation.hpp"
#include "strata/layers/activation_layers.hpp"
#include "strata/layers/attention.hpp"
#include "strata/layers/batch_normalization.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/conv.hpp"
#include "strata/layers/concatenate.hpp"
#include "strata/layers/conv_transpose.hpp"
#include "strata/layers/cropping2d.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/dot.hpp"
#include "strata/layers/depthwise_conv.hpp"
#include "strata/layers/dropout.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/global_pooling.hpp"
#include "strata/layers/image_augmentation.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/layer_normalization.hpp"
#include "strata/layers/masking.hpp"
#include "strata/layers/masks.hpp"
#include "strata/layers/merge.hpp"
#include "strata/layers/multi_head_attention.hpp"
#include "strata/layers/normalization.hpp"
#include "strata/layers/permute.hpp"
#include "strata/layers/pooling.hpp"
#include "strata/layers/position_embedding.hpp"
#include "strata/layers/prelu.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/layers/repeat_vector.hpp"
#include "strata/layers/rescaling.hpp"
#include "strata/layers/reshape.hpp"
#include "strata/layers/spatial_dropout.hpp"
#include "strata/layers/thresholded_relu.hpp"
#include "strata/layers/time_distributed.hpp"
#include "strata/layers/up_sampling2d.hpp"
#include "strata/layers/zero_padding2d.hpp"
#include "strata/losses/losses.hpp"
#include "strata/metrics/metrics.hpp"
#include "strata/optimizers/optimizers.hpp"
#include "strata/preprocessing/text_vectorization.hpp"
#include "strata/io/hdf5.hpp"
#include "strata/saving/keras_v3.hpp"
#include "strata/saving/keras_weights.hpp"
#include "strata/saving/legacy_h5.hpp"
#include "strata/saving/saving.hpp"
#include "strata/saving/tfjs.hpp"
#include "strata/saving/training_config.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "strata/serialization/model_config.hpp"
