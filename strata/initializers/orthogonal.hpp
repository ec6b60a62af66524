// Orthogonal: Keras' initializer for recurrent kernels (LSTM/GRU/SimpleRNN's default
// "orthogonal"). The weight, viewed as a (product of leading dims, last dim) matrix, gets
// orthonormal rows or columns (whichever are fewer) times `gain`: a normal matrix is
// QR-decomposed and Q's columns take the signs of R's diagonal, as Keras does, so Q is uniformly
// distributed over the orthogonal matrices.
//
//   LSTM({.units = 32, .recurrent_initializer = initializers::Orthogonal({.gain = 1.0})});
//   get_initializer("orthogonal")->make(Shape{32, 128});   // W·Wᵀ = I (32×32)
#pragma once

#include <optional>

#include "strata/initializers/initializer.hpp"

namespace strata::initializers {

struct OrthogonalOptions {
  double gain = 1.0;
  std::optional<uint64_t> seed;
};

class Orthogonal : public Initializer {
 public:
  Orthogonal(OrthogonalOptions o = {}) : o_(o) {}
  // Throws ValueError for a shape of rank < 2 (Keras refuses them too).
  std::vector<float> values(const Shape& shape) const override;
  std::string class_name() const override { return "Orthogonal"; }
  nlohmann::json get_config() const override;
  const OrthogonalOptions& options() const { return o_; }

 private:
  OrthogonalOptions o_;
};

}  // namespace strata::initializers
