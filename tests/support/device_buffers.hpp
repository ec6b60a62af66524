// Backend memory for backend conformance tests: allocate, upload host vectors, download
// results, without the Tensor class (the backend suites test the backend alone).
//
//   Dev x = test::upload(be, std::vector<float>{1, 2, 3}, Shape{3});
//   be.eltwise_forward({EltwiseAlg::tanh}, x.v, x.v);
//   auto y = test::download(be, x.v);
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "strata/backends/backend.hpp"

namespace strata::test {

struct Dev {
  std::shared_ptr<Buffer> buf;
  View v;
};

inline Dev make(Backend& be, const Shape& s, DType t = DType::float32) {
  Dev d;
  d.buf = be.allocate(static_cast<size_t>(s.numel()) * dtype_size(t));
  d.v = View{d.buf->data(), s, t};
  return d;
}

template <class T>
Dev upload(Backend& be, const std::vector<T>& host, const Shape& s) {
  Dev d = make(be, s, dtype_of<T>());
  be.copy_from_host(d.v.data, host.data(), host.size() * sizeof(T));
  return d;
}

template <class T = float>
std::vector<T> download(Backend& be, const View& v) {
  std::vector<T> host(static_cast<size_t>(v.shape.numel()));
  be.copy_to_host(host.data(), v.data, host.size() * sizeof(T));
  return host;
}

inline std::vector<float> random_vec(int64_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(gen);
  return v;
}

}  // namespace strata::test
