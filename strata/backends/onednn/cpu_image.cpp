// image_transform as an OpenMP loop (oneDNN has no warp primitive): each output pixel finds its
// source coordinate from its sample's 2x3 matrix, remaps the integer neighbours that fall outside
// the image per fill mode, and blends them. Semantics: Backend::image_transform (backend.hpp).
#include <cmath>
#include <cstdint>
#include <string>

#include "strata/backends/onednn/cpu_kernels.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

constexpr int kReflect = 0, kConstant = 1, kNearest = 2, kWrap = 3;

// Below this many output elements an OpenMP team costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

// Source coordinates beyond this read as the fill value: it keeps floor() inside int64 and
// covers NaN and ±inf, which no fill mode can place.
constexpr float kMaxCoord = 1099511627776.f;  // 2^40

// Index i remapped into [0, n) per fill mode, or -1 for "read fill_value".
inline int64_t fix_index(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  if (n == 0) return -1;
  switch (mode) {
    case kReflect: {  // period 2n, mirrored about the outer edge of the border pixel
      const int64_t m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
    case kWrap: return ((i % n) + n) % n;
    case kNearest: return i < 0 ? 0 : n - 1;
    default: return -1;
  }
}

// One output pixel as up to four weighted source pixels (offsets into the sample, or -1 for the
// fill value). Zero-weight taps are dropped so that integer coordinates copy a pixel exactly
// even when its neighbour is inf or NaN.
struct Taps {
  int64_t offset[4];
  float weight[4];
  int count = 0;
  void add(int64_t row, int64_t col, int64_t width, int64_t channels, float w) {
    if (w == 0.f) return;
    offset[count] = row < 0 || col < 0 ? -1 : (row * width + col) * channels;
    weight[count++] = w;
  }
};

Taps taps_at(float r, float c, int64_t h, int64_t w, int64_t ch, bool bilinear, int mode) {
  Taps t;
  if (!(std::fabs(r) < kMaxCoord && std::fabs(c) < kMaxCoord)) {
    t.add(-1, -1, w, ch, 1.f);
    return t;
  }
  if (!bilinear) {
    // std::round (half away from zero), as TensorFlow's ImageProjectiveTransformV3.
    const auto ri = static_cast<int64_t>(std::round(r)), ci = static_cast<int64_t>(std::round(c));
    t.add(fix_index(ri, h, mode), fix_index(ci, w, mode), w, ch, 1.f);
    return t;
  }
  const float r0f = std::floor(r), c0f = std::floor(c);
  const float fr = r - r0f, fc = c - c0f;
  const auto r0 = static_cast<int64_t>(r0f), c0 = static_cast<int64_t>(c0f);
  const int64_t ra = fix_index(r0, h, mode), rb = fix_index(r0 + 1, h, mode);
  const int64_t ca = fix_index(c0, w, mode), cb = fix_index(c0 + 1, w, mode);
  t.add(ra, ca, w, ch, (1.f - fr) * (1.f - fc));
  t.add(ra, cb, w, ch, (1.f - fr) * fc);
  t.add(rb, ca, w, ch, fr * (1.f - fc));
  t.add(rb, cb, w, ch, fr * fc);
  return t;
}

}  // namespace

void image_transform(const View& x, const View& y, const float* matrices, bool bilinear,
                     int fill_mode, float fill_value) {
  require_f32("image_transform", x, "x");
  require_f32("image_transform", y, "y");
  if (x.shape.rank() != 4 || y.shape.rank() != 4)
    op_error("image_transform", "x and y must be (N, H, W, C), got x " + x.shape.str() +
                                    " and y " + y.shape.str());
  if (x.shape[0] != y.shape[0] || x.shape[3] != y.shape[3])
    op_error("image_transform", "x " + x.shape.str() + " and y " + y.shape.str() +
                                    " differ in batch or channels");
  if (fill_mode < kReflect || fill_mode > kWrap)
    op_error("image_transform", "fill_mode must be 0 (reflect), 1 (constant), 2 (nearest) or "
                                "3 (wrap), got " + std::to_string(fill_mode));
  const int64_t n = y.shape[0], oh = y.shape[1], ow = y.shape[2], ch = y.shape[3];
  const int64_t h = x.shape[1], w = x.shape[2];
  if (y.shape.numel() == 0) return;
  if (!matrices) op_error("image_transform", "matrices is null");
  if (x.data == y.data) op_error("image_transform", "y must not alias x");

  const float* src = x.f();
  float* dst = y.f();
#pragma omp parallel for collapse(2) schedule(static) if (y.shape.numel() >= kParallelMin)
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t r = 0; r < oh; ++r) {
      const float* m = matrices + s * 6;
      const float* img = src + s * h * w * ch;
      float* out = dst + (s * oh + r) * ow * ch;
      const auto rf = static_cast<float>(r);
      for (int64_t c = 0; c < ow; ++c, out += ch) {
        const auto cf = static_cast<float>(c);
        const Taps t = taps_at(m[0] * rf + m[1] * cf + m[2], m[3] * rf + m[4] * cf + m[5], h, w,
                               ch, bilinear, fill_mode);
        for (int64_t k = 0; k < ch; ++k) {
          float v = 0.f;
          for (int i = 0; i < t.count; ++i)
            v += t.weight[i] * (t.offset[i] < 0 ? fill_value : img[t.offset[i] + k]);
          out[k] = v;
        }
      }
    }
  }
}

}  // namespace strata::onednn
