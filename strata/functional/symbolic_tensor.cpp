#include "strata/functional/symbolic_tensor.hpp"

#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

SymbolicTensor::SymbolicTensor(std::shared_ptr<GraphNode> node, int index)
    : node_(std::move(node)), index_(index) {}

const Shape& SymbolicTensor::shape() const {
  if (!node_) throw ValueError("shape() of an undefined symbolic tensor");
  return node_->output_shapes[static_cast<size_t>(index_)];
}

const std::shared_ptr<Layer>& SymbolicTensor::layer() const {
  if (!node_) throw ValueError("layer() of an undefined symbolic tensor");
  return node_->layer;
}

std::string SymbolicTensor::name() const {
  if (!node_) return "<undefined>";
  std::string n = node_->layer->name();
  if (node_->output_shapes.size() > 1) n += ":" + std::to_string(index_);
  return n;
}

std::vector<SymbolicTensor> call_symbolic(const std::shared_ptr<Layer>& layer,
                                          const std::vector<SymbolicTensor>& inputs) {
  if (!layer) throw ValueError("a null layer was called on symbolic tensors");
  std::vector<Shape> shapes;
  for (const auto& t : inputs) {
    if (!t.defined()) throw ValueError(layer->label() + ": called on an undefined symbolic tensor");
    shapes.push_back(t.shape());
  }
  auto node = std::make_shared<GraphNode>();
  node->layer = layer;
  node->inputs = inputs;
  if (inputs.empty()) {
    auto in = std::dynamic_pointer_cast<InputLayer>(layer);
    if (!in) throw ValueError(layer->label() + ": called on no inputs");
    node->output_shapes = {in->batch_shape()};
  } else {
    node->output_shapes = layer->build_for(shapes);
  }
  layer->add_inbound_node(node);
  std::vector<SymbolicTensor> out;
  for (size_t i = 0; i < node->output_shapes.size(); ++i)
    out.emplace_back(node, static_cast<int>(i));
  return out;
}

namespace {

std::shared_ptr<Layer> owned(Layer& layer) {
  auto self = layer.weak_from_this().lock();
  if (!self)
    throw ValueError(layer.label() +
                     ": a layer called on symbolic tensors must be a temporary or owned by a "
                     "std::shared_ptr (auto d = std::make_shared<" + layer.class_name() +
                     ">(...)), so the model can keep it");
  return self;
}

std::shared_ptr<Layer> moved(Layer&& layer) {
  if (!layer.weak_from_this().expired()) return layer.shared_from_this();
  return std::move(layer).move_to_shared();
}

}  // namespace

SymbolicTensor Layer::operator()(const SymbolicTensor& x) & { return call_symbolic(owned(*this), {x})[0]; }
SymbolicTensor Layer::operator()(const SymbolicTensor& x) && {
  return call_symbolic(moved(std::move(*this)), {x})[0];
}
SymbolicTensor Layer::operator()(const std::vector<SymbolicTensor>& xs) & {
  return call_symbolic(owned(*this), xs)[0];
}
SymbolicTensor Layer::operator()(const std::vector<SymbolicTensor>& xs) && {
  return call_symbolic(moved(std::move(*this)), xs)[0];
}

std::shared_ptr<Layer> Layer::move_to_shared() && {
  throw ValueError(label() + ": cannot be called as a temporary on symbolic tensors; add "
                   "STRATA_LAYER(" + class_name() + ") to the class or hold it in a std::shared_ptr");
}

std::vector<std::shared_ptr<GraphNode>> Layer::inbound_nodes() const {
  std::vector<std::shared_ptr<GraphNode>> out;
  for (const auto& w : nodes_)
    if (auto n = w.lock()) out.push_back(n);
  return out;
}

void Layer::add_inbound_node(const std::shared_ptr<GraphNode>& node) {
  std::erase_if(nodes_, [](const std::weak_ptr<GraphNode>& w) { return w.expired(); });
  nodes_.push_back(node);
}

namespace {

const std::shared_ptr<GraphNode>& only_node(const Layer& layer, const char* what,
                                            std::vector<std::shared_ptr<GraphNode>>& nodes) {
  nodes = layer.inbound_nodes();
  if (nodes.size() != 1)
    throw ValueError(layer.label() + ": " + what + " is defined only for a layer called once on "
                     "symbolic tensors; it was called " + std::to_string(nodes.size()) + " times");
  return nodes[0];
}

}  // namespace

SymbolicTensor Layer::output() const {
  std::vector<std::shared_ptr<GraphNode>> nodes;
  return SymbolicTensor(only_node(*this, "output", nodes), 0);
}

SymbolicTensor Layer::input() const {
  std::vector<std::shared_ptr<GraphNode>> nodes;
  const auto& n = only_node(*this, "input", nodes);
  if (n->inputs.empty()) return SymbolicTensor(n, 0);  // an InputLayer is its own input
  return n->inputs[0];
}

LayerRef::LayerRef(const SymbolicTensor& input) {
  if (!input.defined()) throw ValueError("an undefined symbolic tensor was given as a layer");
  auto in = std::dynamic_pointer_cast<InputLayer>(input.layer());
  if (!in || !input.node()->inputs.empty())
    throw ValueError("only Input(...) tensors can stand for a layer; got the output of " +
                     input.layer()->label());
  ptr_ = in;
}

}  // namespace strata
