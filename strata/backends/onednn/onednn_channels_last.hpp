// Channels-last activations (N, W, C), (N, H, W, C), ... described to oneDNN as its logical
// (N, C, spatial...) dims with channels-last strides (nwc / nhwc / ndhwc), so pooling and
// resampling read and write them in place, without reorders.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "strata/core/shape.hpp"

namespace strata::onednn {

inline dnnl::memory::desc channels_last_md(const Shape& s) {
  const int r = s.rank();
  dnnl::memory::dims dims(r), strides(r);
  dims[0] = s[0];
  dims[1] = s[r - 1];
  for (int d = 2; d < r; ++d) dims[d] = s[d - 1];
  strides[1] = 1;
  int64_t step = s[r - 1];
  for (int d = r - 1; d >= 2; --d) {
    strides[d] = step;
    step *= dims[d];
  }
  strides[0] = step;
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

}  // namespace strata::onednn
