#include "strata/optimizers/optimizer.hpp"

#include <cmath>
#include <numeric>

#include "strata/autodiff/node.hpp"
#include "strata/core/error.hpp"
#include "strata/optimizers/optimizer_checks.hpp"

namespace strata {

Optimizer::Optimizer(const std::string& owner, std::string name, float learning_rate)
    : owner_(owner), name_(std::move(name)), learning_rate_(learning_rate) {
  optimizer_detail::require_non_negative(owner_, "learning_rate", learning_rate);
}

Optimizer::Optimizer(const Optimizer& other) { *this = other; }

Optimizer& Optimizer::operator=(const Optimizer& other) {
  if (this == &other) return *this;
  owner_ = other.owner_;
  name_ = other.name_;
  learning_rate_ = other.learning_rate_;
  iterations_ = other.iterations_;
  states_ = other.states_;
  index_ = other.index_;
  for (State& s : states_)
    for (Tensor& t : s.slots) t = t.clone();
  return *this;
}

void Optimizer::set_learning_rate(float learning_rate) {
  optimizer_detail::require_non_negative(owner_, "learning_rate", learning_rate);
  learning_rate_ = learning_rate;
}

void Optimizer::set_iterations(int64_t iterations) {
  if (iterations < 0)
    throw ValueError(owner_ + ": iterations must be >= 0, got " + std::to_string(iterations));
  iterations_ = iterations;
}

std::vector<std::vector<size_t>> Optimizer::slot_groups() const {
  std::vector<size_t> all(num_slots());
  std::iota(all.begin(), all.end(), size_t{0});
  if (all.empty()) return {};
  return {all};
}

void Optimizer::prune() {
  bool gone = false;
  for (const State& s : states_) gone = gone || s.param.expired();
  if (!gone) return;
  std::erase_if(states_, [](const State& s) { return s.param.expired(); });
  index_.clear();
  for (size_t i = 0; i < states_.size(); ++i) index_[states_[i].param.lock().get()] = i;
}

std::vector<Tensor>& Optimizer::slots_for(const Tensor& param) {
  auto it = index_.find(param.impl().get());
  if (it != index_.end()) return states_[it->second].slots;
  State s{param.impl(), {}};
  for (size_t i = 0; i < num_slots(); ++i)
    s.slots.push_back(Tensor::zeros(param.shape(), DType::float32, param.backend()));
  index_[param.impl().get()] = states_.size();
  states_.push_back(std::move(s));
  return states_.back().slots;
}

void Optimizer::build(const std::vector<Tensor>& params) {
  prune();
  for (const Tensor& p : params)
    if (p.defined()) slots_for(p);
}

void Optimizer::apply_gradients(const std::vector<Tensor>& params) {
  // Check everything first so a bad gradient leaves every tensor untouched.
  std::vector<size_t> todo;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    if (!p.defined()) continue;
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (p.dtype() != DType::float32)
      throw ValueError(owner_ + ": parameter " + std::to_string(i) + " of shape " +
                       p.shape().str() + " is " + dtype_name(p.dtype()) + ", expected float32");
    if (g.shape() != p.shape())
      throw ValueError(owner_ + ": gradient of shape " + g.shape().str() + " for parameter " +
                       std::to_string(i) + " of shape " + p.shape().str());
    todo.push_back(i);
  }
  if (todo.empty()) return;
  prune();
  NoGrad no_grad;
  const int64_t step = iterations_ + 1;
  for (size_t i : todo) {
    const Tensor& p = params[i];
    update(p, p.grad(), slots_for(p), step);
    p.bump_version();
  }
  iterations_ = step;
}

std::vector<Tensor> Optimizer::variables() const {
  std::vector<Tensor> out;
  for (const auto& group : slot_groups())
    for (const State& s : states_) {
      if (s.param.expired()) continue;
      for (size_t k : group) out.push_back(s.slots[k]);
    }
  return out;
}

std::vector<Tensor> Optimizer::slots(const Tensor& param) const {
  if (!param.defined()) return {};
  auto it = index_.find(param.impl().get());
  if (it == index_.end() || states_[it->second].param.lock() != param.impl()) return {};
  return states_[it->second].slots;
}

std::vector<Tensor> Optimizer::variables_for(const std::vector<Tensor>& params) const {
  std::vector<std::vector<Tensor>> per_param;
  for (const Tensor& p : params) {
    if (!p.defined()) continue;
    auto s = slots(p);
    if (s.empty())
      for (size_t k = 0; k < num_slots(); ++k)
        s.push_back(Tensor::zeros(p.shape(), DType::float32, p.backend()));
    per_param.push_back(std::move(s));
  }
  std::vector<Tensor> out;
  for (const auto& group : slot_groups())
    for (const auto& s : per_param)
      for (size_t k : group) out.push_back(s[k]);
  return out;
}

nlohmann::json Optimizer::base_config() const {
  // Keras writes the learning rate from its float32 variable, so 0.001 reads back as
  // 0.0010000000474974513 there too.
  return {{"name", name_},
          {"learning_rate", static_cast<double>(learning_rate_)},
          {"weight_decay", nullptr},
          {"clipnorm", nullptr},
          {"global_clipnorm", nullptr},
          {"clipvalue", nullptr},
          {"use_ema", false},
          {"ema_momentum", 0.99},
          {"ema_overwrite_frequency", nullptr},
          {"loss_scale_factor", nullptr},
          {"gradient_accumulation_steps", nullptr}};
}

}  // namespace strata
