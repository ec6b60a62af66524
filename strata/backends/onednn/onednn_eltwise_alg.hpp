// Maps Strata's element-wise functions onto oneDNN algorithms; shared by the eltwise primitives
// and by matmul's fused activation post-op.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "strata/backends/backend.hpp"

namespace strata::onednn {

// `use_dst` selects the *_use_dst_for_bwd variant; only valid where
// eltwise_backward_uses_dst() says the function has one.
dnnl::algorithm eltwise_algorithm(EltwiseAlg alg, bool use_dst = false);

}  // namespace strata::onednn
