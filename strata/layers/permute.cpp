#include "strata/layers/permute.hpp"

#include <algorithm>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

std::string dims_str(const std::vector<int>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (dims.size() == 1 ? ",)" : ")");
}

}  // namespace

Permute::Permute(PermuteOptions o) : Layer("Permute", o.name), o_(std::move(o)) {
  std::vector<int> sorted = o_.dims;
  std::sort(sorted.begin(), sorted.end());
  bool ok = !sorted.empty();
  for (size_t i = 0; ok && i < sorted.size(); ++i) ok = sorted[i] == static_cast<int>(i) + 1;
  if (!ok)
    throw ValueError(label() + ": dims must be a permutation of 1.." +
                     std::to_string(o_.dims.size()) +
                     " (1-based, the batch axis excluded), got " + dims_str(o_.dims));
}

Shape Permute::compute_output_shape(const Shape& in) const {
  if (in.rank() != static_cast<int>(o_.dims.size()) + 1)
    throw ValueError(label() + ": dims " + dims_str(o_.dims) + " needs input of rank " +
                     std::to_string(o_.dims.size() + 1) + " (batch included), got " + in.str());
  Shape out = in;
  for (size_t i = 0; i < o_.dims.size(); ++i) out[static_cast<int>(i) + 1] = in[o_.dims[i]];
  return out;
}

Tensor Permute::call(const Tensor& x, bool) {
  std::vector<int> perm{0};
  perm.insert(perm.end(), o_.dims.begin(), o_.dims.end());
  return ops::transpose(x, perm);
}

nlohmann::json Permute::get_config() const {
  auto c = Layer::get_config();
  c["dims"] = o_.dims;
  return c;
}

std::shared_ptr<Permute> Permute::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Permute");
  return std::make_shared<Permute>(PermuteOptions{r.get<std::vector<int>>("dims"), r.name()});
}

}  // namespace strata
