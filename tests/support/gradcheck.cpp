#include "support/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "strata/autodiff/node.hpp"

namespace strata::test {

namespace {

double projected(const Tensor& out, const std::vector<double>& proj) {
  auto v = out.to_vector<float>();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * proj[i];
  return s;
}

}  // namespace

::testing::AssertionResult gradcheck(const Fn& f, std::vector<Tensor> inputs,
                                     GradcheckOptions opts) {
  for (auto& x : inputs) x.zero_grad();
  Tensor out = f(inputs);
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> proj(static_cast<size_t>(out.numel()));
  for (auto& p : proj) p = u(rng);
  std::vector<float> projf(proj.begin(), proj.end());
  Tensor P = Tensor::from_vector(out.shape(), projf, out.backend());
  // L = Σ out ⊙ P: seeding backward with P gives exactly ∂L/∂inputs.
  out.backward(P);

  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    Tensor g = x.grad();
    if (!g.defined())
      return ::testing::AssertionFailure() << "input " << k << " received no gradient";
    auto analytic = g.to_vector<float>();
    auto host = x.to_vector<float>();
    // An in-place overwrite: bump the version so caches keyed on it (RNN weights) see the change.
    auto write = [&x](const std::vector<float>& v) {
      x.backend().copy_from_host(x.data(), v.data(), x.nbytes());
      x.bump_version();
    };
    for (size_t i = 0; i < host.size(); ++i) {
      const float orig = host[i];
      double lp, lm;
      {
        NoGrad ng;
        host[i] = orig + static_cast<float>(opts.eps);
        write(host);
        lp = projected(f(inputs), proj);
        host[i] = orig - static_cast<float>(opts.eps);
        write(host);
        lm = projected(f(inputs), proj);
        host[i] = orig;
        write(host);
      }
      // Use the actually representable step so float rounding of orig±eps doesn't bias it.
      const double step = static_cast<double>(orig + static_cast<float>(opts.eps)) -
                          static_cast<double>(orig - static_cast<float>(opts.eps));
      const double numeric = (lp - lm) / step;
      const double a = analytic[i];
      if (std::abs(numeric - a) > opts.atol + opts.rtol * std::max(std::abs(numeric), std::abs(a)))
        return ::testing::AssertionFailure()
               << "input " << k << " element " << i << " (shape " << x.shape().str()
               << "): numeric " << numeric << " vs analytic " << a;
    }
  }
  return ::testing::AssertionSuccess();
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi,
                     std::vector<float> kinks, float avoid) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (auto& x : v) {
    x = u(rng);
    for (float k : kinks)
      if (std::abs(x - k) < avoid) x = k + (x < k ? -avoid : avoid) * 2.f;
  }
  return Tensor::from_vector(shape, v);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return m;
}

}  // namespace strata::test
