#include "strata/layers/merge.hpp"

#include <algorithm>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Merge::Merge(std::string class_name, std::string name, size_t min_inputs, size_t max_inputs)
    : ListInputLayer(std::move(class_name), std::move(name)),
      min_inputs_(min_inputs),
      max_inputs_(max_inputs) {}

std::string Merge::list_message() const {
  const std::string n = std::to_string(min_inputs_);
  return label() + ": expects a list of " +
         (max_inputs_ == min_inputs_ ? "exactly " + n : "at least " + n) + " inputs";
}

std::string Merge::shapes_str(const std::vector<Shape>& shapes) {
  std::string s;
  for (size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shapes[i].str();
  return s;
}

Shape Merge::compute_output_shape(const std::vector<Shape>& inputs) const {
  if (inputs.size() < min_inputs_ || (max_inputs_ && inputs.size() > max_inputs_))
    throw ValueError(list_message() + ", got " + std::to_string(inputs.size()));
  int64_t batch = -1;
  std::vector<Shape> shapes;
  for (const Shape& s : inputs) {
    if (s.rank() == 0)
      throw ValueError(label() + ": every input needs a batch dimension, got " +
                       shapes_str(inputs));
    for (int d = 1; d < s.rank(); ++d)
      if (s[d] <= 0)
        throw ValueError(label() + ": input dimensions must be known and positive, got " +
                         shapes_str(inputs));
    if (s[0] >= 0) {
      if (batch >= 0 && s[0] != batch)
        throw ValueError(label() + ": inputs must have the same batch size, got " +
                         shapes_str(inputs));
      batch = s[0];
    }
    Shape t = s;
    t[0] = -1;
    shapes.push_back(t);
  }
  return merged_shape(shapes);
}

Shape Merge::merged_shape(const std::vector<Shape>& inputs) const {
  // Non-batch dims broadcast right-aligned (Keras' _compute_elemwise_op_output_shape).
  int rank = 0;
  for (const Shape& s : inputs) rank = std::max(rank, s.rank());
  Shape out;
  out.push_back(-1);
  for (int d = 1; d < rank; ++d) {
    int64_t dim = 1;
    for (const Shape& s : inputs) {
      const int i = d - (rank - s.rank());
      if (i < 1) continue;
      if (s[i] == dim || s[i] == 1) continue;
      if (dim != 1)
        throw ValueError(label() + ": inputs must have compatible shapes, got " +
                         shapes_str(inputs));
      dim = s[i];
    }
    out.push_back(dim);
  }
  return out;
}

void Merge::check_input(const Shape& shape) const {
  throw ValueError(list_message() + ", got a single input of shape " + shape.str());
}

std::vector<Shape> Merge::build_for(const std::vector<Shape>& inputs) {
  if (!built()) {
    Shape out = compute_output_shape(inputs);  // validates before anything is stored
    input_shapes_.clear();
    for (Shape s : inputs) {
      s[0] = -1;
      input_shapes_.push_back(s);
    }
    output_shape_ = out;
    mark_built_for(input_shapes_, out);
    return {out};
  }
  bool ok = inputs.size() == input_shapes_.size();
  for (size_t i = 0; ok && i < inputs.size(); ++i) {
    ok = inputs[i].rank() == input_shapes_[i].rank();
    for (int d = 1; ok && d < inputs[i].rank(); ++d) ok = inputs[i][d] == input_shapes_[i][d];
  }
  if (!ok)
    throw ValueError(label() + ": expected inputs of shapes " + shapes_str(input_shapes_) +
                     ", got " + shapes_str(inputs));
  compute_output_shape(inputs);  // the batch sizes must still agree
  return {output_shape_};
}

std::vector<Tensor> Merge::call_on(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) {
    if (!t.defined()) throw ValueError(label() + ": called on an undefined tensor");
    shapes.push_back(t.shape());
  }
  build_for(shapes);
  return {merge(inputs, training)};
}

std::vector<Tensor> Merge::aligned(const std::vector<Tensor>& inputs) {
  int rank = 0;
  for (const Tensor& t : inputs) rank = std::max(rank, t.rank());
  std::vector<Tensor> out;
  for (const Tensor& t : inputs) {
    if (t.rank() == rank) {
      out.push_back(t);
      continue;
    }
    Shape s;
    s.push_back(t.dim(0));
    for (int i = t.rank(); i < rank; ++i) s.push_back(1);
    for (int d = 1; d < t.rank(); ++d) s.push_back(t.shape()[d]);
    out.push_back(ops::reshape(t, s));
  }
  return out;
}

// ---- the element-wise layers ----------------------------------------------------------------

namespace {

template <class L>
std::shared_ptr<L> elementwise_from_config(const nlohmann::json& config, const char* cls) {
  ConfigReader r(config, cls);
  auto layer = std::make_shared<L>(MergeOptions{r.name()});
  layer->set_trainable(r.trainable());
  return layer;
}

Tensor fold(const std::vector<Tensor>& xs, Tensor (*op)(const Tensor&, const Tensor&)) {
  Tensor y = op(xs[0], xs[1]);
  for (size_t i = 2; i < xs.size(); ++i) y = op(y, xs[i]);
  return y;
}

}  // namespace

#define STRATA_ELEMENTWISE_MERGE_IMPL(Type, min_in, max_in, body)                   \
  Type::Type(MergeOptions o) : Merge(#Type, o.name, min_in, max_in) {}               \
  std::shared_ptr<Type> Type::from_config(const nlohmann::json& c) {                 \
    return elementwise_from_config<Type>(c, #Type);                                  \
  }                                                                                  \
  Tensor Type::merge(const std::vector<Tensor>& inputs, bool) {                      \
    const std::vector<Tensor> xs = aligned(inputs);                                  \
    body                                                                             \
  }

STRATA_ELEMENTWISE_MERGE_IMPL(Add, 2, 0, { return fold(xs, ops::add); })
STRATA_ELEMENTWISE_MERGE_IMPL(Subtract, 2, 2, { return ops::sub(xs[0], xs[1]); })
STRATA_ELEMENTWISE_MERGE_IMPL(Multiply, 2, 0, { return fold(xs, ops::mul); })
STRATA_ELEMENTWISE_MERGE_IMPL(Average, 2, 0, {
  return ops::mul(fold(xs, ops::add), 1.f / static_cast<float>(xs.size()));
})
STRATA_ELEMENTWISE_MERGE_IMPL(Maximum, 2, 0, { return fold(xs, ops::maximum); })
STRATA_ELEMENTWISE_MERGE_IMPL(Minimum, 2, 0, { return fold(xs, ops::minimum); })

#undef STRATA_ELEMENTWISE_MERGE_IMPL

std::vector<Tensor> Merge::compute_mask(const std::vector<Tensor>&,
                                        const std::vector<Tensor>& ms) const {
  Tensor m = masks::all_of(ms);
  if (!m.defined()) return {};
  return {m};
}

}  // namespace strata
