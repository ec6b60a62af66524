#include "strata/functional/graph.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "strata/core/error.hpp"
#include "strata/layers/input_layer.hpp"

namespace strata {

namespace {

bool is_input_node(const GraphNode& n) {
  return n.inputs.empty() && std::dynamic_pointer_cast<InputLayer>(n.layer) != nullptr;
}

}  // namespace

Graph::Graph(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
             std::string owner)
    : owner_(std::move(owner)), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  const std::string who = "model '" + owner_ + "'";
  if (inputs_.empty()) throw ValueError(who + ": needs at least one input");
  if (outputs_.empty()) throw ValueError(who + ": needs at least one output");
  std::set<const GraphNode*> input_nodes;
  for (const auto& t : inputs_) {
    if (!t.defined()) throw ValueError(who + ": an input is an undefined symbolic tensor");
    if (!is_input_node(*t.node()))
      throw ValueError(who + ": inputs must be Input(...) tensors, but one is the output of " +
                       t.layer()->label());
    if (!input_nodes.insert(t.node().get()).second)
      throw ValueError(who + ": input '" + t.name() + "' is given twice");
  }
  for (const auto& t : outputs_)
    if (!t.defined()) throw ValueError(who + ": an output is an undefined symbolic tensor");

  // Depth-first post-order from the outputs, iterative so deep graphs cannot exhaust the stack.
  // Symbolic calls only ever consume existing tensors, so the walk cannot meet a cycle.
  std::set<const GraphNode*> done;
  std::set<const GraphNode*> used_inputs;
  for (const auto& out : outputs_) {
    std::vector<std::pair<std::shared_ptr<GraphNode>, size_t>> stack{{out.node(), 0}};
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (done.count(node.get())) {
        stack.pop_back();
        continue;
      }
      if (is_input_node(*node)) {
        if (!input_nodes.count(node.get()))
          throw ValueError(who + ": output '" + out.name() + "' depends on " +
                           node->layer->label() +
                           ", which is not among the model's inputs: pass it in `inputs`");
        used_inputs.insert(node.get());
      }
      if (next < node->inputs.size()) {
        auto child = node->inputs[next++].node();
        if (!done.count(child.get())) stack.push_back({child, 0});
        continue;
      }
      done.insert(node.get());
      nodes_.push_back(node);
      stack.pop_back();
    }
  }
  for (const auto& t : inputs_)
    if (!used_inputs.count(t.node().get()))
      throw ValueError(who + ": input '" + t.name() + "' is not used to compute any output");

  // Keras runs and lists the inputs first, in the order given.
  std::stable_partition(nodes_.begin(), nodes_.end(),
                        [](const auto& n) { return is_input_node(*n); });
  std::stable_sort(nodes_.begin(), nodes_.end(), [&](const auto& a, const auto& b) {
    if (!is_input_node(*a) || !is_input_node(*b)) return false;
    auto pos = [&](const GraphNode* n) {
      for (size_t i = 0; i < inputs_.size(); ++i)
        if (inputs_[i].node().get() == n) return i;
      return inputs_.size();
    };
    return pos(a.get()) < pos(b.get());
  });

  std::map<std::string, const Layer*> names;
  for (const auto& n : nodes_) {
    const Layer* l = n->layer.get();
    auto [it, fresh] = names.emplace(l->name(), l);
    if (fresh) layers_.push_back(n->layer);
    else if (it->second != l)
      throw ValueError(who + ": two different layers are named '" + l->name() +
                       "'; layer names must be unique within a model");
  }
}

std::vector<Tensor> Graph::run(const std::vector<Tensor>& xs, bool training) const {
  return run(xs, {}, training, nullptr);
}

std::vector<Tensor> Graph::run(const std::vector<Tensor>& xs, const std::vector<Tensor>& in_masks,
                               bool training, std::vector<Tensor>* out_masks) const {
  const std::string who = "model '" + owner_ + "'";
  if (xs.size() != inputs_.size())
    throw ValueError(who + ": expects " + std::to_string(inputs_.size()) + " input" +
                     (inputs_.size() == 1 ? "" : "s") + ", got " + std::to_string(xs.size()));
  std::map<const GraphNode*, std::vector<Tensor>> values, masks;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& want = inputs_[i].shape();
    const Tensor& x = xs[i];
    bool fits = x.defined() && x.rank() == want.rank();
    for (int d = 1; fits && d < x.rank(); ++d) fits = want[d] < 0 || x.dim(d) == want[d];
    if (!fits)
      throw ValueError(who + ": input '" + inputs_[i].name() + "' expects shape " + want.str() +
                       ", got " + (x.defined() ? x.shape().str() : std::string("undefined")));
    if (auto in = std::dynamic_pointer_cast<InputLayer>(inputs_[i].layer());
        in && x.dtype() != in->dtype())
      throw ValueError(who + ": input '" + inputs_[i].name() + "' expects dtype " +
                       dtype_name(in->dtype()) + ", got " + dtype_name(x.dtype()));
    values[inputs_[i].node().get()] = {x};
    if (i < in_masks.size() && in_masks[i].defined()) masks[inputs_[i].node().get()] = {in_masks[i]};
  }
  for (const auto& n : nodes_) {
    if (n->inputs.empty()) continue;
    std::vector<Tensor> args, arg_masks;
    bool any_mask = false;
    for (const auto& t : n->inputs) {
      const auto i = static_cast<size_t>(t.index());
      args.push_back(values.at(t.node().get())[i]);
      const auto& m = masks[t.node().get()];
      arg_masks.push_back(i < m.size() ? m[i] : Tensor());
      any_mask = any_mask || arg_masks.back().defined();
    }
    // Layers that make masks (Embedding, Masking) do so without an input mask, so every layer
    // is asked; most answer with no mask at all.
    values[n.get()] = any_mask ? n->layer->call_masked(args, arg_masks, training)
                               : n->layer->call_on(args, training);
    masks[n.get()] = n->layer->compute_mask(args, arg_masks);
  }
  std::vector<Tensor> out;
  if (out_masks) out_masks->clear();
  for (const auto& t : outputs_) {
    const auto i = static_cast<size_t>(t.index());
    out.push_back(values.at(t.node().get())[i]);
    if (out_masks) {
      const auto& m = masks[t.node().get()];
      out_masks->push_back(i < m.size() ? m[i] : Tensor());
    }
  }
  return out;
}

}  // namespace strata
