#include "strata/layers/recurrent.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/activations.hpp"

namespace strata {

namespace {

// LSTM's unit_forget_bias: Keras concatenates bias_initializer(U), ones(U) and
// bias_initializer(2U), so the forget block starts at 1 whatever the initializer.
class ForgetGateBias : public Initializer {
 public:
  ForgetGateBias(InitializerPtr base, int64_t units) : base_(std::move(base)), units_(units) {}
  std::vector<float> values(const Shape& shape) const override {
    std::vector<float> v = base_->values(Shape{units_});
    v.resize(static_cast<size_t>(2 * units_), 1.f);
    for (float x : base_->values(Shape{2 * units_})) v.push_back(x);
    if (static_cast<int64_t>(v.size()) != shape.numel())
      throw ValueError("unit_forget_bias: expected a bias of " + std::to_string(4 * units_) +
                       " values, got shape " + shape.str());
    return v;
  }
  std::string class_name() const override { return base_->class_name(); }
  nlohmann::json get_config() const override { return base_->get_config(); }

 private:
  InitializerPtr base_;
  int64_t units_;
};

}  // namespace

Recurrent::Recurrent(std::string class_name, RnnCell cell, RecurrentOptions o)
    : Layer(std::move(class_name), o.name),
      o_(std::move(o)),
      cell_(cell),
      seed_(o_.seed ? o_.seed : next_seed()) {
  if (o_.units <= 0)
    throw ValueError(label() + ": units must be a positive integer, got " +
                     std::to_string(o_.units));
  if (!(o_.dropout >= 0.f && o_.dropout < 1.f))
    throw ValueError(label() + ": dropout must be in [0, 1), got " + std::to_string(o_.dropout));
  if (!(o_.recurrent_dropout >= 0.f && o_.recurrent_dropout < 1.f))
    throw ValueError(label() + ": recurrent_dropout must be in [0, 1), got " +
                     std::to_string(o_.recurrent_dropout));
  activations::validate(o_.activation, label() + " activation");
  if (cell_ != RnnCell::simple)
    activations::validate(o_.recurrent_activation, label() + " recurrent_activation");
}

int Recurrent::num_states() const { return cell_ == RnnCell::lstm ? 2 : 1; }

Shape Recurrent::compute_output_shape(const Shape& in) const {
  if (in.rank() != 3)
    throw ValueError(label() + ": expected input of rank 3 (batch, timesteps, features), got " +
                     in.str());
  if (in[1] == 0)
    throw ValueError(label() + ": expected at least one time step, got input of shape " +
                     in.str());
  if (in[2] <= 0)
    throw ValueError(label() + ": the feature dimension must be known and positive, got " +
                     in.str());
  if (o_.return_sequences) return Shape{in[0], in[1], o_.units};
  return Shape{in[0], o_.units};
}

void Recurrent::build(const Shape& input_shape) {
  if (built()) {
    check_input(input_shape);
    return;
  }
  compute_output_shape(input_shape);  // validates before any weight exists
  Shape s = input_shape;
  s[0] = -1;
  build_weights(s);
  mark_built(s);
}

void Recurrent::check_input(const Shape& shape) const {
  const int64_t features = input_shape()[2];
  if (shape.rank() != 3 || shape[2] != features)
    throw ValueError(label() + ": expected input of shape (batch, timesteps, " +
                     std::to_string(features) + "), got " + shape.str());
}

void Recurrent::build_weights(const Shape& in) {
  const int64_t gu = rnn_gates(cell_) * o_.units;
  kernel_ = add_weight("kernel", Shape{in[2], gu}, o_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", Shape{o_.units, gu}, o_.recurrent_initializer);
  if (!o_.use_bias) return;
  if (cell_ == RnnCell::gru_reset_after)
    bias_ = add_weight("bias", Shape{2, gu}, o_.bias_initializer);
  else if (cell_ == RnnCell::lstm && o_.unit_forget_bias)
    bias_ = add_weight("bias", Shape{gu},
                       InitializerSpec(std::make_shared<ForgetGateBias>(
                           o_.bias_initializer.resolve(), o_.units)));
  else
    bias_ = add_weight("bias", Shape{gu}, o_.bias_initializer);
}

Tensor Recurrent::call(const Tensor& x, bool training) { return run(x, Tensor(), {}, training)[0]; }

std::vector<Shape> Recurrent::build_for(const std::vector<Shape>& inputs) {
  const size_t n_states = static_cast<size_t>(num_states());
  if (inputs.size() != 1 && inputs.size() != 1 + n_states)
    throw ValueError(label() + ": expects the sequence and optionally " +
                     std::to_string(n_states) + " initial state(s), got " +
                     std::to_string(inputs.size()) + " inputs");
  build(inputs[0]);
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i];
    if (s.rank() != 2 || s[1] != o_.units ||
        (s[0] >= 0 && inputs[0][0] >= 0 && s[0] != inputs[0][0]))
      throw ValueError(label() + ": initial state " + std::to_string(i - 1) +
                       " must have shape (batch, " + std::to_string(o_.units) + "), got " +
                       s.str() + " for a sequence of shape " + inputs[0].str());
  }
  Shape in = inputs[0];
  in[0] = -1;
  std::vector<Shape> out{compute_output_shape(in)};
  if (o_.return_state)
    for (size_t i = 0; i < n_states; ++i) out.push_back(Shape{-1, o_.units});
  return out;
}

std::vector<Tensor> Recurrent::call_on(const std::vector<Tensor>& inputs, bool training) {
  return call_masked(inputs, {}, training);
}

std::vector<Tensor> Recurrent::call_masked(const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& masks, bool training) {
  if (inputs.empty() || !inputs[0].defined())
    throw ValueError(label() + ": called without a sequence input");
  const std::vector<Tensor> states(inputs.begin() + 1, inputs.end());
  if (!states.empty() && states.size() != static_cast<size_t>(num_states()))
    throw ValueError(label() + ": expects " + std::to_string(num_states()) +
                     " initial state(s) after the sequence, got " + std::to_string(states.size()));
  const Tensor mask = masks.empty() ? Tensor() : masks[0];
  return run(inputs[0], mask, states, training);
}

std::vector<Tensor> Recurrent::compute_mask(const std::vector<Tensor>& /*inputs*/,
                                            const std::vector<Tensor>& masks) const {
  // Keras: the sequence output keeps the input mask (even with go_backwards); states get none.
  std::vector<Tensor> out(o_.return_state ? 1 + num_states() : 1);
  if (o_.return_sequences && !masks.empty()) out[0] = masks[0];
  return out;
}

void Recurrent::check_initial_states(const std::vector<Tensor>& states, int64_t batch) const {
  if (states.size() != static_cast<size_t>(num_states()))
    throw ValueError(label() + ": expects " + std::to_string(num_states()) +
                     " initial state(s), got " + std::to_string(states.size()));
  for (size_t i = 0; i < states.size(); ++i)
    if (!states[i].defined() || states[i].shape() != Shape{batch, o_.units})
      throw ValueError(label() + ": initial state " + std::to_string(i) + " must have shape (" +
                       std::to_string(batch) + ", " + std::to_string(o_.units) + "), got " +
                       (states[i].defined() ? states[i].shape().str() : "an undefined tensor"));
}

Tensor Recurrent::dropout_mask(const Shape& shape, float rate) {
  Tensor m = ops::dropout(Tensor::ones(shape), rate, seed_, dropout_offset_);
  dropout_offset_ += static_cast<uint64_t>(shape.numel());
  return m;
}

bool Recurrent::fusable_activations() const {
  if (cell_ == RnnCell::simple)
    return o_.activation == "tanh" || o_.activation == "relu" || o_.activation == "sigmoid";
  return o_.activation == "tanh" && o_.recurrent_activation == "sigmoid";
}

std::vector<Tensor> Recurrent::run(const Tensor& x_in, const Tensor& mask,
                                   const std::vector<Tensor>& initial_states, bool training) {
  if (!x_in.defined()) throw ValueError(label() + ": called on an undefined tensor");
  if (x_in.rank() != 3)
    throw ValueError(label() + ": expected input of rank 3 (batch, timesteps, features), got " +
                     x_in.shape().str());
  // Keras' RNN computes in float; an integer sequence (token ids meant for an Embedding, say)
  // would otherwise fail deep inside an op, with a message that does not name this layer.
  if (x_in.dtype() != DType::float32)
    throw ValueError(label() + ": expected a float32 sequence, got " + dtype_name(x_in.dtype()) +
                     " of shape " + x_in.shape().str());
  if (!built()) build(x_in.shape());
  else check_input(x_in.shape());
  const int64_t n = x_in.dim(0), steps = x_in.dim(1);
  if (steps == 0)
    throw ValueError(label() + ": expected at least one time step, got input of shape " +
                     x_in.shape().str());

  std::vector<Tensor> states;
  if (!initial_states.empty()) {
    check_initial_states(initial_states, n);
    states = initial_states;
  } else if (o_.stateful && !kept_states_.empty()) {
    if (kept_states_[0].dim(0) != n)
      throw ValueError(label() + ": a stateful layer keeps states for batch size " +
                       std::to_string(kept_states_[0].dim(0)) + ", got input of shape " +
                       x_in.shape().str() + " (call reset_states() to start over)");
    states = kept_states_;
  } else {
    for (int i = 0; i < num_states(); ++i) states.push_back(Tensor::zeros(Shape{n, o_.units}));
  }

  // The mask goes to the host once: a step-by-step run needs it there, and an all-ones mask
  // lets the fused path run.
  std::vector<float> mask_host;
  if (mask.defined()) {
    if (mask.shape() != Shape{n, steps})
      throw ValueError(label() + ": expected a mask of shape (" + std::to_string(n) + ", " +
                       std::to_string(steps) + ") for input of shape " + x_in.shape().str() +
                       ", got " + mask.shape().str());
    mask_host = mask.to_vector<float>();
    bool all_ones = true;
    for (float v : mask_host) all_ones = all_ones && v != 0.f;
    if (all_ones) mask_host.clear();
  }

  Tensor x = x_in;
  if (training && o_.dropout > 0.f)
    x = ops::mul(x, ops::reshape(dropout_mask(Shape{n, x.dim(2)}, o_.dropout),
                                 Shape{n, 1, x.dim(2)}));
  const bool fusable = !(training && o_.recurrent_dropout > 0.f) && fusable_activations();
  std::vector<Tensor> out;
  if (fusable && mask_host.empty()) out = run_fused(x, states);
  else if (fusable) out = run_packed(x, mask_host, states);
  if (out.empty()) out = run_steps(x, mask_host, states, training);

  if (o_.stateful) {
    kept_states_.clear();
    for (size_t i = 1; i < out.size(); ++i) kept_states_.push_back(out[i].clone());
  }
  if (!o_.return_state) out.resize(1);
  return out;
}

void Recurrent::reset_states() { kept_states_.clear(); }

SimpleRNN::SimpleRNN(RecurrentOptions o) : Recurrent("SimpleRNN", RnnCell::simple, std::move(o)) {}

LSTM::LSTM(RecurrentOptions o) : Recurrent("LSTM", RnnCell::lstm, std::move(o)) {}

// A copy, not a move: the cell is read from `o` in the same argument list.
GRU::GRU(RecurrentOptions o)
    : Recurrent("GRU", o.reset_after ? RnnCell::gru_reset_after : RnnCell::gru, o) {}

}  // namespace strata
