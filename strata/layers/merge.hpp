// Merge layers: combine a list of tensors into one, as Keras' keras.layers.merging.
//
//   Add, Subtract (exactly 2), Multiply, Average, Maximum, Minimum: element-wise, with NumPy
//   broadcasting of the non-batch dims (a dim of 1 stretches; an input of lower rank gets 1s
//   inserted after its batch dim, as Keras' expand_dims(axis=1)). Batch sizes must agree.
//   Concatenate (concatenate.hpp) and Dot (dot.hpp) derive from Merge too.
//
//   Add add;
//   Tensor y = add({a, b}, /*training=*/false);   // a, b (N, 3) -> (N, 3)
//   Average()({a, b, c});
//
// A merge layer takes a list of at least two inputs (Subtract and Dot exactly two); calling it
// on a single tensor throws ValueError "Add 'add': expects a list of at least 2 inputs".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/layers/list_input_layer.hpp"

namespace strata {

struct MergeOptions {
  std::string name;
};

class Merge : public ListInputLayer {
 public:
  using ListInputLayer::operator();

  // Output shape (batch -1) for `inputs` (batch first); throws ValueError naming the layer and
  // listing the shapes when they do not fit.
  Shape compute_output_shape(const std::vector<Shape>& inputs) const;
  using ListInputLayer::compute_output_shape;

  std::vector<Shape> build_for(const std::vector<Shape>& inputs) override;
  // Builds on first use (checks the shapes afterwards) and merges `inputs`.
  std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training) override;
  // Keras: no mask when no input has one, else the element-wise AND of the inputs' masks (an
  // input without one counts as all ones).
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;

  // The shapes the layer was built for (batch -1); empty before it is built.
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }

 protected:
  // min_inputs..max_inputs inputs (max 0: no upper limit).
  Merge(std::string class_name, std::string name, size_t min_inputs, size_t max_inputs = 0);

  // Output shape for validated `inputs` (count checked, batch -1, non-batch dims known). The
  // default is the element-wise broadcast shape.
  virtual Shape merged_shape(const std::vector<Shape>& inputs) const;
  // Merges `inputs` (already checked against the built shapes).
  virtual Tensor merge(const std::vector<Tensor>& inputs, bool training) = 0;

  // "Add 'add': expects a list of at least 2 inputs".
  std::string list_message() const override;
  void check_input(const Shape& shape) const override;

  // "(None, 3), (None, 4)"
  static std::string shapes_str(const std::vector<Shape>& shapes);
  // Inputs of lower rank reshaped to the output rank with 1s after the batch dim.
  static std::vector<Tensor> aligned(const std::vector<Tensor>& inputs);

 private:
  size_t min_inputs_, max_inputs_;
  std::vector<Shape> input_shapes_;
  Shape output_shape_;
};

#define STRATA_ELEMENTWISE_MERGE(Type)                                  \
  class Type : public Merge {                                           \
    STRATA_LAYER(Type)                                                  \
   public:                                                              \
    static std::shared_ptr<Type> from_config(const nlohmann::json& c); \
    explicit Type(MergeOptions o = {});                                 \
                                                                        \
   protected:                                                           \
    Tensor merge(const std::vector<Tensor>& inputs, bool) override;     \
  };

// a + b + ...
STRATA_ELEMENTWISE_MERGE(Add)
// a - b (exactly two inputs)
STRATA_ELEMENTWISE_MERGE(Subtract)
// a * b * ...
STRATA_ELEMENTWISE_MERGE(Multiply)
// (a + b + ...) / n
STRATA_ELEMENTWISE_MERGE(Average)
// Element-wise maximum; the gradient goes to the largest input (the first one on ties).
STRATA_ELEMENTWISE_MERGE(Maximum)
// Element-wise minimum; the gradient goes to the smallest input (the first one on ties).
STRATA_ELEMENTWISE_MERGE(Minimum)

#undef STRATA_ELEMENTWISE_MERGE

}  // namespace strata
