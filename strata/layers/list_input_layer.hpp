// ListInputLayer: the base of layers called on a list of tensors rather than one — merge layers
// (Add, Concatenate, ...) and attention layers. It gives them the list forms of the call
// operators (eager and symbolic) and one way to refuse a single tensor or a wrong count.
//
//   class MyJoin : public ListInputLayer {
//     std::string list_message() const override { return label() + ": expects a list of 2 inputs"; }
//     std::vector<Tensor> call_on(const std::vector<Tensor>& in, bool training) override;
//   };
//   Tensor y = my_join({a, b});             // call_on({a, b}, false)[0]
//   my_join(a);                             // ValueError: "... expects a list of 2 inputs, got a single tensor of shape (4, 3)"
#pragma once

#include <string>
#include <vector>

#include "strata/layers/layer.hpp"

namespace strata {

class ListInputLayer : public Layer {
 public:
  // Eager call on the list (built on first use by call_on); returns the first output.
  Tensor operator()(const std::vector<Tensor>& inputs, bool training = false);
  // A single tensor is not a list of inputs: throws ValueError naming the layer.
  Tensor operator()(const Tensor& x, bool training = false);
  // Functional API calls, forwarded to Layer's (these layers take the list form).
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs) & { return Layer::operator()(xs); }
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs) && {
    return static_cast<Layer&&>(*this)(xs);
  }
  SymbolicTensor operator()(const SymbolicTensor& x) & { return Layer::operator()(x); }
  SymbolicTensor operator()(const SymbolicTensor& x) && { return static_cast<Layer&&>(*this)(x); }

  // One shape is not a list of inputs: throws, except that a built layer answers its first
  // input's shape with its first output's (so output_shape() works for summaries).
  Shape compute_output_shape(const Shape& in) const override;

 protected:
  using Layer::Layer;
  // What the layer takes, the start of every count error: "Add 'add': expects a list of at
  // least 2 inputs".
  virtual std::string list_message() const = 0;
  // Throws list_message() + ", got <n> input(s)".
  [[noreturn]] void wrong_count(size_t got) const;
  // Reached only by a single-tensor call: throws.
  Tensor call(const Tensor& x, bool training) override;
  // Marks the layer built for these input shapes (batch -1), whose first output has shape
  // `first_output`.
  void mark_built_for(const std::vector<Shape>& inputs, const Shape& first_output);

 private:
  Shape first_output_;
};

}  // namespace strata
