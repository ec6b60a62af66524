// Optimizer: the base of the Keras 3 optimizers. apply_gradients() takes the trainable tensors
// and updates, in place and under NoGrad, every one that holds a gradient, through the backend's
// fused kernels. Per-tensor slot state (momentum, velocity, ...) is created zero-filled the first
// time a tensor is seen, keyed by its TensorImpl, and dropped once that tensor is destroyed.
// iterations() counts the steps that updated something; Adam's bias correction uses it, 1-based.
// OptimizerSpec is what compile() takes: a Keras string (default "rmsprop"), an optimizer object
// or a shared pointer to one.
//
//   OptimizerPtr opt = get_optimizer("adam");
//   loss.backward();
//   opt->apply_gradients(model_weights);   // w -= update(w.grad()) for each w with a grad
//   for (auto& w : model_weights) w.zero_grad();
//   OptimizerSpec spec = SGD({.learning_rate = 0.1, .momentum = 0.9});   // or = "adam"
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata {

class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One step for every tensor in `params` that has a grad(); tensors without one are skipped.
  // iterations() goes up by one when at least one tensor was updated (a call with no gradient
  // is a no-op, as in Keras). Gradients are left in place. Throws ValueError, before anything is
  // updated, when a gradient's shape differs from its tensor's or a tensor is not float32.
  void apply_gradients(const std::vector<Tensor>& params);
  // Creates the (zero) slot state of `params` now, without a step, so that saved optimizer
  // variables can be copied into variables() before training resumes (Keras' build()).
  void build(const std::vector<Tensor>& params);

  float learning_rate() const { return learning_rate_; }
  // Throws ValueError for a negative or non-finite rate.
  void set_learning_rate(float learning_rate);
  int64_t iterations() const { return iterations_; }
  // Restores the step count of a saved optimizer; throws ValueError when negative.
  void set_iterations(int64_t iterations);
  const std::string& name() const { return name_; }

  // Keras class name, e.g. "Adam".
  virtual std::string class_name() const = 0;
  // The Keras 3 config: the base keys (name, learning_rate, weight_decay, clipnorm, ...) and the
  // optimizer's own hyper-parameters.
  virtual nlohmann::json get_config() const = 0;
  // Slot variables in Keras 3 order: slot groups as the optimizer's build() adds them, each
  // group listed tensor by tensor in the order the tensors were first seen. Keras' own first
  // two variables, iteration and learning_rate, are iterations() and learning_rate() here.
  std::vector<Tensor> variables() const;
  // The slot tensors of `param` in slot_names() order (empty when it has no state yet).
  std::vector<Tensor> slots(const Tensor& param) const;
  // variables() restricted to `params`, listed in the given order within each slot group (what a
  // saved file holds for a model's trainable weights). A tensor without state contributes zeros
  // of its shape (as fresh slots would be), so the layout depends on `params` alone.
  std::vector<Tensor> variables_for(const std::vector<Tensor>& params) const;
  // Keras' names of the slots of one tensor, in slot order, e.g. {"momentum", "velocity"}.
  virtual std::vector<std::string> slot_names() const = 0;

 protected:
  // `owner` names the optimizer in error messages (class_name() is not callable yet).
  Optimizer(const std::string& owner, std::string name, float learning_rate);
  // Copies (of a concrete optimizer, e.g. passed by value to compile()) own clones of the slot
  // state: stepping one never moves the other. Protected so the base cannot be sliced.
  Optimizer(const Optimizer& other);
  Optimizer& operator=(const Optimizer& other);
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  // Slots per tensor; fixed for the optimizer's lifetime.
  virtual size_t num_slots() const = 0;
  // How Keras' build() adds the slots: each inner list is one add_optimizer_variables() call,
  // interleaved per tensor. The default is one call with every slot.
  virtual std::vector<std::vector<size_t>> slot_groups() const;
  // Updates `param` in place from `grad` (same shape, float32); `step` is 1-based.
  virtual void update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
                      int64_t step) = 0;
  // The keys every Keras 3 optimizer config has.
  nlohmann::json base_config() const;

 private:
  struct State {
    std::weak_ptr<TensorImpl> param;
    std::vector<Tensor> slots;
  };
  // Forgets tensors that no longer exist, so their address can be reused by a new tensor.
  void prune();
  std::vector<Tensor>& slots_for(const Tensor& param);

  std::string owner_;
  std::string name_;
  float learning_rate_;
  int64_t iterations_ = 0;
  std::vector<State> states_;  // in first-seen order
  std::unordered_map<const TensorImpl*, size_t> index_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// A new optimizer with Keras' defaults: "sgd", "adam" or "rmsprop", any case (so the class names
// "SGD", "Adam", "RMSprop" work too). Throws ValueError listing the valid names otherwise.
OptimizerPtr get_optimizer(const std::string& name);

// What compile() takes as its optimizer. A default spec means "rmsprop", Keras' compile()
// default. An object passed by value is moved (or copied, with its own state) into a shared_ptr.
class OptimizerSpec {
 public:
  OptimizerSpec() = default;
  OptimizerSpec(const char* identifier) : identifier_(identifier ? identifier : "") {}
  OptimizerSpec(std::string identifier) : identifier_(std::move(identifier)) {}
  OptimizerSpec(OptimizerPtr optimizer) : identifier_(), optimizer_(std::move(optimizer)) {}
  template <class O>
    requires std::derived_from<O, Optimizer>
  OptimizerSpec(std::shared_ptr<O> optimizer) : identifier_(), optimizer_(std::move(optimizer)) {}
  template <class O>
    requires std::derived_from<std::remove_cvref_t<O>, Optimizer>
  OptimizerSpec(O&& optimizer)
      : identifier_(),
        optimizer_(std::make_shared<std::remove_cvref_t<O>>(std::forward<O>(optimizer))) {}

  // The string the spec was made from ("rmsprop" by default, "" for an object).
  const std::string& identifier() const { return identifier_; }
  // The optimizer object: the one given, or get_optimizer(identifier()). Throws ValueError for
  // an unknown name or a null pointer.
  OptimizerPtr resolve() const;

 private:
  std::string identifier_ = "rmsprop";
  OptimizerPtr optimizer_;
};

}  // namespace strata
