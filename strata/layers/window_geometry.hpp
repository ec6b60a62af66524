// Keras' window arithmetic for conv and pooling layers: option pairs that take an int or two
// ints, the 'valid' / 'same' / 'causal' paddings (TF convention: 'same' puts the extra pixel at
// the end), output sizes, and channels_first <-> channels_last.
//
//   IntPair k = 3;                 // (3, 3)
//   WindowParams p = window_params(label(), Shape{-1, 28, 28, 1}, 2, k, {2, 2}, {1, 1}, "same");
#pragma once

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "strata/autodiff/tensor.hpp"

namespace strata {

// An option that Keras accepts as one int or a tuple of two.
struct IntPair {
  std::array<int64_t, 2> v{1, 1};
  IntPair() = default;
  IntPair(int64_t a) : v{a, a} {}
  IntPair(int64_t a, int64_t b) : v{a, b} {}
  int64_t operator[](int i) const { return v[static_cast<size_t>(i)]; }
  nlohmann::json json(int spatial) const;
};

// Checks `padding` is one of the names `allowed` (e.g. "valid", "same") and `data_format` one of
// channels_last / channels_first; throws ValueError naming `who`.
void check_padding(const std::string& who, const std::string& padding,
                   std::initializer_list<const char*> allowed);
void check_data_format(const std::string& who, const std::string& data_format);
// Each of the first `spatial` values must be positive.
void check_positive(const std::string& who, const char* what, const IntPair& v, int spatial);

// The window of a conv/pool over the channels-last `in` (batch first): pads from `padding`
// ('valid', 'same', 'causal'), the kernel's dilated extent, strides. Throws ValueError naming
// `who` when the window does not fit the input.
WindowParams window_params(const std::string& who, const Shape& in, int spatial,
                           const IntPair& kernel, const IntPair& strides, const IntPair& dilation,
                           const std::string& padding, int64_t groups = 1);
// The channels-last output shape of that window with `channels` output channels.
Shape window_output_shape(const Shape& in, const WindowParams& p, const IntPair& kernel,
                          int64_t channels);

// Shape and tensor moves between channels_first and channels_last (batch stays first).
Shape to_channels_last(const Shape& s);
Shape to_channels_first(const Shape& s);
Tensor to_channels_last(const Tensor& x);
Tensor to_channels_first(const Tensor& x);

}  // namespace strata
