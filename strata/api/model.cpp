#include "strata/api/model.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include "strata/api/batching.hpp"
#include "strata/api/data_checks.hpp"
#include "strata/autodiff/node.hpp"
#include "strata/callbacks/progbar_logger.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"

namespace strata {

Model::Model(std::string class_name, std::string name) : Layer(std::move(class_name), std::move(name)) {}

Model::Model(const SymbolicTensors& inputs, const SymbolicTensors& outputs, std::string name)
    : Layer("Functional", std::move(name)),
      graph_(std::make_unique<Graph>(inputs.items(), outputs.items(), this->name())) {}

std::vector<LayerPtr> Model::layers() const { return graph_ ? graph_->layers() : std::vector<LayerPtr>{}; }

bool Model::built() const { return graph_ != nullptr; }

void Model::build(const Shape& input_shape) { check_input(input_shape); }

void Model::check_input(const Shape& input_shape) const {
  // A Functional model is built by construction; a call only has to fit its input.
  Shape want = this->input_shape();
  bool fits = input_shape.rank() == want.rank();
  for (int d = 1; fits && d < want.rank(); ++d) fits = input_shape[d] == want[d];
  if (!fits)
    throw ValueError("model '" + name() + "': expected input of shape " + want.str() + ", got " +
                     input_shape.str());
}

std::vector<SymbolicTensor> Model::inputs() const {
  if (!graph_) throw ValueError("model '" + name() + "' has no symbolic inputs");
  return graph_->inputs();
}

std::vector<SymbolicTensor> Model::outputs() const {
  if (!graph_) throw ValueError("model '" + name() + "' has no symbolic outputs");
  return graph_->outputs();
}

namespace {

const SymbolicTensor& only(const std::vector<SymbolicTensor>& ts, const std::string& model,
                           const char* what) {
  if (ts.size() != 1)
    throw ValueError("model '" + model + "' has " + std::to_string(ts.size()) + " " + what +
                     "s; use " + what + "s()");
  return ts[0];
}

}  // namespace

SymbolicTensor Model::input() const { return only(inputs(), name(), "input"); }
SymbolicTensor Model::output() const { return only(outputs(), name(), "output"); }

Shape Model::input_shape() const { return input().shape(); }
Shape Model::output_shape() const { return output().shape(); }

Shape Model::compute_output_shape(const Shape& input_shape) const {
  check_input(input_shape);
  return output_shape();
}

std::vector<Tensor> Model::call_all(const std::vector<Tensor>& xs, bool training) {
  return graph_->run(xs, training);
}

Tensor Model::call(const Tensor& x, bool training) {
  auto out = call_all({x}, training);
  if (out.size() != 1)
    throw ValueError("model '" + name() + "' has " + std::to_string(out.size()) +
                     " outputs; call it with a list of inputs to get them all");
  return out[0];
}

std::vector<Shape> Model::build_for(const std::vector<Shape>& shapes) {
  if (!graph_) return Layer::build_for(shapes);
  const auto& ins = graph_->inputs();
  if (shapes.size() != ins.size())
    throw ValueError("model '" + name() + "': expects " + std::to_string(ins.size()) +
                     " inputs, got " + std::to_string(shapes.size()));
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape& want = ins[i].shape();
    bool fits = shapes[i].rank() == want.rank();
    for (int d = 1; fits && d < want.rank(); ++d) fits = shapes[i][d] == want[d];
    if (!fits)
      throw ValueError("model '" + name() + "': input '" + ins[i].name() + "' expects shape " +
                       want.str() + ", got " + shapes[i].str());
  }
  std::vector<Shape> out;
  for (const auto& t : graph_->outputs()) out.push_back(t.shape());
  return out;
}

std::vector<Tensor> Model::call_on(const std::vector<Tensor>& xs, bool training) {
  if (!graph_) return Layer::call_on(xs, training);
  return call_all(xs, training);
}

void Model::set_trainable(bool t) {
  Layer::set_trainable(t);
  for (const auto& l : layers()) l->set_trainable(t);
}

LayerPtr Model::get_layer(int index) const {
  const auto ls = layers();
  if (index < 0 || static_cast<size_t>(index) >= ls.size())
    throw ValueError("model '" + name() + "': get_layer index " + std::to_string(index) +
                     " is out of range for " + std::to_string(ls.size()) + " layers");
  return ls[static_cast<size_t>(index)];
}

LayerPtr Model::get_layer(const std::string& wanted) const {
  std::string names;
  for (const auto& l : layers()) {
    if (l->name() == wanted) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  throw ValueError("model '" + name() + "' has no layer named '" + wanted + "'; layers: " + names);
}

std::vector<Tensor> Model::operator()(const std::vector<Tensor>& xs, bool training) {
  for (const auto& x : xs)
    if (!x.defined()) throw ValueError("model '" + name() + "': called on an undefined tensor");
  if (!built() && xs.size() == 1) build(xs[0].shape());
  return call_all(xs, training);
}

void Model::compile(CompileOptions o) {
  optimizer_ = o.optimizer.resolve();
  loss_ = o.loss.resolve();
  metric_specs_ = std::move(o.metrics);
  metrics_.clear();
  // Unknown names fail here rather than at the first fit; "accuracy" picks its variant from the
  // real label and output shapes later.
  for (const auto& spec : metric_specs_) spec.resolve(loss_.get(), Shape{-1, 1}, Shape{-1, 1});
}

void Model::require_compiled(const char* who) const {
  if (!compiled())
    throw ValueError(std::string(who) + ": model '" + name() +
                     "' must be compiled first: call compile({.optimizer = ..., .loss = ...})");
}

void Model::check_labels(const std::string& who, const Tensor& y) const {
  // Checked once for the whole array so the message can name the sample; the loss itself would
  // only see one batch.
  if (loss_->name() == "sparse_categorical_crossentropy")
    check_sparse_labels(who, y, output_shape().dim(-1));
}

void Model::resolve_metrics(const Shape& y_shape) {
  // "accuracy" depends on the label and output shapes, so names resolve on first use.
  if (metrics_.size() == metric_specs_.size()) return;
  Shape y_true = y_shape;
  y_true[0] = -1;
  for (const auto& spec : metric_specs_)
    metrics_.push_back(spec.resolve(loss_.get(), y_true, output_shape()));
}

Logs Model::collect_logs(double loss_mean, const std::string& prefix) const {
  Logs logs;
  logs.set(prefix + "loss", loss_mean);
  for (const auto& m : metrics_) logs.set(prefix + m->name(), m->result());
  return logs;
}

double Model::train_step(const Tensor& x, const Tensor& y) {
  auto params = trainable_weights();
  for (auto& p : params) p.zero_grad();
  Tensor pred = (*this)(x, true);
  Tensor loss = (*loss_)(y, pred);
  if (loss.requires_grad()) {
    loss.backward();
    optimizer_->apply_gradients(params);
  }
  NoGrad no_record;
  Tensor p = pred.detach();
  for (const auto& m : metrics_) m->update_state(y, p);
  return loss.item();
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("train_on_batch");
  check_xy("train_on_batch", x, y);
  if (!built()) build(x.shape());
  check_labels("train_on_batch", y);
  resolve_metrics(y.shape());
  for (const auto& m : metrics_) m->reset_state();
  return collect_logs(train_step(x, y), "");
}

History Model::fit(const Tensor& x_all, const Tensor& y_all, FitOptions o) {
  require_compiled("fit");
  check_xy("fit", x_all, y_all);
  if (o.batch_size <= 0)
    throw ValueError("fit: batch_size must be positive, got " + std::to_string(o.batch_size));
  if (o.epochs < 0) throw ValueError("fit: epochs must be >= 0, got " + std::to_string(o.epochs));
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw ValueError("fit: validation_split must be in [0, 1), got " +
                     std::to_string(o.validation_split));
  if (!built()) build(x_all.shape());
  check_labels("fit", y_all);

  // Keras holds out the *last* samples, before any shuffling.
  Tensor x = x_all, y = y_all, x_val, y_val;
  if (o.validation_data.x.defined()) {
    check_xy("fit (validation_data)", o.validation_data.x, o.validation_data.y);
    check_labels("fit (validation_data)", o.validation_data.y);
    x_val = o.validation_data.x;
    y_val = o.validation_data.y;
  } else if (o.validation_split > 0) {
    const int64_t n = x_all.dim(0);
    const int64_t n_val = static_cast<int64_t>(double(n) * o.validation_split);
    if (n_val == 0 || n_val == n)
      throw ValueError("fit: validation_split " + std::to_string(o.validation_split) + " of " +
                       std::to_string(n) + " samples leaves an empty training or validation set");
    x = x_all.slice_rows(0, n - n_val);
    y = y_all.slice_rows(0, n - n_val);
    x_val = x_all.slice_rows(n - n_val, n);
    y_val = y_all.slice_rows(n - n_val, n);
  }
  resolve_metrics(y.shape());

  const int64_t n = x.dim(0);
  const int64_t steps = (n + o.batch_size - 1) / o.batch_size;
  auto history = std::make_shared<History>();
  std::vector<CallbackPtr> callbacks;
  for (const auto& c : o.callbacks) {
    if (!c.get()) throw ValueError("fit: callbacks contains a null callback");
    callbacks.push_back(c.get());
  }
  if (o.verbose) callbacks.push_back(std::make_shared<ProgbarLogger>(o.verbose, std::cout));
  callbacks.push_back(history);
  for (auto& c : callbacks) {
    c->set_model(this);
    c->set_params(o.epochs, steps);
    c->on_train_begin();
  }

  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 shuffler(next_seed());
  Logs logs;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (auto& c : callbacks) c->on_epoch_begin(epoch);
    if (o.shuffle) std::shuffle(order.begin(), order.end(), shuffler);
    for (const auto& m : metrics_) m->reset_state();
    double loss_sum = 0;
    int64_t seen = 0;
    for (int64_t step = 0; step < steps; ++step) {
      for (auto& c : callbacks) c->on_train_batch_begin(step);
      const int64_t b = step * o.batch_size, e = std::min(n, b + o.batch_size);
      const double loss = train_step(take_rows(x, order, b, e), take_rows(y, order, b, e));
      // Keras' loss tracker weighs each batch by its size.
      loss_sum += loss * double(e - b);
      seen += e - b;
      logs = collect_logs(loss_sum / double(seen), "");
      for (auto& c : callbacks) c->on_train_batch_end(step, logs);
    }
    if (x_val.defined()) {
      Logs val = test_loop(x_val, y_val, o.batch_size);
      for (const auto& [k, v] : val.items()) logs.set("val_" + k, v);
    }
    for (auto& c : callbacks) c->on_epoch_end(epoch, logs);
  }
  for (auto& c : callbacks) c->on_train_end(logs);
  return *history;
}

Logs Model::test_loop(const Tensor& x, const Tensor& y, int64_t batch_size) {
  NoGrad no_record;
  resolve_metrics(y.shape());
  for (const auto& m : metrics_) m->reset_state();
  const int64_t n = x.dim(0);
  double loss_sum = 0;
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    Tensor xb = x.slice_rows(b, e), yb = y.slice_rows(b, e);
    Tensor pred = (*this)(xb, false);
    loss_sum += double((*loss_)(yb, pred).item()) * double(e - b);
    for (const auto& m : metrics_) m->update_state(yb, pred);
  }
  return collect_logs(loss_sum / double(n), "");
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
  require_compiled("evaluate");
  check_xy("evaluate", x, y);
  if (o.batch_size <= 0)
    throw ValueError("evaluate: batch_size must be positive, got " + std::to_string(o.batch_size));
  if (!built()) build(x.shape());
  check_labels("evaluate", y);
  const auto start = std::chrono::steady_clock::now();
  Logs logs = test_loop(x, y, o.batch_size);
  if (o.verbose) {
    const int64_t steps = (x.dim(0) + o.batch_size - 1) / o.batch_size;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << steps << "/" << steps << " - " << format_duration(s) << " - "
              << format_duration(s / double(steps)) << "/step" << format_logs(logs) << "\n";
  }
  return logs;
}

Tensor Model::predict(const Tensor& x, PredictOptions o) {
  check_x("predict", x);
  if (o.batch_size <= 0)
    throw ValueError("predict: batch_size must be positive, got " + std::to_string(o.batch_size));
  NoGrad no_record;
  if (!built()) build(x.shape());
  const int64_t n = x.dim(0);
  Tensor out;
  for (int64_t b = 0; b < n; b += o.batch_size) {
    const int64_t e = std::min(n, b + o.batch_size);
    Tensor pred = (*this)(x.slice_rows(b, e), false);
    if (!out.defined()) {
      Shape s = pred.shape();
      s[0] = n;
      out = Tensor::empty(s, pred.dtype(), pred.backend());
    }
    put_rows(out, pred, b);
  }
  return out;
}

int64_t Model::count_params() const {
  int64_t n = 0;
  for (const auto& l : layers()) n += l->count_params();
  return n;
}

std::vector<Tensor> Model::weights_of_layers() const {
  std::vector<Tensor> out;
  for (const auto& l : layers())
    for (auto& w : l->weights()) out.push_back(w);
  return out;
}

std::vector<Tensor> Model::weights() const {
  // Keras lists a model's weights layer by layer, not trainable-first.
  return weights_of_layers();
}

std::vector<Tensor> Model::trainable_weights() const {
  std::vector<Tensor> out;
  if (!trainable()) return out;
  for (const auto& l : layers())
    for (auto& w : l->trainable_weights()) out.push_back(w);
  return out;
}

std::vector<Tensor> Model::non_trainable_weights() const {
  if (!trainable()) return weights_of_layers();
  std::vector<Tensor> out;
  for (const auto& l : layers())
    for (auto& w : l->non_trainable_weights()) out.push_back(w);
  return out;
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& w : weights()) out.push_back(w.clone());
  return out;
}

void Model::set_weights(const std::vector<Tensor>& values) {
  // Walk layer by layer so a mismatch can name the layer and the weight.
  size_t expected = 0;
  for (const auto& l : layers()) expected += l->weights().size();
  if (values.size() != expected)
    throw ValueError("set_weights: model '" + name() + "' has " + std::to_string(expected) +
                     " weight arrays, got " + std::to_string(values.size()));
  size_t i = 0;
  for (const auto& l : layers()) {
    for (const auto& w : l->weights()) {
      const Tensor& v = values[i++];
      if (!v.defined() || v.shape() != w.shape() || v.dtype() != w.dtype()) {
        std::string wname;
        for (const auto& e : l->weight_entries())
          if (e.value.same(w)) wname = e.name;
        throw ValueError("set_weights: " + l->label() + " weight '" + wname +
                         "' expects shape " + w.shape().str() + ", got " +
                         (v.defined() ? v.shape().str() : std::string("undefined")));
      }
    }
  }
  i = 0;
  for (const auto& l : layers())
    for (auto w : l->weights()) w.copy_(values[i++]);
}

}  // namespace strata
