// Recurrent layers: SimpleRNN, LSTM and GRU, with Keras' arguments, weight layouts and masking.
// An input (N, T, features) gives the last step's output (N, units), or every step's
// (N, T, units) with return_sequences; return_state adds the final states (h, and c for LSTM) as
// further outputs. Initial states may be passed as extra inputs after the sequence, as Keras'
// `layer(x, initial_state=[h0, c0])` records them in a Functional graph.
//
//   LSTM({.units = 64, .return_sequences = true})        // (None, 50, 32) -> (None, 50, 64)
//   GRU({.units = 4, .go_backwards = true, .reset_after = false})
//   LSTM lstm({.units = 8, .return_state = true});
//   auto outs = lstm.call_on({x}, /*training=*/false);   // {y, h, c}
//
// Without recurrent dropout or a non-default activation, a layer runs on the backend's fused RNN
// primitive (ops::rnn), also under a mask whose valid steps form one block per row (right or left
// padding): each row's valid steps are gathered to the front, run, and gathered back. Otherwise it
// runs step by step on ordinary ops. Either way masked steps keep the previous state and repeat
// the previous output (zero_output_for_mask=false), as Keras.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "strata/backends/backend.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

// One options struct for the three layers; fields marked LSTM / GRU are ignored by the others.
struct RecurrentOptions {
  int64_t units = 0;
  std::string activation = "tanh";
  // LSTM / GRU gates: "sigmoid", "hard_sigmoid" (Keras 3 slope 1/6) or "hard_sigmoid_legacy"
  // (the Keras 1/2 slope 0.2 that old files mean by "hard_sigmoid"), or any activation name.
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  InitializerSpec kernel_initializer = "glorot_uniform";
  InitializerSpec recurrent_initializer = "orthogonal";
  InitializerSpec bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM: forget-gate bias starts at 1
  float dropout = 0.f;            // on the inputs, one mask per sequence
  float recurrent_dropout = 0.f;  // on the recurrent state, one mask per sequence
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;          // keep the final states for the next call (fixed batch size)
  bool reset_after = true;        // GRU: Keras 3 / TF2 default; false for Keras <= 2.3 files
  bool unroll = false;            // accepted for Keras configs; has no effect on the result
  uint64_t seed = 0;              // dropout seed (0 = draw from the global seed)
  std::string name;
};

class Recurrent : public Layer {
 public:
  const RecurrentOptions& options() const { return o_; }
  RnnCell cell() const { return cell_; }
  // 2 for LSTM (h, c), 1 for the others.
  int num_states() const;

  Tensor kernel() const { return kernel_; }
  Tensor recurrent_kernel() const { return recurrent_kernel_; }
  Tensor bias() const { return bias_; }  // undefined when use_bias is false

  // Shape of the first output; throws ValueError naming this layer unless the input is
  // (N, T, features) with T != 0. T may be unknown (-1): sequences of any length.
  Shape compute_output_shape(const Shape& input_shape) const override;
  // As Layer::build, but the time dimension may be unknown (None), as Keras allows.
  void build(const Shape& input_shape) override;
  // inputs: the sequence, then optionally num_states() initial states (N, units).
  std::vector<Shape> build_for(const std::vector<Shape>& inputs) override;
  std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training) override;
  // masks[0] (N, T) of 0/1 selects the steps to run; a mask of another shape is a ValueError.
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;
  bool supports_masking() const override { return true; }
  // With return_sequences the sequence output keeps the input's mask; states get none.
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;

  // The whole layer on one sequence: x (N, T, features), mask (N, T) or undefined, initial
  // states (empty = zeros, or the stateful layer's kept states). Returns {output, states...}
  // (states only with return_state). Bidirectional runs its two layers through this.
  std::vector<Tensor> run(const Tensor& x, const Tensor& mask,
                          const std::vector<Tensor>& initial_states, bool training);
  // Stateful layers: forget the kept states (the next call starts from zeros).
  void reset_states();

  // Keras' RNN.zero_output_for_mask: a masked step outputs zeros instead of repeating the
  // previous output. Bidirectional sets it to its return_sequences, as Keras does.
  bool zero_output_for_mask = false;

 protected:
  Recurrent(std::string class_name, RnnCell cell, RecurrentOptions o);
  void build_weights(const Shape& input_shape) override;
  // Keras' RNN input spec: rank 3 and the built feature size; any number of time steps.
  void check_input(const Shape& shape) const override;
  Tensor call(const Tensor& x, bool training) override;
  // Reads the arguments all three layers share from a Keras config (Keras 1, 2 or 3 spelling),
  // refusing keys that neither they nor `own_keys` (the layer's own, e.g. "reset_after") name,
  // and settings Strata cannot honour, with a ValueError naming `class_name`.
  static RecurrentOptions options_from_config(const nlohmann::json& config,
                                              const char* class_name,
                                              std::initializer_list<const char*> own_keys);

  RecurrentOptions o_;
  RnnCell cell_;
  Tensor kernel_, recurrent_kernel_, bias_;
  std::vector<Tensor> kept_states_;  // stateful only

 private:
  // One step-by-step run or one fused run over a validated sequence; both return
  // {output, h[, c]} (states always, run() drops them without return_state).
  std::vector<Tensor> run_steps(const Tensor& x, const std::vector<float>& mask,
                                const std::vector<Tensor>& states, bool training);
  std::vector<Tensor> run_fused(const Tensor& x, const std::vector<Tensor>& states);
  // The fused primitive under a mask (N·T host values) whose valid steps are one block per row:
  // {output, h[, c]} as run_steps gives, or empty when the mask is not of that form, or LSTM's
  // final c is wanted (return_state / stateful) and the primitive's last c is not exact for it.
  std::vector<Tensor> run_packed(const Tensor& x, const std::vector<float>& mask,
                                 const std::vector<Tensor>& states);
  // The primitive's parameters for this layer, running left to right (reverse = go_backwards).
  RnnParams fused_params() const;
  // True when ops::rnn computes this layer's formula exactly (activations it fuses).
  bool fusable_activations() const;
  // One inverted-dropout mask of `shape` (N, features), advancing the layer's dropout stream.
  Tensor dropout_mask(const Shape& shape, float rate);
  void check_initial_states(const std::vector<Tensor>& states, int64_t batch) const;

  uint64_t seed_ = 0;
  uint64_t dropout_offset_ = 0;
};

class SimpleRNN : public Recurrent {
  STRATA_LAYER(SimpleRNN)
 public:
  static std::shared_ptr<SimpleRNN> from_config(const nlohmann::json& config);
  explicit SimpleRNN(RecurrentOptions o);
  nlohmann::json get_config() const override;
};

class LSTM : public Recurrent {
  STRATA_LAYER(LSTM)
 public:
  static std::shared_ptr<LSTM> from_config(const nlohmann::json& config);
  explicit LSTM(RecurrentOptions o);
  nlohmann::json get_config() const override;
};

class GRU : public Recurrent {
  STRATA_LAYER(GRU)
 public:
  static std::shared_ptr<GRU> from_config(const nlohmann::json& config);
  explicit GRU(RecurrentOptions o);
  nlohmann::json get_config() const override;
};

}  // namespace strata
