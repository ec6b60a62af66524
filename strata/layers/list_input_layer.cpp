#include "strata/layers/list_input_layer.hpp"

#include "strata/core/error.hpp"

namespace strata {

Tensor ListInputLayer::operator()(const std::vector<Tensor>& inputs, bool training) {
  for (const Tensor& t : inputs)
    if (!t.defined()) throw ValueError(label() + ": called on an undefined tensor");
  return call_on(inputs, training).at(0);
}

Tensor ListInputLayer::operator()(const Tensor& x, bool) {
  if (!x.defined()) throw ValueError(list_message() + ", got a single undefined tensor");
  throw ValueError(list_message() + ", got a single tensor of shape " + x.shape().str());
}

Tensor ListInputLayer::call(const Tensor& x, bool training) { return (*this)(x, training); }

Shape ListInputLayer::compute_output_shape(const Shape& in) const {
  if (built() && in.rank() == input_shape().rank()) {
    bool same = true;
    for (int d = 1; same && d < in.rank(); ++d) same = in[d] == input_shape()[d];
    if (same) return first_output_;
  }
  throw ValueError(list_message() + ", got a single input of shape " + in.str());
}

void ListInputLayer::mark_built_for(const std::vector<Shape>& inputs, const Shape& first_output) {
  first_output_ = first_output;
  mark_built(inputs.at(0));
}

void ListInputLayer::wrong_count(size_t got) const {
  throw ValueError(list_message() + ", got " + std::to_string(got) + " input" +
                   (got == 1 ? "" : "s"));
}

}  // namespace strata
