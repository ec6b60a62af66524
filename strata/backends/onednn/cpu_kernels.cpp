#include "strata/backends/onednn/cpu_kernels.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "strata/backends/onednn/op_checks.hpp"
#include "strata/backends/onednn/philox.hpp"
#include "strata/core/error.hpp"

namespace strata::onednn {

namespace {

// Below this many elements an OpenMP team costs more than it saves.
constexpr int64_t kParallelMin = 1 << 15;

template <class T>
void fill_typed(void* data, int64_t n, T value) {
  T* d = static_cast<T*>(data);
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) d[i] = value;
}

// The first label that is not an integer in [0, classes), or -1.
template <class T>
int64_t first_bad_label(const T* labels, int64_t n, int64_t classes) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = labels[i];
    if constexpr (std::is_floating_point_v<T>) {
      if (!(v >= 0 && v < static_cast<T>(classes)) || std::floor(v) != v) return i;
    } else {
      if (v < 0 || v >= classes) return i;
    }
  }
  return -1;
}

int64_t label_at(const View& labels, int64_t i) {
  switch (labels.dtype) {
    case DType::int32: return static_cast<const int32_t*>(labels.data)[i];
    case DType::int64: return static_cast<const int64_t*>(labels.data)[i];
    case DType::float32: return static_cast<int64_t>(static_cast<const float*>(labels.data)[i]);
  }
  return 0;
}

[[noreturn]] void bad_label(const View& labels, int64_t i, int64_t classes) {
  std::ostringstream msg;
  msg << "label ";
  bool integral = true;
  switch (labels.dtype) {
    case DType::int32: msg << static_cast<const int32_t*>(labels.data)[i]; break;
    case DType::int64: msg << static_cast<const int64_t*>(labels.data)[i]; break;
    case DType::float32: {
      const float v = static_cast<const float*>(labels.data)[i];
      msg << v;
      integral = std::isfinite(v) && std::floor(v) == v;
      break;
    }
  }
  msg << " at sample " << i;
  if (integral)
    msg << " is out of range [0, " << classes << ")";
  else
    msg << " is not an integer class index in [0, " << classes << ")";
  throw ValueError(msg.str());
}

bool non_finite(float v) {
  return (std::bit_cast<uint32_t>(v) & 0x7f800000u) == 0x7f800000u;
}

}  // namespace

void fill(const View& dst, double value) {
  const int64_t n = dst.shape.numel();
  if (n == 0) return;
  if (value == 0.0 && !std::signbit(value)) {
    std::memset(dst.data, 0, static_cast<size_t>(n) * dtype_size(dst.dtype));
    return;
  }
  switch (dst.dtype) {
    case DType::float32: fill_typed(dst.data, n, static_cast<float>(value)); break;
    case DType::int32: fill_typed(dst.data, n, static_cast<int32_t>(value)); break;
    case DType::int64: fill_typed(dst.data, n, static_cast<int64_t>(value)); break;
  }
}

void one_hot(const View& labels, const View& out) {
  require_f32("one_hot", out, "out");
  const int64_t n = labels.shape.numel();
  if (out.shape.rank() != 2 || out.shape[0] != n)
    op_error("one_hot", "out must have shape (" + std::to_string(n) + ", classes) for labels " +
                            labels.shape.str() + ", got " + out.shape.str());
  const int64_t classes = out.shape[1];
  int64_t bad = -1;
  switch (labels.dtype) {
    case DType::int32:
      bad = first_bad_label(static_cast<const int32_t*>(labels.data), n, classes);
      break;
    case DType::int64:
      bad = first_bad_label(static_cast<const int64_t*>(labels.data), n, classes);
      break;
    case DType::float32:
      bad = first_bad_label(static_cast<const float*>(labels.data), n, classes);
      break;
  }
  if (bad >= 0) bad_label(labels, bad, classes);

  float* o = out.f();
#pragma omp parallel for if (n * classes >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    std::memset(o + i * classes, 0, static_cast<size_t>(classes) * sizeof(float));
    o[i * classes + label_at(labels, i)] = 1.f;
  }
}

void dropout_mask(const View& mask, float rate, uint64_t seed, uint64_t offset) {
  require_f32("dropout_mask", mask, "mask");
  if (!(rate >= 0.f && rate <= 1.f))
    op_error("dropout_mask", "rate must be in [0, 1], got " + std::to_string(rate));
  const int64_t n = mask.shape.numel();
  if (n == 0) return;
  if (rate == 0.f || rate == 1.f) {
    fill(mask, rate == 0.f ? 1.0 : 0.0);
    return;
  }
  const float scale = 1.f / (1.f - rate);
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(static_cast<double>(rate) * 16777216.0));
  const std::array<uint32_t, 2> key = {static_cast<uint32_t>(seed),
                                       static_cast<uint32_t>(seed >> 32)};
  float* m = mask.f();
  const uint64_t end = offset + static_cast<uint64_t>(n);
  const uint64_t first_group = offset / 64;
  const int64_t groups = static_cast<int64_t>((end + 63) / 64 - first_group);
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t g = 0; g < groups; ++g) {
    const uint64_t group = first_group + static_cast<uint64_t>(g);
    uint32_t words[4][16];
    philox4x32_10_x16(group * 16, key, words);
    const uint32_t* w = &words[0][0];  // element group * 64 + j is w[j]
    const uint64_t e0 = group * 64;
    if (e0 >= offset && e0 + 64 <= end) {
      float* out = m + (e0 - offset);
#pragma omp simd
      for (int j = 0; j < 64; ++j) out[j] = (w[j] >> 8) < threshold ? 0.f : scale;
    } else {
      for (uint64_t j = 0; j < 64; ++j) {
        const uint64_t e = e0 + j;
        if (e >= offset && e < end) m[e - offset] = (w[j] >> 8) < threshold ? 0.f : scale;
      }
    }
  }
}

int64_t first_non_finite(const View& x) {
  require_f32("first_non_finite", x, "x");
  const int64_t n = x.shape.numel();
  const float* d = x.f();
  // Blocks are scanned with a vectorised "any" test; only the earliest bad block is searched
  // element by element, and blocks after the best one found so far are skipped.
  constexpr int64_t kBlock = 4096;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::atomic<int64_t> best{blocks};
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t b = 0; b < blocks; ++b) {
    if (b >= best.load(std::memory_order_relaxed)) continue;
    const int64_t lo = b * kBlock, hi = lo + kBlock < n ? lo + kBlock : n;
    int any = 0;
#pragma omp simd reduction(| : any)
    for (int64_t i = lo; i < hi; ++i) any |= non_finite(d[i]) ? 1 : 0;
    if (!any) continue;
    int64_t cur = best.load(std::memory_order_relaxed);
    while (b < cur && !best.compare_exchange_weak(cur, b, std::memory_order_relaxed)) {
    }
  }
  const int64_t b = best.load();
  if (b == blocks) return -1;
  for (int64_t i = b * kBlock; i < n; ++i)
    if (non_finite(d[i])) return i;
  return -1;
}

// ---- gather_rows / scatter_add_rows ----
// oneDNN 2.6 has no gather primitive: plain loops, parallel over rows (gather) or over column
// blocks (scatter-add, so repeated indices never race).

namespace {

int64_t index_at(const View& indices, int64_t i) {
  return indices.dtype == DType::int32 ? static_cast<const int32_t*>(indices.data)[i]
                                       : static_cast<const int64_t*>(indices.data)[i];
}

// Checks dtypes and sizes; returns (rows M, width D).
std::pair<int64_t, int64_t> check_rows_op(const char* op, const View& table, const View& indices,
                                          const View& rows, const char* rows_name) {
  require_f32(op, table, "table");
  require_f32(op, rows, rows_name);
  if (indices.dtype != DType::int32 && indices.dtype != DType::int64)
    op_error(op, std::string("indices must be int32 or int64, got ") + dtype_name(indices.dtype));
  if (table.shape.rank() != 2)
    op_error(op, "table must have shape (rows, width), got " + table.shape.str());
  const int64_t m = indices.shape.numel(), d = table.shape[1];
  if (rows.shape.numel() != m * d)
    op_error(op, std::string(rows_name) + " must have " + std::to_string(m) + " x " +
                     std::to_string(d) + " elements for indices " + indices.shape.str() +
                     " and table " + table.shape.str() + ", got " + rows.shape.str());
  const int64_t v = table.shape[0];
  for (int64_t i = 0; i < m; ++i) {
    const int64_t k = index_at(indices, i);
    if (k < 0 || k >= v)
      throw ValueError(std::string(op) + ": index " + std::to_string(k) + " at position " +
                       std::to_string(i) + " is out of range [0, " + std::to_string(v) + ")");
  }
  return {m, d};
}

}  // namespace

void gather_rows(const View& table, const View& indices, const View& out) {
  const auto [m, d] = check_rows_op("gather_rows", table, indices, out, "out");
  const float* t = table.f();
  float* o = out.f();
#pragma omp parallel for if (m * d >= kParallelMin)
  for (int64_t i = 0; i < m; ++i)
    std::memcpy(o + i * d, t + index_at(indices, i) * d, static_cast<size_t>(d) * sizeof(float));
}

void scatter_add_rows(const View& grad, const View& indices, const View& table_grad) {
  const auto [m, d] = check_rows_op("scatter_add_rows", table_grad, indices, grad, "grad");
  const float* g = grad.f();
  float* t = table_grad.f();
  constexpr int64_t kCols = 64;
  const int64_t blocks = (d + kCols - 1) / kCols;
#pragma omp parallel for if (m * d >= kParallelMin && blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t lo = b * kCols, hi = std::min(d, lo + kCols);
    for (int64_t i = 0; i < m; ++i) {
      float* dst = t + index_at(indices, i) * d;
      const float* src = g + i * d;
#pragma omp simd
      for (int64_t c = lo; c < hi; ++c) dst[c] += src[c];
    }
  }
}

}  // namespace strata::onednn
