// Model: what every model offers a Keras user — compile, fit, evaluate, predict, summary and
// weight access — on top of a forward pass that subclasses define (Sequential; Functional later).
//
//   model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
//                  .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
//   History h = model.fit(x, y, {.batch_size = 128, .epochs = 5, .validation_split = 0.1});
//   Logs r = model.evaluate(x_test, y_test);   // r["loss"], r["accuracy"]
//   Tensor p = model.predict(x_test);
#pragma once

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "strata/callbacks/callback.hpp"
#include "strata/datasets/dataset.hpp"
#include "strata/layers/layer.hpp"
#include "strata/losses/loss.hpp"
#include "strata/metrics/metric.hpp"
#include "strata/optimizers/optimizer.hpp"

namespace strata {

using datasets::Dataset;

struct CompileOptions {
  OptimizerSpec optimizer = "rmsprop";
  LossSpec loss;
  std::vector<MetricSpec> metrics;
};

struct FitOptions {
  int64_t batch_size = 32;
  int epochs = 1;
  // 0 silent; 1 progress bar on a terminal, one line per epoch otherwise; 2 one line per epoch.
  int verbose = 1;
  std::vector<CallbackRef> callbacks;
  // Fraction of the samples, taken from the end before shuffling, held out for validation.
  double validation_split = 0.0;
  Dataset validation_data;  // used instead of validation_split when x is set
  bool shuffle = true;
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 1;
};

struct PredictOptions {
  int64_t batch_size = 32;
};

class Model {
 public:
  explicit Model(std::string name);
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }
  // The model's layers (without the InputLayer), in order.
  virtual std::vector<LayerPtr> layers() const = 0;
  // Throws ValueError listing the layer names when none matches.
  LayerPtr get_layer(const std::string& name) const;
  virtual bool built() const = 0;
  // Builds every layer for inputs of `input_shape` (batch dimension included, may be -1).
  virtual void build(const Shape& input_shape) = 0;
  virtual Shape input_shape() const = 0;
  virtual Shape output_shape() const = 0;

  // The forward pass; builds on first use.
  Tensor operator()(const Tensor& x, bool training = false);

  void compile(CompileOptions options);
  bool compiled() const { return loss_ != nullptr; }
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  Logs evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});
  // One optimisation step on exactly this batch; returns its loss and metrics.
  Logs train_on_batch(const Tensor& x, const Tensor& y);

  // Keras' summary table: layer (type), output shape, param count, totals.
  std::string summary_string() const;
  void summary(std::ostream& out = std::cout) const { out << summary_string(); }

  int64_t count_params() const;
  std::vector<Tensor> weights() const;
  std::vector<Tensor> trainable_weights() const;
  std::vector<Tensor> non_trainable_weights() const;
  // Deep copies of every weight, in weights() order.
  std::vector<Tensor> get_weights() const;
  // Copies values in, checking count and shapes (message names the layer and weight).
  void set_weights(const std::vector<Tensor>& values);

  const OptimizerPtr& optimizer() const { return optimizer_; }
  const LossPtr& loss() const { return loss_; }

 protected:
  virtual Tensor call(const Tensor& x, bool training) = 0;

 private:
  void require_compiled(const char* who) const;
  void resolve_metrics(const Shape& y_shape);
  void check_labels(const std::string& who, const Tensor& y) const;
  // One optimisation step; updates the metrics and returns the batch loss.
  double train_step(const Tensor& x, const Tensor& y);
  Logs test_loop(const Tensor& x, const Tensor& y, int64_t batch_size);
  Logs collect_logs(double loss_mean, const std::string& prefix) const;

  std::string name_;
  OptimizerPtr optimizer_;
  LossPtr loss_;
  std::vector<MetricSpec> metric_specs_;
  std::vector<MetricPtr> metrics_;
};

}  // namespace strata
