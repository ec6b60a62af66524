// Model: what every model offers a Keras user — compile, fit, evaluate, predict, summary and
// weight access. Model(inputs, outputs) is a Functional model: the graph of layer calls recorded
// from Input(...) to `outputs`; Sequential is the special case of a single chain.
//
//   SymbolicTensor in = Input({784});
//   SymbolicTensor h = Dense({.units = 64, .activation = "relu"})(in);
//   Model model(in, Dense({.units = 10, .activation = "softmax"})(h));
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
#include "strata/functional/graph.hpp"
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

// A Model is also a Layer: it can be called inside another model (one node, its own weights).
class Model : public Layer {
 public:
  // A Functional model from Input(...) tensors to outputs computed from them. Throws ValueError
  // for an output not computed from `inputs`, an unused input or two layers with one name.
  Model(const SymbolicTensors& inputs, const SymbolicTensors& outputs, std::string name = "");
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The model's layers in order: a Functional model lists its InputLayers, Sequential does not
  // (as in Keras). A nested model is one entry.
  virtual std::vector<LayerPtr> layers() const;
  // Throws ValueError listing the layer names when none matches.
  LayerPtr get_layer(const std::string& name) const;
  // layers()[index]; throws ValueError when out of range.
  LayerPtr get_layer(int index) const;
  bool built() const override;
  // Builds every layer for inputs of `input_shape` (batch dimension included, may be -1).
  void build(const Shape& input_shape) override;
  // The first input's and first output's shapes.
  Shape input_shape() const override;
  Shape output_shape() const override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  // A Functional model's symbolic inputs and outputs, e.g. for Model(m.input(), m.get_layer("x")
  // ->output()); a Sequential's once it starts with Input(...).
  virtual std::vector<SymbolicTensor> inputs() const;
  virtual std::vector<SymbolicTensor> outputs() const;
  SymbolicTensor input() const;
  SymbolicTensor output() const;

  // The forward pass; builds on first use. The single-tensor form (from Layer) needs one input
  // and one output.
  using Layer::operator();
  std::vector<Tensor> operator()(const std::vector<Tensor>& xs, bool training = false);

  // Freezing a model freezes (and unfreezing unfreezes) every layer in it, as in Keras.
  void set_trainable(bool t) override;
  int64_t count_params() const override;
  std::vector<Tensor> weights() const override;
  std::vector<Tensor> trainable_weights() const override;
  std::vector<Tensor> non_trainable_weights() const override;
  std::vector<Shape> build_for(const std::vector<Shape>& inputs) override;
  std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training) override;

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

  // Deep copies of every weight, in weights() order.
  std::vector<Tensor> get_weights() const;
  // Copies values in, checking count and shapes (message names the layer and weight).
  void set_weights(const std::vector<Tensor>& values);

  const OptimizerPtr& optimizer() const { return optimizer_; }
  const LossPtr& loss() const { return loss_; }

 protected:
  // For subclasses that define their own structure (Sequential).
  Model(std::string class_name, std::string name);
  // Runs the model on one tensor per input.
  virtual std::vector<Tensor> call_all(const std::vector<Tensor>& xs, bool training);
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& shape) const override;

 private:
  std::vector<Tensor> weights_of_layers() const;
  void require_compiled(const char* who) const;
  void resolve_metrics(const Shape& y_shape);
  void check_labels(const std::string& who, const Tensor& y) const;
  // One optimisation step; updates the metrics and returns the batch loss.
  double train_step(const Tensor& x, const Tensor& y);
  Logs test_loop(const Tensor& x, const Tensor& y, int64_t batch_size);
  Logs collect_logs(double loss_mean, const std::string& prefix) const;

  std::unique_ptr<Graph> graph_;  // set for Functional models
  OptimizerPtr optimizer_;
  LossPtr loss_;
  std::vector<MetricSpec> metric_specs_;
  std::vector<MetricPtr> metrics_;
};

}  // namespace strata
