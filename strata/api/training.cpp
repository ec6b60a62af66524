// Model's training and inference loops: compile, fit, evaluate, predict and train_on_batch, for
// any number of inputs and outputs (the single-array forms wrap the list forms).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "strata/api/batching.hpp"
#include "strata/api/data_checks.hpp"
#include "strata/api/model.hpp"
#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/callbacks/progbar_logger.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/layers/input_layer.hpp"

namespace strata {

namespace {

std::vector<Tensor> rows_of(const std::vector<Tensor>& ts, int64_t b, int64_t e) {
  std::vector<Tensor> out;
  for (const auto& t : ts) out.push_back(t.defined() ? t.slice_rows(b, e) : Tensor());
  return out;
}

std::vector<Tensor> take_all(const std::vector<Tensor>& ts, const std::vector<int64_t>& order,
                             int64_t b, int64_t e) {
  std::vector<Tensor> out;
  for (const auto& t : ts) out.push_back(t.defined() ? take_rows(t, order, b, e) : Tensor());
  return out;
}

}  // namespace

std::vector<std::string> Model::output_names() const {
  if (graph_) {
    std::vector<std::string> names;
    for (const auto& t : graph_->outputs()) names.push_back(t.name());
    return names;
  }
  // A Sequential's one output is named after its last layer, as in Keras.
  const auto ls = layers();
  return {ls.empty() ? name() : ls.back()->name()};
}

std::vector<Shape> Model::output_shapes() const {
  if (!graph_) return {output_shape()};
  std::vector<Shape> out;
  for (const auto& t : graph_->outputs()) out.push_back(t.shape());
  return out;
}

const LossPtr& Model::loss() const {
  static const LossPtr none;
  return losses_.empty() ? none : losses_[0];
}

void Model::compile(CompileOptions o) {
  auto optimizer = o.optimizer.resolve();
  auto names = output_names();
  const size_t n = names.size();
  if (o.loss.empty()) LossSpec().resolve();  // throws "compile: no loss given"
  std::vector<LossPtr> losses(n);
  auto specs = o.loss.resolve(names, "loss", LossSpec());
  for (size_t i = 0; i < n; ++i)
    if (!specs[i].empty()) losses[i] = specs[i].resolve();
  if (std::all_of(losses.begin(), losses.end(), [](const LossPtr& l) { return !l; }))
    throw ValueError("compile: no loss given for any output of model '" + name() + "'");

  std::vector<double> weights =
      o.loss_weights.empty() ? std::vector<double>(n, 1.0)
                             : o.loss_weights.resolve(names, "loss_weights", 1.0);
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(weights[i]))
      throw ValueError("compile: loss_weights for output '" + names[i] + "' is not finite");

  std::vector<std::vector<MetricSpec>> metric_specs(n, o.metrics);
  for (const auto& spec : o.metrics)
    if (n > 1 && spec.identifier().empty())
      throw ValueError("compile: a metric object in `metrics` would be shared by the " +
                       std::to_string(n) + " outputs; give it for one output in output_metrics");
  PerOutput<std::vector<MetricSpec>> extra(o.output_metrics);
  auto per_output = extra.resolve(names, "output_metrics", {});
  for (size_t i = 0; i < n; ++i)
    for (const auto& spec : per_output[i]) metric_specs[i].push_back(spec);
  // Unknown names fail here rather than at the first fit; "accuracy" picks its variant from the
  // real label and output shapes later.
  for (size_t i = 0; i < n; ++i)
    for (const auto& spec : metric_specs[i]) spec.resolve(losses[i].get(), Shape{-1, 1}, Shape{-1, 1});

  optimizer_ = std::move(optimizer);
  output_names_ = std::move(names);
  losses_ = std::move(losses);
  loss_weights_ = std::move(weights);
  loss_specs_ = std::move(specs);
  compiled_metrics_ = o.metrics;
  compiled_output_metrics_ = o.output_metrics;
  metric_specs_ = std::move(metric_specs);
  metrics_.clear();
  metrics_resolved_ = false;
  compiled_ = true;
}

void Model::require_compiled(const char* who) const {
  if (!compiled())
    throw ValueError(std::string(who) + ": model '" + name() +
                     "' must be compiled first: call compile({.optimizer = ..., .loss = ...})");
}

DType Model::input_dtype(size_t i) const {
  // A model built from Input(...) tensors knows each input's dtype; one without (a Sequential
  // built from a shape) takes float32.
  std::vector<SymbolicTensor> ins;
  try {
    ins = inputs();
  } catch (const ValueError&) {
    return DType::float32;
  }
  if (i < ins.size())
    if (auto in = std::dynamic_pointer_cast<InputLayer>(ins[i].layer())) return in->dtype();
  return DType::float32;
}

void Model::check_inputs(const std::string& who, const std::vector<Tensor>& x) const {
  const size_t n_in = graph_ ? graph_->inputs().size() : 1;
  if (x.size() != n_in)
    throw ValueError(who + ": model '" + name() + "' has " + std::to_string(n_in) + " input" +
                     (n_in == 1 ? "" : "s") + ", got " + std::to_string(x.size()) + " arrays");
  for (size_t i = 0; i < x.size(); ++i) {
    const std::string what = n_in == 1 ? who : who + " (input " + std::to_string(i) + ")";
    check_x(what, x[i], input_dtype(i));
    if (x[i].dim(0) != x[0].dim(0))
      throw ValueError(who + ": all inputs must have the same number of samples; input 0 has " +
                       std::to_string(x[0].dim(0)) + ", input " + std::to_string(i) + " has " +
                       std::to_string(x[i].dim(0)));
  }
}

void Model::check_data(const std::string& who, const std::vector<Tensor>& x,
                       const std::vector<Tensor>& y) const {
  check_inputs(who, x);
  const size_t n_out = output_names_.size();
  if (y.size() != n_out)
    throw ValueError(who + ": model '" + name() + "' has " + std::to_string(n_out) + " output" +
                     (n_out == 1 ? "" : "s") + ", got " + std::to_string(y.size()) + " target arrays");
  const auto shapes = output_shapes();
  for (size_t i = 0; i < n_out; ++i) {
    const std::string what = n_out == 1 ? who : who + " (output '" + output_names_[i] + "')";
    if (!y[i].defined()) {
      if (losses_[i] || !metric_specs_[i].empty())
        throw ValueError(what + ": y is undefined, but the output has a loss or metrics");
      continue;
    }
    check_xy(what, x[0], y[i], input_dtype(0));
    // Checked once for the whole array so the message can name the sample; the loss itself
    // would only see one batch.
    if (losses_[i] && losses_[i]->name() == "sparse_categorical_crossentropy")
      check_sparse_labels(what, y[i], shapes[i].dim(-1));
  }
}

void Model::resolve_metrics(const std::vector<Tensor>& y) {
  // "accuracy" depends on the label and output shapes, so names resolve on first use.
  if (metrics_resolved_) return;
  const auto shapes = output_shapes();
  metrics_.assign(metric_specs_.size(), {});
  for (size_t i = 0; i < metric_specs_.size(); ++i) {
    if (metric_specs_[i].empty()) continue;
    Shape y_true = y[i].shape();
    y_true[0] = -1;
    for (const auto& spec : metric_specs_[i])
      metrics_[i].push_back(spec.resolve(losses_[i].get(), y_true, shapes[i]));
  }
  metrics_resolved_ = true;
}

Logs Model::collect_logs(const std::vector<double>& loss_means) const {
  Logs logs;
  logs.set("loss", loss_means[0]);
  const bool several = output_names_.size() > 1;
  if (several)
    for (size_t i = 0; i < output_names_.size(); ++i)
      if (losses_[i]) logs.set(output_names_[i] + "_loss", loss_means[i + 1]);
  for (size_t i = 0; i < metrics_.size(); ++i)
    for (const auto& m : metrics_[i])
      logs.set(several ? output_names_[i] + "_" + m->name() : m->name(), m->result());
  return logs;
}

std::vector<double> Model::batch_losses(const std::vector<Tensor>& y,
                                        const std::vector<Tensor>& pred, Tensor* total) {
  std::vector<double> values(1 + pred.size(), 0.0);
  Tensor sum;
  for (size_t i = 0; i < pred.size(); ++i) {
    if (!losses_[i]) continue;
    Tensor l = (*losses_[i])(y[i], pred[i]);
    values[i + 1] = l.item();
    Tensor weighted = loss_weights_[i] == 1.0 ? l : ops::mul(l, float(loss_weights_[i]));
    sum = sum.defined() ? ops::add(sum, weighted) : weighted;
  }
  values[0] = sum.item();
  if (total) *total = sum;
  return values;
}

std::vector<double> Model::train_step(const std::vector<Tensor>& x, const std::vector<Tensor>& y) {
  auto params = trainable_weights();
  for (auto& p : params) p.zero_grad();
  std::vector<Tensor> pred = (*this)(x, true);
  Tensor total;
  auto values = batch_losses(y, pred, &total);
  if (total.requires_grad()) {
    total.backward();
    optimizer_->apply_gradients(params);
  }
  NoGrad no_record;
  for (size_t i = 0; i < metrics_.size(); ++i) {
    if (metrics_[i].empty()) continue;
    Tensor p = pred[i].detach();
    for (const auto& m : metrics_[i]) m->update_state(y[i], p);
  }
  return values;
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y) {
  return train_on_batch(std::vector<Tensor>{x}, std::vector<Tensor>{y});
}

Logs Model::train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y) {
  require_compiled("train_on_batch");
  check_inputs("train_on_batch", x);
  if (!built()) build(x[0].shape());
  check_data("train_on_batch", x, y);
  resolve_metrics(y);
  for (auto& ms : metrics_)
    for (const auto& m : ms) m->reset_state();
  return collect_logs(train_step(x, y));
}

History Model::fit(const Tensor& x, const Tensor& y, FitOptions o) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(o));
}

History Model::fit(const std::vector<Tensor>& x_all, const std::vector<Tensor>& y_all,
                   FitOptions o) {
  require_compiled("fit");
  check_inputs("fit", x_all);
  if (o.batch_size <= 0)
    throw ValueError("fit: batch_size must be positive, got " + std::to_string(o.batch_size));
  if (o.epochs < 0) throw ValueError("fit: epochs must be >= 0, got " + std::to_string(o.epochs));
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw ValueError("fit: validation_split must be in [0, 1), got " +
                     std::to_string(o.validation_split));
  if (!built()) build(x_all[0].shape());
  check_data("fit", x_all, y_all);

  // Keras holds out the *last* samples, before any shuffling.
  std::vector<Tensor> x = x_all, y = y_all, x_val, y_val;
  if (!o.validation_data.empty()) {
    check_data("fit (validation_data)", o.validation_data.x, o.validation_data.y);
    x_val = o.validation_data.x;
    y_val = o.validation_data.y;
  } else if (o.validation_split > 0) {
    const int64_t n = x_all[0].dim(0);
    const int64_t n_val = static_cast<int64_t>(double(n) * o.validation_split);
    if (n_val == 0 || n_val == n)
      throw ValueError("fit: validation_split " + std::to_string(o.validation_split) + " of " +
                       std::to_string(n) + " samples leaves an empty training or validation set");
    x = rows_of(x_all, 0, n - n_val);
    y = rows_of(y_all, 0, n - n_val);
    x_val = rows_of(x_all, n - n_val, n);
    y_val = rows_of(y_all, n - n_val, n);
  }
  resolve_metrics(y);

  const int64_t n = x[0].dim(0);
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
    for (auto& ms : metrics_)
      for (const auto& m : ms) m->reset_state();
    std::vector<double> sums(1 + output_names_.size(), 0.0);
    int64_t seen = 0;
    for (int64_t step = 0; step < steps; ++step) {
      for (auto& c : callbacks) c->on_train_batch_begin(step);
      const int64_t b = step * o.batch_size, e = std::min(n, b + o.batch_size);
      const auto values = train_step(take_all(x, order, b, e), take_all(y, order, b, e));
      // Keras' loss trackers weigh each batch by its size.
      seen += e - b;
      std::vector<double> means(sums.size());
      for (size_t i = 0; i < sums.size(); ++i) {
        sums[i] += values[i] * double(e - b);
        means[i] = sums[i] / double(seen);
      }
      logs = collect_logs(means);
      for (auto& c : callbacks) c->on_train_batch_end(step, logs);
    }
    if (!x_val.empty()) {
      Logs val = test_loop(x_val, y_val, o.batch_size);
      for (const auto& [k, v] : val.items()) logs.set("val_" + k, v);
    }
    for (auto& c : callbacks) c->on_epoch_end(epoch, logs);
  }
  for (auto& c : callbacks) c->on_train_end(logs);
  return *history;
}

Logs Model::test_loop(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                      int64_t batch_size) {
  NoGrad no_record;
  resolve_metrics(y);
  for (auto& ms : metrics_)
    for (const auto& m : ms) m->reset_state();
  const int64_t n = x[0].dim(0);
  std::vector<double> sums(1 + output_names_.size(), 0.0);
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    auto xb = rows_of(x, b, e), yb = rows_of(y, b, e);
    auto pred = (*this)(xb, false);
    const auto values = batch_losses(yb, pred, nullptr);
    for (size_t i = 0; i < sums.size(); ++i) sums[i] += values[i] * double(e - b);
    for (size_t i = 0; i < metrics_.size(); ++i)
      for (const auto& m : metrics_[i]) m->update_state(yb[i], pred[i]);
  }
  for (auto& s : sums) s /= double(n);
  return collect_logs(sums);
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions o) {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, o);
}

Logs Model::evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                     EvaluateOptions o) {
  require_compiled("evaluate");
  check_inputs("evaluate", x);
  if (o.batch_size <= 0)
    throw ValueError("evaluate: batch_size must be positive, got " + std::to_string(o.batch_size));
  if (!built()) build(x[0].shape());
  check_data("evaluate", x, y);
  const auto start = std::chrono::steady_clock::now();
  Logs logs = test_loop(x, y, o.batch_size);
  if (o.verbose) {
    const int64_t steps = (x[0].dim(0) + o.batch_size - 1) / o.batch_size;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << steps << "/" << steps << " - " << format_duration(s) << " - "
              << format_duration(s / double(steps)) << "/step" << format_logs(logs) << "\n";
  }
  return logs;
}

Tensor Model::predict(const Tensor& x, PredictOptions o) {
  auto out = predict(std::vector<Tensor>{x}, o);
  if (out.size() != 1)
    throw ValueError("predict: model '" + name() + "' has " + std::to_string(out.size()) +
                     " outputs; pass a list of inputs to get them all");
  return out[0];
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& x, PredictOptions o) {
  check_inputs("predict", x);
  if (o.batch_size <= 0)
    throw ValueError("predict: batch_size must be positive, got " + std::to_string(o.batch_size));
  NoGrad no_record;
  if (!built()) build(x[0].shape());
  const int64_t n = x[0].dim(0);
  std::vector<Tensor> out;
  for (int64_t b = 0; b < n; b += o.batch_size) {
    const int64_t e = std::min(n, b + o.batch_size);
    auto pred = (*this)(rows_of(x, b, e), false);
    if (out.empty()) {
      for (const auto& p : pred) {
        Shape s = p.shape();
        s[0] = n;
        out.push_back(Tensor::empty(s, p.dtype(), p.backend()));
      }
    }
    for (size_t i = 0; i < pred.size(); ++i) put_rows(out[i], pred[i], b);
  }
  return out;
}

}  // namespace strata
