// Matrix products on dnnl::matmul. Transposed operands are described by swapping the strides of
// their last two dims, so no copy is ever made; bias, activation and accumulation (beta = 1) are
// fused into the primitive as bias argument, eltwise post-op and sum post-op.
#include <string>
#include <vector>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_eltwise_alg.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

constexpr const char* kOp = "matmul";

// Logical [..., rows, cols] view of a stored row-major array, transposed when asked.
memory::desc operand_md(const Shape& stored, bool trans) {
  memory::dims dims = to_dims(stored.begin(), stored.rank());
  memory::dims strides = dense_strides(dims);
  const size_t r = dims.size();
  if (trans) {
    std::swap(dims[r - 1], dims[r - 2]);
    std::swap(strides[r - 1], strides[r - 2]);
  }
  return memory::desc(dims, memory::data_type::f32, strides);
}

bool is_identity(const Eltwise& act) {
  return act.alg == EltwiseAlg::linear && act.alpha == 1.f && act.beta == 0.f;
}

void check_shapes(const View& a, bool trans_a, const View& b, bool trans_b, const View* bias,
                  const View& c, float beta) {
  require_f32(kOp, a, "a");
  require_f32(kOp, b, "b");
  require_f32(kOp, c, "c");
  const int r = c.shape.rank();
  if (r < 2 || a.shape.rank() != r || b.shape.rank() != r)
    op_error(kOp, "a, b and c must have the same rank (2 or more), got " + a.shape.str() + ", " +
                      b.shape.str() + " and " + c.shape.str());
  const int64_t m = c.shape[r - 2], n = c.shape[r - 1];
  const int64_t am = a.shape[trans_a ? r - 1 : r - 2], ak = a.shape[trans_a ? r - 2 : r - 1];
  const int64_t bk = b.shape[trans_b ? r - 1 : r - 2], bn = b.shape[trans_b ? r - 2 : r - 1];
  bool ok = am == m && bn == n && ak == bk;
  for (int i = 0; i < r - 2; ++i) {
    const int64_t ab = a.shape[i], bb = b.shape[i], cb = c.shape[i];
    ok = ok && (ab == cb || ab == 1) && (bb == cb || bb == 1) && (cb == (ab > bb ? ab : bb));
  }
  if (!ok)
    op_error(kOp, "shapes do not match: a " + a.shape.str() + (trans_a ? " (transposed)" : "") +
                      ", b " + b.shape.str() + (trans_b ? " (transposed)" : "") + ", c " +
                      c.shape.str());
  if (bias) {
    require_f32(kOp, *bias, "bias");
    if (bias->shape.rank() != 1 || bias->shape[0] != n)
      op_error(kOp, "bias must have shape (" + std::to_string(n) + ",), got " +
                        bias->shape.str());
  }
  if (beta != 0.f && beta != 1.f)
    op_error(kOp, "beta must be 0 or 1, got " + std::to_string(beta));
}

}  // namespace

void matmul(const View& a, bool trans_a, const View& b, bool trans_b, const View* bias,
            const View& c, float beta, const Eltwise& act) {
  check_shapes(a, trans_a, b, trans_b, bias, c, beta);
  if (c.shape.numel() == 0) return;
  const int ra = a.shape.rank();
  if (a.shape[trans_a ? ra - 2 : ra - 1] == 0) {
    // An empty sum (e.g. the weight gradient of an empty batch): oneDNN's matmul divides by
    // the contraction size, so compute act(0 + bias) (+ c when accumulating) by hand.
    const int64_t n = c.shape[c.shape.rank() - 1], total = c.shape.numel();
    std::vector<float> term(static_cast<size_t>(total), 0.f);
    if (bias)
      for (int64_t i = 0; i < total; ++i) term[static_cast<size_t>(i)] = bias->f()[i % n];
    View t{term.data(), c.shape, DType::float32};
    if (!is_identity(act)) eltwise_forward(act, t, t);
    float* out = c.f();
    for (int64_t i = 0; i < total; ++i)
      out[i] = (beta != 0.f ? out[i] : 0.f) + term[static_cast<size_t>(i)];
    return;
  }

  const bool has_act = !is_identity(act);
  PrimKey key(PrimKey::matmul);
  key.add(a.shape.begin(), a.shape.rank());
  key.add(b.shape.begin(), b.shape.rank());
  key.add(c.shape.begin(), c.shape.rank());
  key.add(static_cast<int64_t>(trans_a) | static_cast<int64_t>(trans_b) << 1 |
          static_cast<int64_t>(bias != nullptr) << 2 | static_cast<int64_t>(beta != 0.f) << 3);
  if (has_act) {
    key.add(static_cast<int64_t>(act.alg));
    key.add(act.alpha);
    key.add(act.beta);
  }

  auto build = [&] {
    const int r = c.shape.rank();
    const memory::desc a_md = operand_md(a.shape, trans_a);
    const memory::desc b_md = operand_md(b.shape, trans_b);
    const memory::desc c_md =
        plain_md(to_dims(c.shape.begin(), r), memory::data_type::f32);
    memory::dims bias_dims(r, 1);
    bias_dims[r - 1] = c.shape[r - 1];
    const memory::desc bias_md = plain_md(bias_dims, memory::data_type::f32);

    dnnl::post_ops ops;
    if (has_act) ops.append_eltwise(1.f, eltwise_algorithm(act.alg), act.alpha, act.beta);
    if (beta != 0.f) ops.append_sum(1.f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);

    const auto d = bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md)
                        : dnnl::matmul::desc(a_md, b_md, c_md);
    dnnl::matmul::primitive_desc pd(d, attr, engine());
    Prim p;
    p.primitive = dnnl::matmul(pd);
    p.bind(DNNL_ARG_SRC, a_md);
    p.bind(DNNL_ARG_WEIGHTS, b_md);
    if (bias) p.bind(DNNL_ARG_BIAS, bias_md);
    p.bind(DNNL_ARG_DST, c_md);
    return p;
  };
  if (bias)
    run_cached(key, build, {a.data, b.data, bias->data, c.data});
  else
    run_cached(key, build, {a.data, b.data, c.data});
}

}  // namespace strata::onednn
