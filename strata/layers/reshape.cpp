#include "strata/layers/reshape.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Reshape::Reshape(ReshapeOptions o) : Layer("Reshape", o.name), o_(std::move(o)) {
  int unknown = 0;
  for (int64_t d : o_.target_shape) {
    if (d == -1) ++unknown;
    else if (d <= 0)
      throw ValueError(label() + ": target_shape dimensions must be positive or -1, got " +
                       o_.target_shape.str());
  }
  if (unknown > 1)
    throw ValueError(label() + ": at most one target dimension may be -1, got " +
                     o_.target_shape.str());
}

Shape Reshape::compute_output_shape(const Shape& in) const {
  for (int d = 1; d < in.rank(); ++d)
    if (in[d] < 0)
      throw ValueError(label() + ": cannot reshape input " + in.str() +
                       ": a dimension after the batch varies (None)");
  const int64_t total = in.drop_front().numel();
  Shape out = o_.target_shape.with_front(in[0]);
  int64_t known = 1;
  int infer = -1;
  for (int i = 1; i < out.rank(); ++i) {
    if (out[i] == -1) infer = i;
    else known *= out[i];
  }
  if (infer >= 0 && known > 0 && total % known == 0) out[infer] = total / known;
  if (out.drop_front().numel() != total || (infer >= 0 && out[infer] == -1))
    throw ValueError(label() + ": cannot reshape input " + in.str() + " (" +
                     std::to_string(total) + " values per sample) to target_shape " +
                     o_.target_shape.str());
  return out;
}

Tensor Reshape::call(const Tensor& x, bool) {
  Shape out = compute_output_shape(x.shape());
  out[0] = x.dim(0);
  return ops::reshape(x, out);
}

nlohmann::json Reshape::get_config() const {
  auto c = Layer::get_config();
  c["target_shape"] = o_.target_shape.vec();
  return c;
}

std::shared_ptr<Reshape> Reshape::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Reshape");
  const auto dims = r.get<std::vector<int64_t>>("target_shape");
  return std::make_shared<Reshape>(ReshapeOptions{Shape(dims), r.name()});
}

}  // namespace strata
