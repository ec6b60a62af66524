// Placeholder: stands in for an initializer Strata does not know — a custom Python function or
// class in a Keras file (hls4ml's "random_kernel", say) — when the weights are loaded from the same
// file right after building, so its values never matter. It fills zeros and writes its original
// {class_name, config} back unchanged. Only model loading creates placeholders, inside a
// PlaceholderInitializers scope; elsewhere an unknown initializer is an error.
//
//   PlaceholderInitializers allow(true);   // while building a model whose weights follow
//   InitializerSpec s = initializers::Placeholder("function", "random_kernel");
#pragma once

#include <string>

#include "strata/initializers/initializer.hpp"

namespace strata {

namespace initializers {

class Placeholder : public Initializer {
 public:
  Placeholder(std::string class_name, nlohmann::json config)
      : class_name_(std::move(class_name)), config_(std::move(config)) {}
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return class_name_; }
  nlohmann::json get_config() const override { return config_; }

 private:
  std::string class_name_;
  nlohmann::json config_;
};

}  // namespace initializers

// While one is alive (on this thread), config reading turns unknown initializers into
// placeholders instead of throwing.
class PlaceholderInitializers {
 public:
  explicit PlaceholderInitializers(bool allow);
  ~PlaceholderInitializers();
  PlaceholderInitializers(const PlaceholderInitializers&) = delete;
  PlaceholderInitializers& operator=(const PlaceholderInitializers&) = delete;
  static bool allowed();

 private:
  bool previous_;
};

}  // namespace strata
