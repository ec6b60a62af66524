#include "strata/layers/dropout.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/config_number.hpp"
#include "strata/core/error.hpp"
#include "strata/core/random.hpp"

namespace strata {

Dropout::Dropout(DropoutOptions o)
    : Layer("Dropout", o.name), o_(std::move(o)), seed_(o_.seed ? *o_.seed : next_seed()) {
  if (!(o_.rate >= 0.f && o_.rate < 1.f))
    throw ValueError(label() + ": rate must be in [0, 1), got " + std::to_string(o_.rate));
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training || o_.rate == 0.f) return x;
  Tensor y = ops::dropout(x, o_.rate, seed_, offset_);
  offset_ += static_cast<uint64_t>(x.numel());
  return y;
}

nlohmann::json Dropout::get_config() const {
  auto c = Layer::get_config();
  c["rate"] = config_number(o_.rate);
  c["seed"] = o_.seed ? nlohmann::json(*o_.seed) : nlohmann::json(nullptr);
  c["noise_shape"] = nullptr;
  return c;
}

}  // namespace strata
