// TimeDistributed: applies one layer to every temporal slice of its input. An input (N, T, ...)
// is reshaped to (N*T, ...), run through the wrapped layer and reshaped back to (N, T, ...out).
// The wrapped layer is built for (None, ...) (without T); its weights are this layer's weights.
//
//   TimeDistributed(Dense({.units = 8}))   // (None, 10, 16) -> (None, 10, 8)
#pragma once

#include <memory>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

class TimeDistributed : public Layer {
  STRATA_LAYER(TimeDistributed)
 public:
  // Passes its input's mask on, as in Keras.
  bool supports_masking() const override { return true; }
  // Rebuilds the layer from a Keras config: {"layer": {"class_name": ..., "config": ...}, ...};
  // the wrapped layer goes through the layer registry.
  static std::shared_ptr<TimeDistributed> from_config(const nlohmann::json& config);
  explicit TimeDistributed(LayerRef layer, std::string name = "");

  const LayerPtr& layer() const { return layer_; }

  // Freezing the wrapper freezes the wrapped layer, as in Keras.
  void set_trainable(bool t) override;
  std::vector<Tensor> weights() const override;
  std::vector<Tensor> trainable_weights() const override;
  std::vector<Tensor> non_trainable_weights() const override;
  int64_t count_params() const override;

  // Throws ValueError naming this layer for inputs of rank < 3 (batch, time, features...).
  Shape compute_output_shape(const Shape& in) const override;
  nlohmann::json get_config() const override;

 protected:
  void build_weights(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  // (N, T, rest...) -> (-1, rest...): the shape the wrapped layer sees.
  Shape inner_shape(const Shape& in) const;

  LayerPtr layer_;
};

}  // namespace strata
