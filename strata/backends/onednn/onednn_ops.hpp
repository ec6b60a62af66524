// The ops the oneDNN backend runs as oneDNN primitives, one source file each. Arguments and
// semantics are those of the Backend methods of the same name (backends/backend.hpp); these
// functions add the shape checks and the mapping onto cached primitives.
#pragma once

#include <vector>

#include "strata/backends/backend.hpp"

namespace strata::onednn {

void matmul(const View& a, bool trans_a, const View& b, bool trans_b, const View* bias,
            const View& c, float beta, const Eltwise& act);
void binary(BinaryOp op, const View& a, const View& b, const View& c);
void reduce(ReduceOp op, const View& x, const View& y);
void transpose(const View& x, const View& y, const std::vector<int>& perm);
void eltwise_forward(const Eltwise& e, const View& x, const View& y);
void eltwise_backward(const Eltwise& e, const View& dy, const View& saved, const View& dx);
void softmax_forward(const View& x, const View& y, int axis, bool log);
void softmax_backward(const View& dy, const View& y, const View& dx, int axis, bool log);

}  // namespace strata::onednn
