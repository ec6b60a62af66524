#include "strata/layers/repeat_vector.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

RepeatVector::RepeatVector(RepeatVectorOptions o) : Layer("RepeatVector", o.name), o_(std::move(o)) {
  if (o_.n <= 0)
    throw ValueError(label() + ": n must be positive, got " + std::to_string(o_.n));
}

Shape RepeatVector::compute_output_shape(const Shape& in) const {
  if (in.rank() != 2)
    throw ValueError(label() + ": expects input of rank 2 (batch, features), got " + in.str());
  return Shape{in[0], o_.n, in[1]};
}

Tensor RepeatVector::call(const Tensor& x, bool) {
  // (N, D) -> (N, 1, D) -> broadcast to (N, n, D); broadcast_to's backward sums over the copies.
  const Shape one{x.dim(0), 1, x.dim(1)};
  return ops::broadcast_to(ops::reshape(x, one), Shape{x.dim(0), o_.n, x.dim(1)});
}

nlohmann::json RepeatVector::get_config() const {
  auto c = Layer::get_config();
  c["n"] = o_.n;
  return c;
}

std::shared_ptr<RepeatVector> RepeatVector::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "RepeatVector");
  return std::make_shared<RepeatVector>(RepeatVectorOptions{r.get<int64_t>("n"), r.name()});
}

}  // namespace strata
