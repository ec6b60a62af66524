// Reductions. Shapes are collapsed first (size-1 dims of x dropped, neighbouring dims that are
// all reduced or all kept merged), e.g. [B,T,C] -> [1,1,C] runs as [B*T,C] -> [1,C]; nothing
// reduced means a plain copy. dnnl::reduction has fast kernels only when the reduced dims are
// innermost; otherwise it falls back to a reference loop ~100x slower than memory speed. So the
// common "reduce the rows" shapes [R,K] -> [1,K] and [A,R,K] -> [A,1,K] (bias gradients, means
// over time) run on other primitives instead:
//   sum, mean: matmul of a ones row with x (mean scales by 1/R in an eltwise post-op);
//   max:       max pooling with an R-wide window over x seen as channels-last [A, R, K].
// Everything else (min over rows, several reduced blocks) stays on dnnl::reduction.
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

constexpr const char* kOp = "reduce";

struct Dims {
  int64_t d[Shape::kMaxRank];
  int rank = 0;
  memory::dims vec() const { return memory::dims(d, d + rank); }
};

// Returns false when no dim is reduced.
bool collapse(const Shape& x, const Shape& y, Dims& cx, Dims& cy) {
  int prev = -1;
  bool any_reduced = false;
  for (int i = 0; i < x.rank(); ++i) {
    if (x[i] == 1) continue;
    const int reduced = y[i] == 1 ? 1 : 0;
    any_reduced = any_reduced || reduced;
    if (reduced == prev) {
      cx.d[cx.rank - 1] *= x[i];
      cy.d[cy.rank - 1] *= y[i];
    } else {
      cx.d[cx.rank++] = x[i];
      cy.d[cy.rank++] = y[i];
      prev = reduced;
    }
  }
  return any_reduced;
}

dnnl::algorithm reduction_alg(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return dnnl::algorithm::reduction_sum;
    case ReduceOp::mean: return dnnl::algorithm::reduction_mean;
    case ReduceOp::max: return dnnl::algorithm::reduction_max;
    case ReduceOp::min: return dnnl::algorithm::reduction_min;
  }
  throw std::logic_error("unknown reduce op");
}

// What reducing zero elements gives: each op's identity, and NaN for the mean (0 / 0).
float empty_reduction(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return 0.f;
    case ReduceOp::mean: return std::numeric_limits<float>::quiet_NaN();
    case ReduceOp::max: return -std::numeric_limits<float>::infinity();
    case ReduceOp::min: return std::numeric_limits<float>::infinity();
  }
  return 0.f;
}

void reduce_generic(ReduceOp op, const Dims& cx, const Dims& cy, void* x, void* y) {
  PrimKey key(PrimKey::reduce);
  key.add(static_cast<int64_t>(op));
  key.add(cx.d, cx.rank);
  key.add(cy.d, cy.rank);
  run_cached(
      key,
      [&] {
        const memory::desc x_md = plain_md(cx.vec(), memory::data_type::f32);
        const memory::desc y_md = plain_md(cy.vec(), memory::data_type::f32);
        dnnl::reduction::desc d(reduction_alg(op), x_md, y_md, 0.f, 0.f);
        dnnl::reduction::primitive_desc pd(d, engine());
        Prim p;
        p.primitive = dnnl::reduction(pd);
        p.bind(DNNL_ARG_SRC, x_md);
        p.bind(DNNL_ARG_DST, y_md);
        return p;
      },
      {x, y});
}

// y[a, 0, k] = sum_r x[a, r, k] (times 1/R for the mean), as ones[1, R] . x[a].
void reduce_rows_sum(int64_t a, int64_t r, int64_t k, bool mean, void* x, void* y) {
  PrimKey key(PrimKey::reduce_rows);
  key.add(static_cast<int64_t>(mean ? ReduceOp::mean : ReduceOp::sum));
  key.add(a);
  key.add(r);
  key.add(k);
  run_cached(
      key,
      [&] {
        const auto f32 = memory::data_type::f32;
        const memory::desc ones_md = plain_md({1, 1, r}, f32);
        const memory::desc x_md = plain_md({a, r, k}, f32);
        const memory::desc y_md = plain_md({a, 1, k}, f32);
        dnnl::primitive_attr attr;
        if (mean) {
          dnnl::post_ops ops;
          ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear,
                             static_cast<float>(1.0 / static_cast<double>(r)), 0.f);
          attr.set_post_ops(ops);
        }
        dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ones_md, x_md, y_md), attr,
                                        engine());
        dnnl::memory ones(ones_md, engine());
        float* o = static_cast<float*>(ones.get_data_handle());
        for (int64_t i = 0; i < r; ++i) o[i] = 1.f;
        Prim p;
        p.primitive = dnnl::matmul(pd);
        p.bind(DNNL_ARG_WEIGHTS, x_md);
        p.bind(DNNL_ARG_DST, y_md);
        p.fix(DNNL_ARG_SRC, ones);
        return p;
      },
      {x, y});
}

// y[a, 0, k] = max_r x[a, r, k]: 1-d max pooling over x seen as channels-last (N=a, W=r, C=k).
void reduce_rows_max(int64_t a, int64_t r, int64_t k, void* x, void* y) {
  PrimKey key(PrimKey::reduce_rows);
  key.add(static_cast<int64_t>(ReduceOp::max));
  key.add(a);
  key.add(r);
  key.add(k);
  run_cached(
      key,
      [&] {
        using tag = memory::format_tag;
        const memory::desc x_md({a, k, r}, memory::data_type::f32, tag::nwc);
        const memory::desc y_md({a, k, 1}, memory::data_type::f32, tag::nwc);
        dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::pooling_max, x_md, y_md, {r}, {r}, {0},
                                         {0}, {0});
        dnnl::pooling_v2_forward::primitive_desc pd(d, engine());
        Prim p;
        p.primitive = dnnl::pooling_v2_forward(pd);
        p.bind(DNNL_ARG_SRC, x_md);
        p.bind(DNNL_ARG_DST, y_md);
        return p;
      },
      {x, y});
}

void check_shapes(const View& x, const View& y) {
  require_f32(kOp, x, "x");
  require_f32(kOp, y, "y");
  bool ok = x.shape.rank() == y.shape.rank();
  for (int i = 0; ok && i < x.shape.rank(); ++i)
    ok = y.shape[i] == x.shape[i] || y.shape[i] == 1;
  if (!ok)
    op_error(kOp, "cannot reduce shape " + x.shape.str() + " to " + y.shape.str() +
                      " (same rank; each dim equal or 1)");
}

}  // namespace

void reduce(ReduceOp op, const View& x, const View& y) {
  check_shapes(x, y);
  const int64_t ny = y.shape.numel();
  if (ny == 0) return;
  if (x.shape.numel() == 0) {
    float* out = y.f();
    for (int64_t i = 0; i < ny; ++i) out[i] = empty_reduction(op);
    return;
  }
  Dims cx, cy;
  if (!collapse(x.shape, y.shape, cx, cy)) {
    if (x.data != y.data) std::memcpy(y.data, x.data, static_cast<size_t>(ny) * sizeof(float));
    return;
  }
  // [R, K] or [A, R, K] with R reduced: a single reduced block that is not innermost.
  const int r = cx.rank;
  const bool rows = (r == 2 || r == 3) && cy.d[r - 2] == 1 && cx.d[r - 2] != 1;
  if (rows && op != ReduceOp::min) {
    const int64_t a = r == 3 ? cx.d[0] : 1, rr = cx.d[r - 2], k = cx.d[r - 1];
    if (op == ReduceOp::max)
      reduce_rows_max(a, rr, k, x.data, y.data);
    else
      reduce_rows_sum(a, rr, k, op == ReduceOp::mean, x.data, y.data);
    return;
  }
  reduce_generic(op, cx, cy, x.data, y.data);
}

}  // namespace strata::onednn
