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

void ListInputLayer::wrong_count(size_t got) const {
  throw ValueError(list_message() + ", got " + std::to_string(got) + " input" +
                   (got == 1 ? "" : "s"));
}

}  // namespace strata
