// PerOutput<T>: a compile() option given once for every output, once per output by position, or
// by output name — how Keras takes `loss` and `loss_weights` for models with several outputs.
//
//   .loss = "mse"                                              // every output
//   .loss = {"mse", "sparse_categorical_crossentropy"}         // by position
//   .loss = {{"score", "mse"}, {"kind", "sparse_categorical_crossentropy"}}   // by name
//   .loss_weights = {1.0, 0.2}
#pragma once

#include <concepts>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {

template <class T>
class PerOutput {
 public:
  PerOutput() = default;
  template <class U>
    requires std::constructible_from<T, U&&> && (!std::same_as<std::remove_cvref_t<U>, PerOutput>)
  PerOutput(U&& value) : all_(T(std::forward<U>(value))) {}
  PerOutput(std::initializer_list<T> by_position) : by_position_(by_position) {}
  PerOutput(std::vector<T> by_position) : by_position_(std::move(by_position)) {}
  PerOutput(std::initializer_list<std::pair<const std::string, T>> by_name) : by_name_(by_name) {}
  PerOutput(std::map<std::string, T> by_name) : by_name_(std::move(by_name)) {}

  bool empty() const { return !all_ && by_position_.empty() && by_name_.empty(); }

  // One value per output (`fallback` where a by-name form leaves an output out). Throws
  // ValueError naming `what` for a list of the wrong length or an unknown output name.
  std::vector<T> resolve(const std::vector<std::string>& outputs, const std::string& what,
                         const T& fallback) const {
    if (all_) return std::vector<T>(outputs.size(), *all_);
    if (!by_position_.empty()) {
      if (by_position_.size() != outputs.size())
        throw ValueError("compile: " + what + " has " + std::to_string(by_position_.size()) +
                         " entries, but the model has " + std::to_string(outputs.size()) +
                         " output" + (outputs.size() == 1 ? "" : "s") + ": " + joined(outputs));
      return by_position_;
    }
    std::vector<T> out(outputs.size(), fallback);
    for (const auto& [name, value] : by_name_) {
      size_t i = 0;
      while (i < outputs.size() && outputs[i] != name) ++i;
      if (i == outputs.size())
        throw ValueError("compile: " + what + " names output '" + name +
                         "', but the model's outputs are " + joined(outputs));
      out[i] = value;
    }
    return out;
  }

 private:
  static std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
    return s;
  }

  std::optional<T> all_;
  std::vector<T> by_position_;
  std::map<std::string, T> by_name_;
};

}  // namespace strata
