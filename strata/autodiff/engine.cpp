// The reverse pass: an iterative post-order DFS (long unrolled graphs would overflow a recursive
// one) gives a topological order; walking it backwards runs each node once, after every consumer
// of its output has added its contribution. Gradients meeting at a fan-out are summed.
#include <unordered_map>
#include <unordered_set>

#include "strata/autodiff/node.hpp"
#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

namespace strata {

namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() { return g_grad_enabled; }

NoGrad::NoGrad() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGrad::~NoGrad() { g_grad_enabled = previous_; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

void attach_node(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn fn,
                 int axis) {
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(fn);
  node->axis = axis;
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
}

void Tensor::backward() const {
  if (numel() != 1)
    throw ValueError("backward(): called on a tensor of shape " + shape().str() +
                     "; pass a seed gradient for non-scalar outputs");
  backward(Tensor::ones(shape(), DType::float32, backend()));
}

void Tensor::backward(const Tensor& seed) const {
  if (!requires_grad())
    throw ValueError("backward(): tensor does not require grad (no parameter or input that "
                     "requires grad contributed to it, or it was computed under NoGrad)");
  if (seed.shape() != shape())
    throw ValueError("backward(): seed of shape " + seed.shape().str() +
                     " does not match output shape " + shape().str());
  NoGrad no_record;  // gradient arithmetic is never itself recorded (no higher-order grads)

  // Post-order over tensors, iteratively.
  std::vector<TensorImpl*> order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<TensorImpl*, size_t>> stack{{impl_.get(), 0}};
  visited.insert(impl_.get());
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    Node* n = t->grad_fn.get();
    if (n && next < n->inputs.size()) {
      TensorImpl* child = n->inputs[next++].impl().get();
      if (child && child->requires_grad && visited.insert(child).second)
        stack.push_back({child, 0});
    } else {
      order.push_back(t);
      stack.pop_back();
    }
  }

  std::unordered_map<TensorImpl*, Tensor> grads;
  grads.emplace(impl_.get(), seed);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* t = *it;
    auto g = grads.find(t);
    if (g == grads.end()) continue;  // no path from the root carries a gradient here
    Tensor grad = std::move(g->second);
    grads.erase(g);
    Node* n = t->grad_fn.get();
    if (!n) {
      // Gradients are never updated in place, so a leaf may share its gradient's impl with
      // another tensor safely.
      t->grad = t->grad ? ops::add(Tensor(t->grad), grad).impl() : grad.impl();
      continue;
    }
    if (!n->backward)
      throw ValueError(std::string("backward(): the graph through '") + n->op +
                       "' was already used by an earlier backward pass; recompute the forward");
    std::vector<Tensor> in_grads = n->backward(grad);
    n->backward = nullptr;  // frees saved tensors now rather than when the graph dies
    for (size_t i = 0; i < n->inputs.size() && i < in_grads.size(); ++i) {
      const Tensor& x = n->inputs[i];
      if (!in_grads[i].defined() || !x.defined() || !x.requires_grad()) continue;
      if (in_grads[i].shape() != x.shape())
        throw ValueError(std::string("internal: backward of '") + n->op + "' produced shape " +
                         in_grads[i].shape().str() + " for input of shape " + x.shape().str());
      auto [slot, fresh] = grads.try_emplace(x.impl().get(), in_grads[i]);
      if (!fresh) slot->second = ops::add(slot->second, in_grads[i]);
    }
  }
}

}  // namespace strata
