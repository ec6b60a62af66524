// Fused optimizer updates as single OpenMP passes over the parameter (one read and one write of
// each state array). Formulas and arguments are those of the Backend methods of the same name
// (backends/backend.hpp), which follow Keras 3.
#pragma once

#include <cstdint>

#include "strata/backends/backend.hpp"

namespace strata::onednn {

void sgd_update(const View& p, const View& g, const View* velocity, float lr, float momentum,
                bool nesterov);
void adam_update(const View& p, const View& g, const View& m, const View& v, const View* vhat,
                 float lr, float beta1, float beta2, float eps, int64_t step);
void rmsprop_update(const View& p, const View& g, const View& ms, const View* mg,
                    const View* mom, float lr, float rho, float momentum, float eps);

}  // namespace strata::onednn
