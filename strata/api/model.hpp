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
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/api/per_output.hpp"
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
  // One loss for every output, or one per output by position or by output name (an output left
  // out of the by-name form gets no loss).
  PerOutput<LossSpec> loss;
  // The total loss is the sum over outputs of weight * loss; 1 for each output by default.
  PerOutput<double> loss_weights;
  // Metrics for every output (logged as "accuracy", or "kind_accuracy" with several outputs).
  std::vector<MetricSpec> metrics;
  // Further metrics for single outputs, by output name.
  std::map<std::string, std::vector<MetricSpec>> output_metrics;
};

// Validation arrays for fit: x and y of a one-input, one-output model, or one array per input and
// per output.
struct ValidationData {
  ValidationData() = default;
  ValidationData(const Dataset& d) : x{d.x}, y{d.y} {}
  ValidationData(Tensor x_, Tensor y_) : x{std::move(x_)}, y{std::move(y_)} {}
  ValidationData(std::vector<Tensor> x_, std::vector<Tensor> y_) : x(std::move(x_)), y(std::move(y_)) {}
  bool empty() const { return x.empty(); }
  std::vector<Tensor> x, y;
};

struct FitOptions {
  int64_t batch_size = 32;
  int epochs = 1;
  // 0 silent; 1 progress bar on a terminal, one line per epoch otherwise; 2 one line per epoch.
  int verbose = 1;
  std::vector<CallbackRef> callbacks;
  // Fraction of the samples, taken from the end before shuffling, held out for validation.
  double validation_split = 0.0;
  ValidationData validation_data;  // used instead of validation_split when given
  bool shuffle = true;
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 1;
};

struct SummaryOptions {
  bool expand_nested = false;   // rows for the layers inside nested models
  bool show_trainable = false;  // a "Trainable" column
};

struct GraphvizOptions {
  bool show_shapes = true;
  bool show_layer_names = true;
  bool expand_nested = false;  // draw nested models' layers in a cluster
  std::string rankdir = "TB";  // Graphviz direction: "TB" top to bottom, "LR" left to right
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
  // A nested model takes its inputs' masks and passes on the masks its layers give its outputs.
  std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& masks, bool training) override;
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;

  void compile(CompileOptions options);
  bool compiled() const { return compiled_; }
  // The single-array forms are for one input and one output; the list forms take one array per
  // input and per output, in the order of inputs() and outputs().
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  History fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, FitOptions options = {});
  Logs evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  Logs evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});
  std::vector<Tensor> predict(const std::vector<Tensor>& x, PredictOptions options = {});
  // One optimisation step on exactly this batch; returns its loss and metrics.
  Logs train_on_batch(const Tensor& x, const Tensor& y);
  Logs train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y);

  // How logs and per-output options name the outputs: the producing layers' names.
  std::vector<std::string> output_names() const;

  // Keras' summary table: layer (type), output shape, param count, "Connected to" for graphs,
  // totals.
  std::string summary_string(SummaryOptions options = {}) const;
  void summary(std::ostream& out = std::cout, SummaryOptions options = {}) const {
    out << summary_string(options);
  }
  // A Graphviz description of the graph with shapes (what keras.utils.plot_model draws), so
  // users can render it with `dot -Tpng` without Strata depending on Graphviz.
  std::string to_dot(GraphvizOptions options = {}) const;

  // Every layer call of the model's graph, inputs first, each after the calls it consumes
  // (empty for a Sequential without Input(...)).
  virtual std::vector<std::shared_ptr<GraphNode>> graph_nodes() const;

  // Deep copies of every weight, in weights() order.
  std::vector<Tensor> get_weights() const;
  // Copies values in, checking count and shapes (message names the layer and weight).
  void set_weights(const std::vector<Tensor>& values);

  const OptimizerPtr& optimizer() const { return optimizer_; }
  // The first output's loss; losses() has one per output (null where an output has none).
  const LossPtr& loss() const;
  const std::vector<LossPtr>& losses() const { return losses_; }
  // What compile() was given, for saving the compile state (strata/saving/training_config.hpp):
  // one loss spec per output in output_names() order (empty where an output has no loss), one
  // loss weight per output, and the `metrics` and `output_metrics` options as passed.
  const std::vector<LossSpec>& loss_specs() const { return loss_specs_; }
  const std::vector<double>& loss_weights() const { return loss_weights_; }
  const std::vector<MetricSpec>& compiled_metrics() const { return compiled_metrics_; }
  const std::map<std::string, std::vector<MetricSpec>>& compiled_output_metrics() const {
    return compiled_output_metrics_;
  }

 protected:
  // For subclasses that define their own structure (Sequential).
  Model(std::string class_name, std::string name);
  // Runs the model on one tensor per input (and their masks; undefined or empty = none), keeping
  // the outputs' masks for compute_mask.
  std::vector<Tensor> call_all(const std::vector<Tensor>& xs, bool training) {
    return call_all(xs, {}, training);
  }
  virtual std::vector<Tensor> call_all(const std::vector<Tensor>& xs,
                                       const std::vector<Tensor>& masks, bool training);
  // The masks of the outputs of the latest call (a model nested in another passes them on).
  std::vector<Tensor> last_output_masks_;
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& shape) const override;

 private:
  std::vector<Tensor> weights_of_layers() const;
  std::vector<Shape> output_shapes() const;
  void require_compiled(const char* who) const;
  // Checks the arrays of a fit/evaluate/train_on_batch call: counts, sample counts, values.
  void check_data(const std::string& who, const std::vector<Tensor>& x,
                  const std::vector<Tensor>& y) const;
  void check_inputs(const std::string& who, const std::vector<Tensor>& x) const;
  // The dtype of input i's Input(...) layer; float32 for a model without symbolic inputs.
  DType input_dtype(size_t i) const;
  void resolve_metrics(const std::vector<Tensor>& y);
  // One optimisation step; updates the metrics and returns the total loss and each output's.
  std::vector<double> train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y);
  std::vector<double> batch_losses(const std::vector<Tensor>& y, const std::vector<Tensor>& pred,
                                   Tensor* total);
  Logs test_loop(const std::vector<Tensor>& x, const std::vector<Tensor>& y, int64_t batch_size);
  // Keras' names: "loss", then per output "<output>_loss" (several outputs only), then metrics.
  Logs collect_logs(const std::vector<double>& loss_means) const;

  std::unique_ptr<Graph> graph_;  // set for Functional models
  bool compiled_ = false;
  OptimizerPtr optimizer_;
  std::vector<std::string> output_names_;
  std::vector<LossPtr> losses_;
  std::vector<double> loss_weights_;
  std::vector<LossSpec> loss_specs_;
  std::vector<MetricSpec> compiled_metrics_;
  std::map<std::string, std::vector<MetricSpec>> compiled_output_metrics_;
  std::vector<std::vector<MetricSpec>> metric_specs_;
  std::vector<std::vector<MetricPtr>> metrics_;
  bool metrics_resolved_ = false;
};

}  // namespace strata
