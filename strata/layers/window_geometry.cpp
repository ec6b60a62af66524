#include "strata/layers/window_geometry.hpp"

#include <vector>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"

namespace strata {

nlohmann::json IntPair::json(int spatial) const {
  auto j = nlohmann::json::array();
  for (int i = 0; i < spatial; ++i) j.push_back(v[static_cast<size_t>(i)]);
  return j;
}

void check_padding(const std::string& who, const std::string& padding,
                   std::initializer_list<const char*> allowed) {
  std::string names;
  for (const char* a : allowed) {
    if (padding == a) return;
    names += (names.empty() ? "'" : ", '") + std::string(a) + "'";
  }
  throw ValueError(who + ": padding must be one of " + names + ", got '" + padding + "'");
}

void check_data_format(const std::string& who, const std::string& data_format) {
  if (data_format != "channels_last" && data_format != "channels_first")
    throw ValueError(who + ": data_format must be 'channels_last' or 'channels_first', got '" +
                     data_format + "'");
}

void check_positive(const std::string& who, const char* what, const IntPair& v, int spatial) {
  for (int i = 0; i < spatial; ++i)
    if (v[i] <= 0)
      throw ValueError(who + ": " + what + " must be positive, got " + v.json(spatial).dump());
}

WindowParams window_params(const std::string& who, const Shape& in, int spatial,
                           const IntPair& kernel, const IntPair& strides, const IntPair& dilation,
                           const std::string& padding, int64_t groups) {
  WindowParams p;
  p.spatial = spatial;
  p.groups = groups;
  for (int d = 0; d < spatial; ++d) {
    const int64_t size = in[1 + d], k = kernel[d], s = strides[d], dil = dilation[d];
    const int64_t extent = dil * (k - 1) + 1;
    if (size < 0)
      throw ValueError(who + ": input " + in.str() + " has a size that varies (None) along a " +
                       "window axis; this layer needs it known");
    p.kernel[d] = k;
    p.strides[d] = s;
    p.dilation[d] = dil;
    if (padding == "same") {
      // TF/Keras: output ceil(size / s); any odd padding pixel goes at the end.
      const int64_t out = (size + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + extent - size, 0);
      p.pad_begin[d] = total / 2;
      p.pad_end[d] = total - total / 2;
    } else if (padding == "causal") {
      p.pad_begin[d] = extent - 1;
    } else if (size < extent) {
      throw ValueError(who + ": the window (size " + std::to_string(extent) +
                       " with dilation) is larger than the input " + in.str() +
                       " with padding='valid'");
    }
  }
  return p;
}

Shape window_output_shape(const Shape& in, const WindowParams& p, const IntPair& kernel,
                          int64_t channels) {
  Shape out{in[0]};
  for (int d = 0; d < p.spatial; ++d)
    out.push_back(ops::conv_output_size(in[1 + d], kernel[d], p.strides[d], p.dilation[d],
                                        p.pad_begin[d], p.pad_end[d]));
  out.push_back(channels);
  return out;
}

Shape to_channels_last(const Shape& s) {
  Shape out{s[0]};
  for (int i = 2; i < s.rank(); ++i) out.push_back(s[i]);
  out.push_back(s[1]);
  return out;
}

Shape to_channels_first(const Shape& s) {
  Shape out{s[0], s[s.rank() - 1]};
  for (int i = 1; i < s.rank() - 1; ++i) out.push_back(s[i]);
  return out;
}

Tensor to_channels_last(const Tensor& x) {
  std::vector<int> perm{0};
  for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
  perm.push_back(1);
  return ops::transpose(x, perm);
}

Tensor to_channels_first(const Tensor& x) {
  std::vector<int> perm{0, x.rank() - 1};
  for (int i = 1; i < x.rank() - 1; ++i) perm.push_back(i);
  return ops::transpose(x, perm);
}

}  // namespace strata
