// Bidirectional: runs a recurrent layer over a sequence forwards and a copy of it backwards, and
// merges the two outputs (Keras' Bidirectional wrapper). The wrapped layer is not used itself:
// like Keras, the wrapper rebuilds two fresh layers from its config, "forward_<name>" and
// "backward_<name>" (go_backwards flipped), unless a backward layer is given. Weights are the
// forward layer's, then the backward layer's.
//
//   Bidirectional(LSTM({.units = 8, .return_sequences = true}))   // (None, 5, 3) -> (None, 5, 16)
//   Bidirectional(GRU({.units = 4}), {.merge_mode = "sum"})       // (None, 5, 3) -> (None, 4)
//
// merge_mode "concat" (default), "sum", "mul", "ave", or "none" (two outputs: forward, backward).
// With return_sequences the backward output is put back in input order before merging, and
// masked steps give zeros in both directions (Keras sets zero_output_for_mask). return_state adds
// the forward layer's final states, then the backward layer's, as further outputs. Initial
// states passed as extra inputs go half to the forward layer, half to the backward one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/layers/layer.hpp"
#include "strata/layers/recurrent.hpp"

namespace strata {

struct BidirectionalOptions {
  std::string merge_mode = "concat";  // "concat", "sum", "mul", "ave" or "none"
  // Runs the backward direction instead of a flipped copy of the wrapped layer; must be a
  // recurrent layer with the opposite go_backwards and the same return_sequences / return_state /
  // stateful. Rebuilt from its config as "backward_<name>" (tf.keras 2's name), fresh weights.
  LayerPtr backward_layer;
  std::string name;
};

class Bidirectional : public Layer {
  STRATA_LAYER(Bidirectional)
 public:
  // Keras 2 {"layer": {...}, "merge_mode": "concat" | null, "backward_layer"?: {...}} and the
  // Keras 3 form (full objects with "module"); the layers go through the layer registry.
  static std::shared_ptr<Bidirectional> from_config(const nlohmann::json& config);
  // Throws ValueError naming this layer when `layer` (or the backward layer) is not a recurrent
  // layer, merge_mode is unknown, or the two directions do not fit together.
  explicit Bidirectional(LayerRef layer, BidirectionalOptions o = {});

  const std::shared_ptr<Recurrent>& forward_layer() const { return forward_; }
  const std::shared_ptr<Recurrent>& backward_layer() const { return backward_; }
  const std::string& merge_mode() const { return merge_mode_; }
  // 1, or 2 for merge_mode "none"; then the states of both directions with return_state.
  int num_outputs() const;
  // Stateful layers: both directions start from zeros on the next call.
  void reset_states();

  // Freezing the wrapper freezes both directions, as in Keras.
  void set_trainable(bool t) override;
  std::vector<Tensor> weights() const override;
  std::vector<Tensor> trainable_weights() const override;
  std::vector<Tensor> non_trainable_weights() const override;
  int64_t count_params() const override;

  // As Layer::build, but the time dimension may be unknown (None), as for the recurrent layers.
  void build(const Shape& input_shape) override;
  // The first output's shape; throws ValueError naming this layer unless the input is
  // (N, T, features).
  Shape compute_output_shape(const Shape& input_shape) const override;
  // inputs: the sequence, then optionally the forward layer's initial states followed by the
  // backward layer's.
  std::vector<Shape> build_for(const std::vector<Shape>& inputs) override;
  std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;
  bool supports_masking() const override { return true; }
  // With return_sequences every sequence output keeps the input's mask; otherwise none.
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;
  // tf.keras 2 form: "layer" is the wrapped layer's config under its own name, "backward_layer"
  // appears only when one was given.
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  // As the recurrent layers: rank 3 and the built feature size; any number of time steps.
  void check_input(const Shape& shape) const override;

 private:
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, const Tensor& mask, bool training);
  // The outputs' shapes for a sequence of shape `seq` (states included with return_state).
  std::vector<Shape> output_shapes(const Shape& seq) const;

  std::shared_ptr<Recurrent> forward_, backward_;
  std::string merge_mode_;
  std::string layer_name_;  // the wrapped layer's name, written back by get_config
  bool backward_given_ = false;
};

}  // namespace strata
