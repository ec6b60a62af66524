#include "strata/optimizers/adam.hpp"

#include "strata/optimizers/optimizer_checks.hpp"

namespace strata {

using namespace optimizer_detail;

namespace {

double checked_rate(const AdamOptions& o) {
  require_non_negative("Adam", "learning_rate", o.learning_rate);
  require_unit_half_open("Adam", "beta_1", o.beta_1);
  require_unit_half_open("Adam", "beta_2", o.beta_2);
  require_non_negative("Adam", "epsilon", o.epsilon);
  return o.learning_rate;
}

}  // namespace

Adam::Adam(AdamOptions options)
    : Optimizer("Adam", options.name, static_cast<float>(checked_rate(options))),
      options_(std::move(options)) {}

std::vector<std::string> Adam::slot_names() const {
  if (options_.amsgrad) return {"momentum", "velocity", "velocity_hat"};
  return {"momentum", "velocity"};
}

std::vector<std::vector<size_t>> Adam::slot_groups() const {
  if (options_.amsgrad) return {{0, 1}, {2}};
  return {{0, 1}};
}

void Adam::update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
                  int64_t step) {
  View vhat;
  if (options_.amsgrad) vhat = slots[2].view();
  param.backend().adam_update(
      param.view(), grad.view(), slots[0].view(), slots[1].view(),
      options_.amsgrad ? &vhat : nullptr, learning_rate(), static_cast<float>(options_.beta_1),
      static_cast<float>(options_.beta_2), static_cast<float>(options_.epsilon), step);
}

nlohmann::json Adam::get_config() const {
  nlohmann::json c = base_config();
  c["beta_1"] = options_.beta_1;
  c["beta_2"] = options_.beta_2;
  c["epsilon"] = options_.epsilon;
  c["amsgrad"] = options_.amsgrad;
  return c;
}

}  // namespace strata
