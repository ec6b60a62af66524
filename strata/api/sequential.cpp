#include "strata/api/sequential.hpp"

#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"

namespace strata {

Sequential::Sequential(std::vector<LayerRef> layers, std::string name)
    : Model("Sequential", std::move(name)) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(LayerRef ref) {
  LayerPtr layer = ref.get();
  if (!layer) throw ValueError("Sequential '" + this->name() + "': add() got a null layer");
  if (auto in = std::dynamic_pointer_cast<InputLayer>(layer)) {
    if (input_ || !layers_.empty())
      throw ValueError("Sequential '" + this->name() + "': " + in->label() +
                       " must be the first layer, and only one is allowed");
    input_ = in;
    build(in->batch_shape());
    // Keep the chain of symbolic tensors alive with the model, so layers report output().
    auto nodes = in->inbound_nodes();
    chain_ = {nodes.empty() ? call_symbolic(in, {})[0] : SymbolicTensor(nodes[0], 0)};
    return;
  }
  for (const auto& l : layers_)
    if (l == layer)
      throw ValueError("Sequential '" + this->name() + "': " + layer->label() +
                       " is already in this model");
  if (built_) layer->build(output_shape());  // throws, naming the layer, on a shape mismatch
  layers_.push_back(layer);
  if (input_) chain_.push_back(call_symbolic(layer, {chain_.back()})[0]);
}

void Sequential::pop() {
  if (layers_.empty())
    throw ValueError("Sequential '" + name() + "': pop() on a model with no layers");
  layers_.pop_back();
  if (input_) chain_.pop_back();
}

void Sequential::build(const Shape& input_shape) {
  Shape s = input_shape;
  if (s.rank() > 0) s[0] = -1;
  if (input_ && s != input_->batch_shape())
    throw ValueError("Sequential '" + name() + "': expected input of shape " +
                     input_->batch_shape().str() + ", got " + input_shape.str());
  Shape cur = s;
  for (const auto& l : layers_) {
    l->build(cur);
    cur = l->compute_output_shape(cur);
  }
  input_shape_ = s;
  built_ = true;
}

Shape Sequential::input_shape() const {
  if (!built_) throw ValueError("Sequential '" + name() + "' is not built yet: it has no input shape");
  return input_shape_;
}

Shape Sequential::output_shape() const {
  Shape cur = input_shape();
  for (const auto& l : layers_) cur = l->compute_output_shape(cur);
  return cur;
}

std::vector<Tensor> Sequential::call_all(const std::vector<Tensor>& xs,
                                         const std::vector<Tensor>& masks, bool training) {
  if (xs.size() != 1)
    throw ValueError("Sequential '" + name() + "': expects 1 input, got " +
                     std::to_string(xs.size()));
  const Tensor& x = xs[0];
  bool fits = x.rank() == input_shape_.rank();
  for (int i = 1; fits && i < x.rank(); ++i) fits = input_shape_[i] < 0 || x.dim(i) == input_shape_[i];
  if (!fits)
    throw ValueError("Sequential '" + name() + "': expected input of shape " +
                     input_shape_.str() + ", got " + x.shape().str());
  if (input_ && x.dtype() != input_->dtype())
    throw ValueError("Sequential '" + name() + "': input '" + input_->name() +
                     "' expects dtype " + dtype_name(input_->dtype()) + ", got " +
                     dtype_name(x.dtype()));
  Tensor h = x, mask = masks.empty() ? Tensor() : masks[0];
  for (const auto& l : layers_) {
    const std::vector<Tensor> in{h}, in_mask{mask};
    h = mask.defined() ? l->call_masked(in, in_mask, training).at(0) : (*l)(h, training);
    const auto out_mask = l->compute_mask(in, in_mask);
    mask = out_mask.empty() ? Tensor() : out_mask[0];
  }
  last_output_masks_ = {mask};
  return {h};
}

std::vector<SymbolicTensor> Sequential::inputs() const {
  if (!input_)
    throw ValueError("Sequential '" + name() + "' has no symbolic input: start it with Input(...)");
  return {chain_.front()};
}

std::vector<std::shared_ptr<GraphNode>> Sequential::graph_nodes() const {
  std::vector<std::shared_ptr<GraphNode>> out;
  for (const auto& t : chain_) out.push_back(t.node());
  return out;
}

std::vector<SymbolicTensor> Sequential::outputs() const {
  if (!input_)
    throw ValueError("Sequential '" + name() + "' has no symbolic output: start it with Input(...)");
  return {chain_.back()};
}

}  // namespace strata
