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

// ---- pooling, normalisation, resampling, windows (onednn_pool.cpp, onednn_norm.cpp,
// onednn_resample.cpp, onednn_window.cpp) ----
// pool_forward and layernorm_forward take their payload memory from `be`'s pool.
PayloadPtr pool_forward(Backend& be, PoolKind kind, const View& x, const View& y,
                        const WindowParams& p, bool training);
void pool_backward(PoolKind kind, const View& dy, const Payload* saved, const View& dx,
                   const WindowParams& p);
void batchnorm_forward(const View& x, const View& y, const View* gamma, const View* beta,
                       const View& mean, const View& var, float eps, bool training);
void batchnorm_backward(const View& dy, const View& x, const View* gamma, const View& mean,
                        const View& var, const View& dx, const View* dgamma, const View* dbeta,
                        float eps);
PayloadPtr layernorm_forward(Backend& be, const View& x, const View& y, const View* gamma,
                             const View* beta, float eps);
void layernorm_backward(const View& dy, const View& x, const View* gamma, const Payload& saved,
                        const View& dx, const View* dgamma, const View* dbeta, float eps);
void resample_forward(const View& x, const View& y, bool bilinear);
void resample_backward(const View& dy, const View& dx, bool bilinear);
void window_copy(const View& small, const View& big, const std::vector<int64_t>& offsets,
                 bool into_big);

// ---- convolution (onednn_conv.cpp, onednn_deconv.cpp) ----------------------------------------
void conv_forward(const View& x, const View& w, const View* bias, const View& y,
                  const WindowParams& p, const Eltwise& act);
void conv_backward_data(const View& dy, const View& w, const View& dx, const WindowParams& p);
void conv_backward_weights(const View& dy, const View& x, const View& dw, const View* dbias,
                           const WindowParams& p);
void deconv_forward(const View& x, const View& w, const View* bias, const View& y,
                    const WindowParams& p);
void deconv_backward_data(const View& dy, const View& w, const View& dx, const WindowParams& p);
void deconv_backward_weights(const View& dy, const View& x, const View& dw, const View* dbias,
                             const WindowParams& p);

}  // namespace strata::onednn
