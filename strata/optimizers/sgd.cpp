#include "strata/optimizers/sgd.hpp"

#include "strata/optimizers/optimizer_checks.hpp"

namespace strata {

using namespace optimizer_detail;

namespace {

// Runs before the base constructor so a bad value is named before it is narrowed to float.
double checked_rate(const SGDOptions& o) {
  require_non_negative("SGD", "learning_rate", o.learning_rate);
  require_unit_closed("SGD", "momentum", o.momentum);
  return o.learning_rate;
}

}  // namespace

SGD::SGD(SGDOptions options)
    : Optimizer("SGD", options.name, static_cast<float>(checked_rate(options))),
      options_(std::move(options)) {}

std::vector<std::string> SGD::slot_names() const {
  if (num_slots() == 0) return {};
  return {"momentum"};
}

void SGD::update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
                 int64_t /*step*/) {
  const float momentum = static_cast<float>(options_.momentum);
  View velocity;
  if (!slots.empty()) velocity = slots[0].view();
  param.backend().sgd_update(param.view(), grad.view(), slots.empty() ? nullptr : &velocity,
                             learning_rate(), momentum, options_.nesterov);
}

nlohmann::json SGD::get_config() const {
  nlohmann::json c = base_config();
  c["momentum"] = options_.momentum;
  c["nesterov"] = options_.nesterov;
  return c;
}

}  // namespace strata
