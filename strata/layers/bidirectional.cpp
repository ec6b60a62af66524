#include "strata/layers/bidirectional.hpp"

#include <algorithm>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/serialization/config_reader.hpp"
#include "strata/serialization/layer_registry.hpp"

namespace strata {

using nlohmann::json;

namespace {

constexpr const char* kMergeModes[] = {"concat", "sum", "mul", "ave", "none"};

std::string without_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

std::shared_ptr<Recurrent> as_recurrent(const LayerPtr& layer, const std::string& who,
                                        const std::string& role) {
  if (!layer) throw ValueError(who + ": needs " + role + ", got none");
  auto r = std::dynamic_pointer_cast<Recurrent>(layer);
  if (!r)
    throw ValueError(who + ": " + role +
                     " must be a recurrent layer (SimpleRNN, LSTM or GRU), got " + layer->label());
  return r;
}

// A fresh layer from `layer`'s config under `name`: how Keras makes the two directions (the
// wrapped layer's weights are not shared).
std::shared_ptr<Recurrent> remade(const Recurrent& layer, const std::string& name, bool flip) {
  json c = layer_to_config(layer);
  c["config"]["name"] = name;
  if (flip) c["config"]["go_backwards"] = !layer.options().go_backwards;
  return std::dynamic_pointer_cast<Recurrent>(layer_from_config(c));
}

// y (N, T, ...) with the time axis reversed. A gather of rows along T keeps it differentiable.
Tensor reverse_time(const Tensor& y) {
  const int64_t n = y.dim(0), t = y.dim(1), rest = y.numel() / std::max<int64_t>(n * t, 1);
  std::vector<int> perm(static_cast<size_t>(y.rank()));
  for (int i = 0; i < y.rank(); ++i) perm[static_cast<size_t>(i)] = i;
  std::swap(perm[0], perm[1]);
  std::vector<int64_t> steps(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) steps[static_cast<size_t>(i)] = t - 1 - i;
  const Tensor rows = ops::reshape(ops::transpose(y, perm), Shape{t, n * rest});
  const Tensor flipped =
      ops::embedding_lookup(rows, Tensor::from_vector(Shape{t}, steps, y.backend()));
  Shape time_major = y.shape();
  time_major[0] = t;
  time_major[1] = n;
  return ops::transpose(ops::reshape(flipped, time_major), perm);
}

}  // namespace

Bidirectional::Bidirectional(LayerRef layer, BidirectionalOptions o)
    : Layer("Bidirectional", o.name), merge_mode_(o.merge_mode) {
  const auto given = as_recurrent(layer.get(), label(), "a layer to wrap");
  if (std::find(std::begin(kMergeModes), std::end(kMergeModes), merge_mode_) ==
      std::end(kMergeModes))
    throw ValueError(label() + ": merge_mode must be one of concat, sum, mul, ave or none, got '" +
                     merge_mode_ + "'");
  layer_name_ = given->name();
  forward_ = remade(*given, "forward_" + without_prefix(given->name(), "forward_"), false);
  if (o.backward_layer) {
    const auto back = as_recurrent(o.backward_layer, label(), "backward_layer");
    backward_ = remade(*back, "backward_" + without_prefix(back->name(), "backward_"), false);
    backward_given_ = true;
  } else {
    backward_ = remade(*given, "backward_" + without_prefix(given->name(), "backward_"), true);
  }
  const RecurrentOptions& f = forward_->options();
  const RecurrentOptions& b = backward_->options();
  if (f.go_backwards == b.go_backwards)
    throw ValueError(label() +
                     ": the forward and backward layers need different go_backwards, got " +
                     (f.go_backwards ? "true" : "false") + " for both (" + forward_->label() +
                     ", " + backward_->label() + ")");
  auto same = [&](const char* what, bool fv, bool bv) {
    if (fv != bv)
      throw ValueError(label() + ": the forward and backward layers need the same " + what +
                       ", got " + (fv ? "true" : "false") + " for " + forward_->label() + " and " +
                       (bv ? "true" : "false") + " for " + backward_->label());
  };
  same("return_sequences", f.return_sequences, b.return_sequences);
  same("return_state", f.return_state, b.return_state);
  same("stateful", f.stateful, b.stateful);
  // Keras forces zero_output_for_mask on both directions so that masked steps merge zeros, not
  // each direction's repeated last output.
  forward_->zero_output_for_mask = f.return_sequences;
  backward_->zero_output_for_mask = b.return_sequences;
  if (merge_mode_ != "concat" && merge_mode_ != "none" && f.units != b.units)
    throw ValueError(label() + ": merge_mode '" + merge_mode_ + "' needs equal units, got " +
                     std::to_string(f.units) + " for " + forward_->label() + " and " +
                     std::to_string(b.units) + " for " + backward_->label());
}

int Bidirectional::num_outputs() const {
  const int merged = merge_mode_ == "none" ? 2 : 1;
  if (!forward_->options().return_state) return merged;
  return merged + forward_->num_states() + backward_->num_states();
}

void Bidirectional::reset_states() {
  forward_->reset_states();
  backward_->reset_states();
}

void Bidirectional::set_trainable(bool t) {
  Layer::set_trainable(t);
  forward_->set_trainable(t);
  backward_->set_trainable(t);
}

std::vector<Tensor> Bidirectional::weights() const {
  auto out = trainable_weights();
  for (auto& w : non_trainable_weights()) out.push_back(w);
  return out;
}

std::vector<Tensor> Bidirectional::trainable_weights() const {
  if (!trainable()) return {};
  auto out = forward_->trainable_weights();
  for (auto& w : backward_->trainable_weights()) out.push_back(w);
  return out;
}

std::vector<Tensor> Bidirectional::non_trainable_weights() const {
  if (!trainable()) {
    auto out = forward_->weights();
    for (auto& w : backward_->weights()) out.push_back(w);
    return out;
  }
  auto out = forward_->non_trainable_weights();
  for (auto& w : backward_->non_trainable_weights()) out.push_back(w);
  return out;
}

int64_t Bidirectional::count_params() const {
  return forward_->count_params() + backward_->count_params();
}

std::vector<Shape> Bidirectional::output_shapes(const Shape& seq) const {
  std::vector<Shape> f, b;
  try {
    f = forward_->build_for({seq});
    b = backward_->build_for({seq});
  } catch (const ValueError& e) {
    throw ValueError(label() + ": " + e.what());
  }
  Shape y = f[0];
  std::vector<Shape> out;
  if (merge_mode_ == "concat") {
    y[y.rank() - 1] = f[0][f[0].rank() - 1] + b[0][b[0].rank() - 1];
    out.push_back(y);
  } else if (merge_mode_ == "none") {
    out = {f[0], b[0]};
  } else {
    out.push_back(y);
  }
  out.insert(out.end(), f.begin() + 1, f.end());
  out.insert(out.end(), b.begin() + 1, b.end());
  return out;
}

Shape Bidirectional::compute_output_shape(const Shape& in) const {
  if (in.rank() != 3)
    throw ValueError(label() + ": expects input of rank 3 (batch, time, features), got " +
                     in.str() + " (wrapping " + forward_->label() + ")");
  Shape y = forward_->compute_output_shape(in);
  if (merge_mode_ == "concat") {
    const Shape b = backward_->compute_output_shape(in);
    y[y.rank() - 1] += b[b.rank() - 1];
  }
  return y;
}

void Bidirectional::build(const Shape& input_shape) {
  if (built()) {
    check_input(input_shape);
    return;
  }
  Shape s = input_shape;
  if (s.rank() > 0) s[0] = -1;
  compute_output_shape(s);  // names this layer for a wrong rank
  try {
    forward_->build(s);
    backward_->build(s);
  } catch (const ValueError& e) {
    throw ValueError(label() + ": " + e.what());
  }
  mark_built(s);
}

void Bidirectional::check_input(const Shape& shape) const {
  // Built from the first call's shape, whose time dimension binds no later call (Keras' RNN
  // input spec leaves it None), so only the rank and the features are checked.
  const int64_t features = input_shape()[2];
  if (shape.rank() != 3 || shape[2] != features)
    throw ValueError(label() + ": expected input of shape (batch, timesteps, " +
                     std::to_string(features) + "), got " + shape.str());
}

std::vector<Shape> Bidirectional::build_for(const std::vector<Shape>& inputs) {
  const size_t nf = static_cast<size_t>(forward_->num_states());
  const size_t nb = static_cast<size_t>(backward_->num_states());
  if (inputs.empty() || (inputs.size() != 1 && inputs.size() != 1 + nf + nb))
    throw ValueError(label() + " takes the sequence and optionally " + std::to_string(nf + nb) +
                     " initial states (" + std::to_string(nf) + " forward, then " +
                     std::to_string(nb) + " backward), got " + std::to_string(inputs.size()) +
                     " inputs");
  build(inputs[0]);
  if (inputs.size() > 1) {
    // The directions check their own initial states' shapes.
    std::vector<Shape> fi{inputs[0]}, bi{inputs[0]};
    fi.insert(fi.end(), inputs.begin() + 1, inputs.begin() + 1 + static_cast<long>(nf));
    bi.insert(bi.end(), inputs.begin() + 1 + static_cast<long>(nf), inputs.end());
    try {
      forward_->build_for(fi);
      backward_->build_for(bi);
    } catch (const ValueError& e) {
      throw ValueError(label() + ": " + e.what());
    }
  }
  Shape s = inputs[0];
  s[0] = -1;
  return output_shapes(s);
}

std::vector<Tensor> Bidirectional::run(const std::vector<Tensor>& inputs, const Tensor& mask,
                                       bool training) {
  if (inputs.empty() || !inputs[0].defined())
    throw ValueError(label() + ": called without a sequence");
  const Tensor& x = inputs[0];
  if (!built())
    build(x.shape());
  else
    check_input(x.shape());
  const size_t nf = static_cast<size_t>(forward_->num_states());
  const size_t nb = static_cast<size_t>(backward_->num_states());
  if (inputs.size() != 1 && inputs.size() != 1 + nf + nb)
    throw ValueError(label() + " takes the sequence and optionally " + std::to_string(nf + nb) +
                     " initial states (" + std::to_string(nf) + " forward, then " +
                     std::to_string(nb) + " backward), got " + std::to_string(inputs.size()) +
                     " inputs");
  if (mask.defined()) masks::check(label(), mask, x);
  std::vector<Tensor> fs, bs;
  if (inputs.size() > 1) {
    fs.assign(inputs.begin() + 1, inputs.begin() + 1 + static_cast<long>(nf));
    bs.assign(inputs.begin() + 1 + static_cast<long>(nf), inputs.end());
  }
  const auto f = forward_->run(x, mask, fs, training);
  const auto b = backward_->run(x, mask, bs, training);
  Tensor y = f.at(0), y_rev = b.at(0);
  if (forward_->options().return_sequences) y_rev = reverse_time(y_rev);
  std::vector<Tensor> out;
  if (merge_mode_ == "concat")
    out.push_back(ops::concat({y, y_rev}, -1));
  else if (merge_mode_ == "sum")
    out.push_back(ops::add(y, y_rev));
  else if (merge_mode_ == "mul")
    out.push_back(ops::mul(y, y_rev));
  else if (merge_mode_ == "ave")
    out.push_back(ops::mul(ops::add(y, y_rev), 0.5f));
  else
    out = {y, y_rev};
  if (forward_->options().return_state) {
    out.insert(out.end(), f.begin() + 1, f.end());
    out.insert(out.end(), b.begin() + 1, b.end());
  }
  return out;
}

Tensor Bidirectional::call(const Tensor& x, bool training) {
  return run({x}, Tensor(), training).at(0);
}

std::vector<Tensor> Bidirectional::call_on(const std::vector<Tensor>& inputs, bool training) {
  return run(inputs, Tensor(), training);
}

std::vector<Tensor> Bidirectional::call_masked(const std::vector<Tensor>& inputs,
                                               const std::vector<Tensor>& ms, bool training) {
  return run(inputs, ms.empty() ? Tensor() : ms[0], training);
}

std::vector<Tensor> Bidirectional::compute_mask(const std::vector<Tensor>& /*inputs*/,
                                                const std::vector<Tensor>& ms) const {
  const Tensor mask = forward_->options().return_sequences && !ms.empty() ? ms[0] : Tensor();
  std::vector<Tensor> out(static_cast<size_t>(num_outputs()));
  out[0] = mask;
  if (merge_mode_ == "none") out[1] = mask;
  return out;
}

json Bidirectional::get_config() const {
  json c = Layer::get_config();
  json inner = layer_to_config(*forward_);
  inner["config"]["name"] = layer_name_;
  c["layer"] = std::move(inner);
  c["merge_mode"] = merge_mode_ == "none" ? json(nullptr) : json(merge_mode_);
  if (backward_given_) c["backward_layer"] = layer_to_config(*backward_);
  return c;
}

std::shared_ptr<Bidirectional> Bidirectional::from_config(const json& config) {
  ConfigReader r(config, "Bidirectional");
  const auto object = [&](const char* key) {
    const json v = r.get<json>(key);
    if (!v.is_object() || !v.contains("class_name"))
      r.fail(std::string("'") + key +
             "' must be a layer object {\"class_name\": ..., \"config\": ...}, got " + v.dump());
    return v;
  };
  BidirectionalOptions o;
  o.name = r.name();
  // Keras writes merge_mode None as null.
  if (r.has("merge_mode")) o.merge_mode = r.get_or<std::string>("merge_mode", "none");
  if (r.optional<json>("backward_layer"))
    o.backward_layer = layer_from_config(object("backward_layer"));
  return std::make_shared<Bidirectional>(layer_from_config(object("layer")), std::move(o));
}

}  // namespace strata
