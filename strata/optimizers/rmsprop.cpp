#include "strata/optimizers/rmsprop.hpp"

#include "strata/optimizers/optimizer_checks.hpp"

namespace strata {

using namespace optimizer_detail;

namespace {

double checked_rate(const RMSpropOptions& o) {
  require_non_negative("RMSprop", "learning_rate", o.learning_rate);
  require_unit_half_open("RMSprop", "rho", o.rho);
  require_unit_closed("RMSprop", "momentum", o.momentum);
  require_non_negative("RMSprop", "epsilon", o.epsilon);
  return o.learning_rate;
}

}  // namespace

RMSprop::RMSprop(RMSpropOptions options)
    : Optimizer("RMSprop", options.name, static_cast<float>(checked_rate(options))),
      options_(std::move(options)) {}

std::vector<std::string> RMSprop::slot_names() const {
  std::vector<std::string> names{"velocity"};
  if (options_.momentum > 0.0) names.push_back("momentum");
  if (options_.centered) names.push_back("average_gradient");
  return names;
}

std::vector<std::vector<size_t>> RMSprop::slot_groups() const {
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < num_slots(); ++i) groups.push_back({i});
  return groups;
}

void RMSprop::update(const Tensor& param, const Tensor& grad, std::vector<Tensor>& slots,
                     int64_t /*step*/) {
  size_t next = 1;
  View mom, mg;
  const bool with_momentum = options_.momentum > 0.0;
  if (with_momentum) mom = slots[next++].view();
  if (options_.centered) mg = slots[next++].view();
  param.backend().rmsprop_update(
      param.view(), grad.view(), slots[0].view(), options_.centered ? &mg : nullptr,
      with_momentum ? &mom : nullptr, learning_rate(), static_cast<float>(options_.rho),
      static_cast<float>(options_.momentum), static_cast<float>(options_.epsilon));
}

nlohmann::json RMSprop::get_config() const {
  nlohmann::json c = base_config();
  c["rho"] = options_.rho;
  c["momentum"] = options_.momentum;
  c["epsilon"] = options_.epsilon;
  c["centered"] = options_.centered;
  return c;
}

}  // namespace strata
