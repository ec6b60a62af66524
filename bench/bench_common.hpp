// Shared pieces of the benchmark programs: timing and the machine's fp32 FMA peak, measured
// with an FMA-bound loop on every OpenMP thread (the ceiling DESIGN.md asks GFLOP/s be put next to).
#pragma once

#include <immintrin.h>
#include <omp.h>

#include <chrono>

namespace strata::bench {

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// GFLOP/s of independent 256-bit FMA chains on all threads. 256-bit ops reach the full FMA rate
// on every AVX2/AVX-512 core we run on (Zen 4 splits 512-bit ops in two), so this is the peak.
__attribute__((target("avx2,fma"))) inline double fma_peak_gflops() {
  const long iters = 20'000'000;
  double start = now_s();
#pragma omp parallel
  {
    __m256 acc[10];
    for (int i = 0; i < 10; ++i) acc[i] = _mm256_set1_ps(float(i));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it)
      for (int i = 0; i < 10; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float sink = 0;
    for (int i = 0; i < 10; ++i) sink += _mm256_cvtss_f32(acc[i]);
    if (sink == 12345.f) __builtin_trap();  // keeps the loop alive
  }
  const double secs = now_s() - start;
  return double(omp_get_max_threads()) * double(iters) * 10 * 8 * 2 / secs / 1e9;
}

}  // namespace strata::bench
