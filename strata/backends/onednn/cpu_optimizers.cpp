#include "strata/backends/onednn/cpu_optimizers.hpp"

#include <cmath>
#include <string>

#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

constexpr int64_t kParallelMin = 1 << 14;

// Every state must be a float32 array with the parameter's element count.
int64_t check_state(const char* op, const View& p, const View& other, const char* name) {
  require_f32(op, other, name);
  require_same_numel(op, p, "p", other, name);
  return p.shape.numel();
}

}  // namespace

void sgd_update(const View& p, const View& g, const View* velocity, float lr, float momentum,
                bool nesterov) {
  constexpr const char* kOp = "sgd_update";
  require_f32(kOp, p, "p");
  const int64_t n = check_state(kOp, p, g, "g");
  float* __restrict pw = p.f();
  const float* __restrict gw = g.f();
  if (momentum == 0.f) {
#pragma omp parallel for simd if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) pw[i] -= lr * gw[i];
    return;
  }
  if (!velocity) op_error(kOp, "momentum " + std::to_string(momentum) + " needs a velocity");
  check_state(kOp, p, *velocity, "velocity");
  float* __restrict vw = velocity->f();
  if (nesterov) {
#pragma omp parallel for simd if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const float v = momentum * vw[i] - lr * gw[i];
      vw[i] = v;
      pw[i] += momentum * v - lr * gw[i];
    }
  } else {
#pragma omp parallel for simd if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const float v = momentum * vw[i] - lr * gw[i];
      vw[i] = v;
      pw[i] += v;
    }
  }
}

void adam_update(const View& p, const View& g, const View& m, const View& v, const View* vhat,
                 float lr, float beta1, float beta2, float eps, int64_t step) {
  constexpr const char* kOp = "adam_update";
  require_f32(kOp, p, "p");
  const int64_t n = check_state(kOp, p, g, "g");
  check_state(kOp, p, m, "m");
  check_state(kOp, p, v, "v");
  if (vhat) check_state(kOp, p, *vhat, "vhat");
  if (step < 1) op_error(kOp, "step is 1-based, got " + std::to_string(step));
  const double b1 = beta1, b2 = beta2, t = static_cast<double>(step);
  const float alpha =
      static_cast<float>(lr * std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t)));
  const float c1 = 1.f - beta1, c2 = 1.f - beta2;
  float* __restrict pw = p.f();
  const float* __restrict gw = g.f();
  float* __restrict mw = m.f();
  float* __restrict vw = v.f();
  if (vhat) {
    float* __restrict hw = vhat->f();
#pragma omp parallel for simd if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const float gi = gw[i];
      const float mi = mw[i] + (gi - mw[i]) * c1;
      const float vi = vw[i] + (gi * gi - vw[i]) * c2;
      const float hi = hw[i] > vi ? hw[i] : vi;
      mw[i] = mi;
      vw[i] = vi;
      hw[i] = hi;
      pw[i] -= alpha * mi / (std::sqrt(hi) + eps);
    }
  } else {
#pragma omp parallel for simd if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) {
      const float gi = gw[i];
      const float mi = mw[i] + (gi - mw[i]) * c1;
      const float vi = vw[i] + (gi * gi - vw[i]) * c2;
      mw[i] = mi;
      vw[i] = vi;
      pw[i] -= alpha * mi / (std::sqrt(vi) + eps);
    }
  }
}

void rmsprop_update(const View& p, const View& g, const View& ms, const View* mg,
                    const View* mom, float lr, float rho, float momentum, float eps) {
  constexpr const char* kOp = "rmsprop_update";
  require_f32(kOp, p, "p");
  const int64_t n = check_state(kOp, p, g, "g");
  check_state(kOp, p, ms, "ms");
  if (mg) check_state(kOp, p, *mg, "mg");
  if (mom) check_state(kOp, p, *mom, "mom");
  const float c = 1.f - rho;
  float* __restrict pw = p.f();
  const float* __restrict gw = g.f();
  float* __restrict sw = ms.f();
  float* __restrict aw = mg ? mg->f() : nullptr;
  float* __restrict kw = mom ? mom->f() : nullptr;
  // The two optional states are loop-invariant branches; the compiler unswitches them.
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = gw[i];
    const float si = rho * sw[i] + c * gi * gi;
    sw[i] = si;
    float denom = si + eps;
    if (aw) {
      const float ai = rho * aw[i] + c * gi;
      aw[i] = ai;
      denom = si - ai * ai + eps;
    }
    const float inc = lr * gi / std::sqrt(denom);
    if (kw) {
      const float ki = momentum * kw[i] + inc;
      kw[i] = ki;
      pw[i] -= ki;
    } else {
      pw[i] -= inc;
    }
  }
}

}  // namespace strata::onednn
