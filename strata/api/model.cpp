#include "strata/api/model.hpp"


#include "strata/core/error.hpp"

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

std::vector<std::shared_ptr<GraphNode>> Model::graph_nodes() const {
  return graph_ ? graph_->nodes() : std::vector<std::shared_ptr<GraphNode>>{};
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

std::vector<Tensor> Model::call_all(const std::vector<Tensor>& xs,
                                    const std::vector<Tensor>& masks, bool training) {
  return graph_->run(xs, masks, training, &last_output_masks_);
}

std::vector<Tensor> Model::call_masked(const std::vector<Tensor>& xs,
                                       const std::vector<Tensor>& masks, bool training) {
  // Models without a graph (Sequential) override call_all.
  return call_all(xs, masks, training);
}

std::vector<Tensor> Model::compute_mask(const std::vector<Tensor>&,
                                        const std::vector<Tensor>&) const {
  for (const auto& m : last_output_masks_)
    if (m.defined()) return last_output_masks_;
  return {};
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
    for (int d = 1; fits && d < want.rank(); ++d) fits = want[d] < 0 || shapes[i][d] == want[d];
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
