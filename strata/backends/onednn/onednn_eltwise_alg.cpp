#include "strata/backends/onednn/onednn_eltwise_alg.hpp"

#include <stdexcept>

namespace strata::onednn {

dnnl::algorithm eltwise_algorithm(EltwiseAlg alg, bool use_dst) {
  using A = dnnl::algorithm;
  if (use_dst) {
    switch (alg) {
      case EltwiseAlg::relu: return A::eltwise_relu_use_dst_for_bwd;
      case EltwiseAlg::elu: return A::eltwise_elu_use_dst_for_bwd;
      case EltwiseAlg::logistic: return A::eltwise_logistic_use_dst_for_bwd;
      case EltwiseAlg::tanh: return A::eltwise_tanh_use_dst_for_bwd;
      case EltwiseAlg::exp: return A::eltwise_exp_use_dst_for_bwd;
      case EltwiseAlg::sqrt: return A::eltwise_sqrt_use_dst_for_bwd;
      default: throw std::logic_error("eltwise function has no dst-based backward in oneDNN");
    }
  }
  switch (alg) {
    case EltwiseAlg::relu: return A::eltwise_relu;
    case EltwiseAlg::elu: return A::eltwise_elu;
    case EltwiseAlg::logistic: return A::eltwise_logistic;
    case EltwiseAlg::tanh: return A::eltwise_tanh;
    case EltwiseAlg::gelu_erf: return A::eltwise_gelu_erf;
    case EltwiseAlg::gelu_tanh: return A::eltwise_gelu_tanh;
    case EltwiseAlg::soft_relu: return A::eltwise_soft_relu;
    case EltwiseAlg::exp: return A::eltwise_exp;
    case EltwiseAlg::log: return A::eltwise_log;
    case EltwiseAlg::linear: return A::eltwise_linear;
    case EltwiseAlg::abs: return A::eltwise_abs;
    case EltwiseAlg::sqrt: return A::eltwise_sqrt;
    case EltwiseAlg::square: return A::eltwise_square;
    // clip_v2 saturates symmetrically: its gradient is 0 at and beyond both bounds.
    case EltwiseAlg::clip: return A::eltwise_clip_v2;
    case EltwiseAlg::pow: return A::eltwise_pow;
  }
  throw std::logic_error("unknown eltwise function");
}

}  // namespace strata::onednn
