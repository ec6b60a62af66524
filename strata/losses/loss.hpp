// Loss: the base of every loss, a callable mapping (y_true, y_pred) to a scalar Tensor that takes
// part in autodiff. As in Keras 3 with reduction "sum_over_batch_size", the scalar is the mean
// over the batch (and any further non-class axes) of the per-sample losses. get_loss() resolves
// the Keras string identifiers ("mse", "sparse_categorical_crossentropy", class names, ...);
// LossSpec is what compile() takes: such a string, a loss object or a shared pointer to one.
//
//   LossPtr loss = get_loss("sparse_categorical_crossentropy");
//   Tensor l = (*loss)(labels, ops::softmax(logits));   // labels (N,), logits (N, C)
//   l.backward();
//   loss->get_config();   // {"name": "sparse_categorical_crossentropy", "from_logits": false, ...}
//   LossSpec spec = SparseCategoricalCrossentropy({.from_logits = true});   // or = "mse"
#pragma once

#include <concepts>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>

#include "strata/autodiff/tensor.hpp"

namespace strata {

class Loss {
 public:
  virtual ~Loss() = default;
  // Scalar: the mean over the batch of the per-sample loss. Throws ValueError (naming the loss
  // and both shapes) when the shapes are incompatible, or on labels outside the class range.
  virtual Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // Keras function name, also the default instance name, e.g. "sparse_categorical_crossentropy".
  virtual std::string name() const = 0;
  // Keras class name, e.g. "SparseCategoricalCrossentropy".
  virtual std::string class_name() const = 0;
  // The Keras 3 config: name, reduction and the loss' own arguments.
  virtual nlohmann::json get_config() const = 0;
};

using LossPtr = std::shared_ptr<Loss>;

// A new loss for a Keras identifier: snake_case function names and aliases ("mse", "mae",
// "bce", "binary_crossentropy", ...) or class names ("MeanSquaredError", ...). Throws ValueError
// listing every valid name when `name` is unknown.
LossPtr get_loss(const std::string& name);

// What compile() takes as its loss, so that a Keras string, a loss object (moved into a
// shared_ptr) or a shared pointer to one all fit the same field; strings are resolved by
// get_loss() when resolve() runs.
class LossSpec {
 public:
  LossSpec() = default;
  LossSpec(const char* identifier) : identifier_(identifier ? identifier : "") {}
  LossSpec(std::string identifier) : identifier_(std::move(identifier)) {}
  LossSpec(LossPtr loss) : loss_(std::move(loss)) {}
  template <class L>
    requires std::derived_from<L, Loss>
  LossSpec(std::shared_ptr<L> loss) : loss_(std::move(loss)) {}
  template <class L>
    requires std::derived_from<std::remove_cvref_t<L>, Loss>
  LossSpec(L&& loss)
      : loss_(std::make_shared<std::remove_cvref_t<L>>(std::forward<L>(loss))) {}

  // True when neither a name nor a loss was given.
  bool empty() const { return identifier_.empty() && !loss_; }
  // The string the spec was made from ("" for an object), as Keras keeps it in compile_config.
  const std::string& identifier() const { return identifier_; }
  // The loss object: the one given, or a new one from get_loss(identifier()). Throws ValueError
  // "compile: no loss given" when empty, or get_loss' error for an unknown name.
  LossPtr resolve() const;

 private:
  std::string identifier_;
  LossPtr loss_;
};

}  // namespace strata
