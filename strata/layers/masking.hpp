// Masking: marks the time steps whose features all equal mask_value as padding. An input
// (N, T, ...features) passes through with those steps zeroed, and its mask (N, T) — 0 at the
// padded steps — goes on to the layers downstream (recurrent, attention, GlobalAveragePooling1D),
// which skip them, as in Keras.
//
//   Sequential m({Input({10, 8}), Masking({.mask_value = 0.f}), LSTM({.units = 16}), Dense(1)});
#pragma once

#include <memory>

#include "strata/layers/layer.hpp"

namespace strata {

struct MaskingOptions {
  float mask_value = 0.f;
  std::string name;
};

class Masking : public Layer {
  STRATA_LAYER(Masking)
 public:
  static std::shared_ptr<Masking> from_config(const nlohmann::json& config);
  explicit Masking(MaskingOptions o = {});
  // Throws ValueError naming this layer for inputs of rank < 3 (batch, time, features).
  Shape compute_output_shape(const Shape& in) const override;
  bool supports_masking() const override { return true; }
  // Its own mask; an incoming one is replaced, as in Keras.
  std::vector<Tensor> compute_mask(const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;
  float mask_value() const { return o_.mask_value; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  MaskingOptions o_;
};

}  // namespace strata
