// Metric: a stateful quality measure reported during fit()/evaluate(), as in keras.metrics.
// update_state() folds one batch in, result() reads the running value, reset_state() starts
// over (fit() resets at each epoch). Batches are copied to the host and totals kept in double.
// get_metric() resolves Keras' string identifiers, including "accuracy", which picks the binary,
// categorical or sparse categorical variant from the loss and the shapes; MetricSpec is one
// entry of compile()'s metrics list: such a string or a metric object/pointer. The concrete
// metrics live in strata::metrics (their names clash with the losses'); Metric, MetricPtr,
// MetricSpec and get_metric are also declared in namespace strata.
//
//   auto acc = get_metric("accuracy", loss.get(), y_true.shape(), y_pred.shape());
//   acc->update_state(y_true, y_pred);
//   acc->name();     // "accuracy"
//   acc->result();   // e.g. 0.75
//   std::vector<MetricSpec> specs{"accuracy", metrics::MeanAbsoluteError()};
#pragma once

#include <concepts>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>

#include "strata/autodiff/tensor.hpp"

namespace strata {
class Loss;
}

namespace strata::metrics {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;

  // Folds one batch in. Throws ValueError naming the metric and both shapes when they do not
  // fit together; the state is unchanged then.
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred) = 0;
  // The value over every batch since the last reset (0 before any sample, like Keras'
  // divide_no_nan).
  virtual double result() const = 0;
  virtual void reset_state() = 0;

  // The name results are reported under, e.g. in History ("accuracy", "val_accuracy").
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  // Keras class name, e.g. "SparseCategoricalAccuracy".
  virtual std::string class_name() const = 0;
  // The Keras 3 config: {"name": ..., "dtype": "float32"} plus the metric's own arguments.
  virtual nlohmann::json get_config() const;

 private:
  std::string name_;
};

using MetricPtr = std::shared_ptr<Metric>;

// A new metric for a Keras identifier, reported under that identifier as typed (Keras 3 renames
// string metrics so: "acc" reports as "acc", "mse" as "mse").
//   "accuracy" / "acc" (any case): BinaryAccuracy for a BinaryCrossentropy loss,
//     CategoricalAccuracy for CategoricalCrossentropy, SparseCategoricalAccuracy for
//     SparseCategoricalCrossentropy; for any other loss (or none) Keras 3's shape rule:
//     y_pred's last dim 1 -> binary; rank(y_true) < rank(y_pred), or y_true's last dim 1 and
//     y_pred's > 1 -> sparse categorical; else categorical.
//   "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
//   "mse"/"MSE"/"mean_squared_error", "mae"/"MAE"/"mean_absolute_error", and the class names.
// Throws ValueError listing the valid names for an unknown one.
MetricPtr get_metric(const std::string& name, const Loss* loss, const Shape& y_true_shape,
                     const Shape& y_pred_shape);

// One entry of compile()'s metrics list, so that Keras strings and metric objects (by value or
// shared pointer) mix in one initializer list. Strings are resolved by get_metric() when
// resolve() runs, which needs the loss and the shapes for "accuracy"; an object is used as given
// (so its state is shared with anything else holding it, as in Keras).
class MetricSpec {
 public:
  MetricSpec(const char* identifier) : identifier_(identifier ? identifier : "") {}
  MetricSpec(std::string identifier) : identifier_(std::move(identifier)) {}
  MetricSpec(MetricPtr metric) : metric_(std::move(metric)) {}
  template <class M>
    requires std::derived_from<M, Metric>
  MetricSpec(std::shared_ptr<M> metric) : metric_(std::move(metric)) {}
  template <class M>
    requires std::derived_from<std::remove_cvref_t<M>, Metric>
  MetricSpec(M&& metric)
      : metric_(std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(metric))) {}

  // The string the spec was made from ("" for an object), as Keras keeps it in compile_config.
  const std::string& identifier() const { return identifier_; }
  // The metric object: the one given, or get_metric(identifier(), loss, shapes). Throws
  // ValueError for an empty or unknown name, or a null pointer.
  MetricPtr resolve(const Loss* loss, const Shape& y_true_shape, const Shape& y_pred_shape) const;

 private:
  std::string identifier_;
  MetricPtr metric_;
};

}  // namespace strata::metrics

namespace strata {

// The base types carry no Keras class name that could clash with a loss, so the model API can
// use them unqualified.
using metrics::get_metric;
using metrics::Metric;
using metrics::MetricPtr;
using metrics::MetricSpec;

}  // namespace strata
