// Layer: the run-time building block of every model (run-time objects, not template types, so the
// designer and loaders can edit models). A layer is built once for an input shape — which creates
// its weights — and then called on tensors. Shapes carry the batch dimension first; -1 (printed
// None) marks it unknown. Weights are listed trainable first, in Keras order.
//
//   Dense d({.units = 64, .activation = "relu"});
//   d.build(Shape{-1, 784});          // kernel (784, 64), bias (64,)
//   Tensor y = d(x, /*training=*/true);
//   d.count_params();                 // 50240
//
// Subclasses implement compute_output_shape, call, get_config and, when they own weights,
// build_weights (calling add_weight).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/autodiff/tensor.hpp"
#include "strata/functional/symbolic_tensor.hpp"
#include "strata/initializers/initializer.hpp"

namespace strata {

struct Weight {
  std::string name;  // "kernel", "bias", ...
  Tensor value;
  bool trainable = true;
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  // `name` empty -> a unique Keras-style name from the class name ("dense", "dense_1", ...).
  Layer(std::string class_name, std::string name);
  virtual ~Layer() = default;
  Layer(Layer&&) = default;
  Layer& operator=(Layer&&) = default;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool t);

  virtual bool built() const { return built_; }
  // Creates the weights for `input_shape` (batch dim included). Throws ValueError naming this
  // layer when the shape does not fit it.
  virtual void build(const Shape& input_shape);
  // Shape of the output for `input_shape`; throws ValueError naming this layer on a mismatch.
  virtual Shape compute_output_shape(const Shape& input_shape) const = 0;
  virtual Shape input_shape() const { return input_shape_; }
  virtual Shape output_shape() const { return compute_output_shape(input_shape_); }

  // Builds on first use, checks the input against the built shape, then runs call().
  Tensor operator()(const Tensor& x, bool training = false);

  // Functional API: records a call on symbolic tensors and returns the output (the first one for
  // a layer with several). A temporary layer moves into the graph; a named one must be owned by a
  // std::shared_ptr, and calling it twice shares its weights.
  SymbolicTensor operator()(const SymbolicTensor& x) &;
  SymbolicTensor operator()(const SymbolicTensor& x) &&;
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs) &;
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs) &&;
  // Moves this layer into shared ownership (STRATA_LAYER below defines it); the default throws.
  virtual std::shared_ptr<Layer> move_to_shared() &&;
  // The output of this layer's only call on symbolic tensors (Keras' layer.output); throws when
  // it was called never or several times.
  SymbolicTensor output() const;
  SymbolicTensor input() const;
  // Every live call of this layer on symbolic tensors, oldest first.
  std::vector<std::shared_ptr<GraphNode>> inbound_nodes() const;
  void add_inbound_node(const std::shared_ptr<GraphNode>& node);

  const std::vector<Weight>& weight_entries() const { return weights_; }
  // Trainable weights first, then non-trainable (a frozen layer's weights are all non-trainable).
  virtual std::vector<Tensor> weights() const;
  virtual std::vector<Tensor> trainable_weights() const;
  virtual std::vector<Tensor> non_trainable_weights() const;
  virtual int64_t count_params() const;

  // Graph hooks used by functional models. build_for builds the layer for `inputs` on first use
  // (checking them afterwards) and returns the output shapes; call_on runs the layer. One-input,
  // one-output layers keep these defaults; merge layers and nested models override them.
  virtual std::vector<Shape> build_for(const std::vector<Shape>& inputs);
  virtual std::vector<Tensor> call_on(const std::vector<Tensor>& inputs, bool training);

  // ---- masking (Keras' _keras_mask) ----------------------------------------------------------
  // A mask marks the time steps of a sequence to use: float32 (N, T) of 1 (use) and 0 (skip),
  // made by Embedding(mask_zero) and Masking, consumed by recurrent, attention and pooling
  // layers. Models carry each tensor's mask from layer to layer.
  //
  // True when the layer passes its input's mask on unchanged (Dense, Dropout, activations, ...).
  virtual bool supports_masking() const { return false; }
  // The output masks (one per output; undefined = none) for `inputs` and their `masks`
  // (undefined where an input has none). Default: the first input's mask on every output when
  // supports_masking(), else none.
  virtual std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& masks) const;
  // Runs the layer on `inputs` with their masks. Layers that consume masks override it; the
  // default ignores the masks and runs call_on.
  virtual std::vector<Tensor> call_masked(const std::vector<Tensor>& inputs,
                                          const std::vector<Tensor>& masks, bool training);

  // Keras config: name, trainable, dtype and the layer's own arguments.
  virtual nlohmann::json get_config() const;

  // "Dense 'dense_1'" — how error messages name this layer.
  std::string label() const { return class_name_ + " '" + name_ + "'"; }

 protected:
  virtual void build_weights(const Shape& /*input_shape*/) {}
  virtual Tensor call(const Tensor& x, bool training) = 0;
  // Throws when `shape` (batch included) is not what this built layer accepts. The default wants
  // the built rank and every known non-batch dimension.
  virtual void check_input(const Shape& shape) const;
  Tensor add_weight(const std::string& name, const Shape& shape, const InitializerSpec& init,
                    bool trainable = true);
  // For layers that build themselves through build_for (several inputs): records `input_shape`
  // (the first input's) and marks the layer built.
  void mark_built(const Shape& input_shape);
  // Keras-style feature axes (negative counts from the end) as sorted indices into `in`; throws
  // ValueError naming this layer for the batch axis, out-of-range or repeated axes.
  std::vector<int> feature_axes(const std::vector<int>& axes, const Shape& in) const;

 private:
  std::string class_name_;
  std::string name_;
  bool trainable_ = true;
  bool built_ = false;
  Shape input_shape_;
  std::vector<Weight> weights_;
  std::vector<std::weak_ptr<GraphNode>> nodes_;
};

// Put in every concrete layer class so a temporary can be called on symbolic tensors:
//   class MyLayer : public Layer {
//     STRATA_LAYER(MyLayer)
//     ...
#define STRATA_LAYER(Type)                                          \
 public:                                                            \
  std::shared_ptr<::strata::Layer> move_to_shared() && override {   \
    return std::make_shared<Type>(std::move(*this));                \
  }                                                                 \
                                                                    \
 private:

using LayerPtr = std::shared_ptr<Layer>;

// What Sequential and add() take: any layer object by value (moved into shared ownership) or a
// shared pointer to one, so `Sequential({Dense({.units = 10}), Flatten()})` reads like Keras.
class LayerRef {
 public:
  template <class L>
    requires std::derived_from<std::decay_t<L>, Layer> && (!std::is_lvalue_reference_v<L>)
  LayerRef(L&& layer) : ptr_(std::make_shared<std::decay_t<L>>(std::move(layer))) {}
  template <class L>
    requires std::derived_from<L, Layer>
  LayerRef(std::shared_ptr<L> layer) : ptr_(std::move(layer)) {}
  // An Input(...) tensor stands for its InputLayer, so Sequential({Input({784}), ...}) works.
  LayerRef(const SymbolicTensor& input);
  const LayerPtr& get() const { return ptr_; }

 private:
  LayerPtr ptr_;
};

// The regularizer and constraint keys Keras writes for a layer with a kernel and a bias; Strata
// supports none yet, so they are always null.
void add_null_regularizers(nlohmann::json& config);

// Keras' per-process naming: "dense", then "dense_1", "dense_2", ... (layers and models alike).
std::string unique_object_name(const std::string& base);

// Keras' snake_case of a class name: "LeakyReLU" -> "leaky_re_lu".
std::string to_snake_case(const std::string& class_name);

}  // namespace strata
