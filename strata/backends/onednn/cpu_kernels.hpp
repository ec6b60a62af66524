// OpenMP loops for the backend ops oneDNN 2.6 has no primitive for: fill, one-hot, dropout
// masks and the non-finite check. Arguments and semantics are those of the Backend methods of
// the same name (backends/backend.hpp).
#pragma once

#include <cstdint>

#include "strata/backends/backend.hpp"

namespace strata::onednn {

void fill(const View& dst, double value);
void one_hot(const View& labels, const View& out);
// Element i of the mask is a function of e = offset + i and `seed` alone: with g = e / 64 and
// j = e % 64 it takes word j / 16 of Philox-4x32-10 with key `seed` and counter g * 16 + j % 16
// (so 64 consecutive elements come from 16 consecutive counters, a SIMD-friendly layout), and is
// dropped when that word's top 24 bits, as a fraction of 2^24, fall below `rate`.
void dropout_mask(const View& mask, float rate, uint64_t seed, uint64_t offset);
int64_t first_non_finite(const View& x);
// Embedding lookup and its backward. oneDNN 2.6 has no gather primitive, so these are plain
// OpenMP loops.
void gather_rows(const View& table, const View& indices, const View& out);
void scatter_add_rows(const View& grad, const View& indices, const View& table_grad);

// ---- image augmentation (cpu_image.cpp) ----
void image_transform(const View& x, const View& y, const float* matrices, bool bilinear,
                     int fill_mode, float fill_value);

}  // namespace strata::onednn
