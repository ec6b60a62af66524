// Broadcasting element-wise arithmetic on dnnl::binary. oneDNN 2.6 broadcasts only src1 (src0
// must have dst's shape), so:
//   - a has c's shape: c = a op b directly;
//   - only b has c's shape: swap the operands (gt becomes lt); sub and div undo the swap with
//     an eltwise post-op (negate, reciprocal), so c may still alias b;
//   - neither has c's shape (e.g. [N,1] op [1,M]): materialise a into c (zero, then c += a),
//     then c = c op b in place. c cannot alias a or b here, since both are smaller than c.
// Shapes are first collapsed: dims where c is 1 are dropped and neighbouring dims with the same
// broadcast pattern merged, e.g. [B,T,C] + [1,1,C] runs as [B*T,C] + [1,C]. That keeps the
// patterns oneDNN's fast kernels recognise and lets equivalent shapes share a primitive.
#include <cstring>
#include <stdexcept>
#include <string>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

constexpr const char* kOp = "binary";

struct Dims {
  int64_t d[Shape::kMaxRank];
  int rank = 0;
  memory::dims vec() const { return memory::dims(d, d + rank); }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= d[i];
    return n;
  }
};

struct Collapsed {
  Dims a, b, c;
};

Collapsed collapse(const Shape& a, const Shape& b, const Shape& c) {
  Collapsed out;
  int prev = -1;
  for (int i = 0; i < c.rank(); ++i) {
    if (c[i] == 1) continue;
    const int cls = (a[i] == c[i] ? 1 : 0) | (b[i] == c[i] ? 2 : 0);
    if (cls == prev) {
      const int j = out.c.rank - 1;
      out.c.d[j] *= c[i];
      out.a.d[j] *= a[i];
      out.b.d[j] *= b[i];
    } else {
      out.c.d[out.c.rank++] = c[i];
      out.a.d[out.a.rank++] = a[i];
      out.b.d[out.b.rank++] = b[i];
      prev = cls;
    }
  }
  if (out.c.rank == 0) {
    out.a.d[0] = out.b.d[0] = out.c.d[0] = 1;
    out.a.rank = out.b.rank = out.c.rank = 1;
  }
  return out;
}

// `swapped`: the algorithm that computes a op b from src0 = b, src1 = a, up to the Fixup below.
dnnl::algorithm binary_alg(BinaryOp op, bool swapped) {
  switch (op) {
    case BinaryOp::add: return dnnl::algorithm::binary_add;
    case BinaryOp::sub: return dnnl::algorithm::binary_sub;
    case BinaryOp::mul: return dnnl::algorithm::binary_mul;
    case BinaryOp::div: return dnnl::algorithm::binary_div;
    case BinaryOp::max: return dnnl::algorithm::binary_max;
    case BinaryOp::min: return dnnl::algorithm::binary_min;
    case BinaryOp::gt: return swapped ? dnnl::algorithm::binary_lt : dnnl::algorithm::binary_gt;
  }
  throw std::logic_error("unknown binary op");
}

// What to apply to the result of a swapped sub/div to get a op b back.
enum class Fixup { none, negate, reciprocal };

// dst = fix(src0 alg src1); src0 has dst's dims.
void run_binary(dnnl::algorithm alg, Fixup fix, const Dims& src0, const Dims& src1,
                const void* p0, const void* p1, void* dst) {
  PrimKey key(PrimKey::binary);
  key.add(static_cast<int64_t>(alg));
  key.add(static_cast<int64_t>(fix));
  key.add(src0.d, src0.rank);
  key.add(src1.d, src1.rank);
  run_cached(
      key,
      [&] {
        const memory::data_type t = memory::data_type::f32;
        const memory::desc md0 = plain_md(src0.vec(), t);
        const memory::desc md1 = plain_md(src1.vec(), t);
        dnnl::primitive_attr attr;
        if (fix != Fixup::none) {
          dnnl::post_ops ops;
          if (fix == Fixup::negate)
            ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, -1.f, 0.f);
          else
            ops.append_eltwise(1.f, dnnl::algorithm::eltwise_pow, 1.f, -1.f);
          attr.set_post_ops(ops);
        }
        dnnl::binary::desc d(alg, md0, md1, md0);
        dnnl::binary::primitive_desc pd(d, attr, engine());
        Prim p;
        p.primitive = dnnl::binary(pd);
        p.bind(DNNL_ARG_SRC_0, md0);
        p.bind(DNNL_ARG_SRC_1, md1);
        p.bind(DNNL_ARG_DST, md0);
        return p;
      },
      {const_cast<void*>(p0), const_cast<void*>(p1), dst});
}

void check_shapes(const View& a, const View& b, const View& c) {
  // oneDNN computes integer binaries in float through its reference kernel (inexact above 2^24),
  // so only float32 is offered.
  require_f32(kOp, a, "a");
  require_f32(kOp, b, "b");
  require_f32(kOp, c, "c");
  bool ok = a.shape.rank() == c.shape.rank() && b.shape.rank() == c.shape.rank();
  for (int i = 0; ok && i < c.shape.rank(); ++i) {
    ok = (a.shape[i] == c.shape[i] || a.shape[i] == 1) &&
         (b.shape[i] == c.shape[i] || b.shape[i] == 1);
  }
  if (!ok)
    op_error(kOp, "shapes " + a.shape.str() + " and " + b.shape.str() +
                      " do not broadcast to " + c.shape.str());
}

}  // namespace

void binary(BinaryOp op, const View& a, const View& b, const View& c) {
  check_shapes(a, b, c);
  if (c.shape.numel() == 0) return;
  const Collapsed s = collapse(a.shape, b.shape, c.shape);
  const int64_t n = s.c.numel();
  const bool a_full = s.a.numel() == n, b_full = s.b.numel() == n;

  if (a_full) {
    run_binary(binary_alg(op, false), Fixup::none, s.c, s.b, a.data, b.data, c.data);
  } else if (b_full) {
    const Fixup fix = op == BinaryOp::sub   ? Fixup::negate
                      : op == BinaryOp::div ? Fixup::reciprocal
                                            : Fixup::none;
    run_binary(binary_alg(op, true), fix, s.c, s.a, b.data, a.data, c.data);
  } else {
    std::memset(c.data, 0, static_cast<size_t>(n) * sizeof(float));
    run_binary(dnnl::algorithm::binary_add, Fixup::none, s.c, s.a, c.data, a.data, c.data);
    run_binary(binary_alg(op, false), Fixup::none, s.c, s.b, c.data, b.data, c.data);
  }
}

}  // namespace strata::onednn
