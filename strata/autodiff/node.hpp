// Node: one recorded op on the autodiff tape. Each differentiable op that sees an input requiring
// grad creates a Node holding its inputs (the graph edges) and its backward rule, which maps the
// gradient of the op's output to one gradient per input (an undefined Tensor where an input needs
// none). Saved state lives inside the rule's closure and is freed right after backward runs.
//
//   auto node = make_node("mul", {a, b}, [a, b](const Tensor& g) {
//     return std::vector<Tensor>{ops::mul(g, b), ops::mul(g, a)};
//   });
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* op = "";          // op name, e.g. "softmax"; losses look at it to fuse
  std::vector<Tensor> inputs;   // edges to the tensors this op read
  BackwardFn backward;          // cleared after it ran (the graph is single-use)
  // Non-owning attributes some consumers inspect (e.g. softmax axis).
  int axis = 0;
};

// True when gradients are being recorded (not inside a NoGrad scope).
bool grad_enabled();

// Turns recording off for its lifetime (inference, optimizer updates, metrics).
//   { NoGrad guard; auto y = model.call(x); }
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

// True when `out` should get a node: recording is on and some input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);

// Attaches a node to `out` (marks it requires_grad). Call only when needs_grad(...) is true.
void attach_node(Tensor& out, const char* op, std::vector<Tensor> inputs, BackwardFn fn,
                 int axis = 0);

}  // namespace strata
