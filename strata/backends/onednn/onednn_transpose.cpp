// Transposes as a dnnl::reorder from x, described with permuted strides, to the dense y.
// Size-1 dims are dropped and dims that stay adjacent under the permutation merged first, so
// e.g. [B,T,H,D] -> [B,H,T,D] runs as a 4-d reorder but [B,1,C] -> [B,C,1] is a plain copy.
// Elements are moved as raw bits (s32 words; an int64 element is two of them).
#include <algorithm>
#include <cstring>
#include <string>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

constexpr const char* kOp = "transpose";

// x's dims (in x order) and the permutation, after collapsing.
struct Collapsed {
  int64_t x[Shape::kMaxRank];
  int64_t perm[Shape::kMaxRank];
  int rank = 0;
};

Collapsed collapse(const Shape& x, const std::vector<int>& perm) {
  const int r = x.rank();
  // Drop size-1 dims: renumber the remaining x dims and filter the permutation.
  int renum[Shape::kMaxRank];
  int64_t kept[Shape::kMaxRank];
  int nk = 0;
  for (int i = 0; i < r; ++i) {
    renum[i] = x[i] == 1 ? -1 : nk;
    if (x[i] != 1) kept[nk++] = x[i];
  }
  int p[Shape::kMaxRank];
  int np = 0;
  for (int i = 0; i < r; ++i)
    if (renum[perm[i]] >= 0) p[np++] = renum[perm[i]];

  // Runs of consecutive x dims that stay in order in y become one dim.
  int run_start[Shape::kMaxRank], run_len[Shape::kMaxRank];
  int nr = 0;
  for (int i = 0; i < np; ++i) {
    if (i > 0 && p[i] == p[i - 1] + 1) {
      ++run_len[nr - 1];
    } else {
      run_start[nr] = p[i];
      run_len[nr] = 1;
      ++nr;
    }
  }
  // Runs in x order give the collapsed x; each y position maps to its run's rank in x order.
  int order[Shape::kMaxRank];
  for (int i = 0; i < nr; ++i) order[i] = i;
  std::sort(order, order + nr, [&](int u, int v) { return run_start[u] < run_start[v]; });
  Collapsed c;
  c.rank = nr;
  for (int k = 0; k < nr; ++k) {
    const int run = order[k];
    int64_t d = 1;
    for (int j = 0; j < run_len[run]; ++j) d *= kept[run_start[run] + j];
    c.x[k] = d;
    c.perm[run] = k;
  }
  return c;
}

void check_args(const View& x, const View& y, const std::vector<int>& perm) {
  if (x.dtype != y.dtype)
    op_error(kOp, "x and y must have the same dtype, got " + dtype_name(x.dtype) + " and " +
                      dtype_name(y.dtype));
  const int r = x.shape.rank();
  bool ok = y.shape.rank() == r && static_cast<int>(perm.size()) == r;
  bool seen[Shape::kMaxRank] = {};
  for (int i = 0; ok && i < r; ++i) {
    ok = perm[i] >= 0 && perm[i] < r && !seen[perm[i]] && y.shape[i] == x.shape[perm[i]];
    if (ok) seen[perm[i]] = true;
  }
  if (!ok) {
    std::string p;
    for (int v : perm) p += (p.empty() ? "" : ", ") + std::to_string(v);
    op_error(kOp, "cannot permute " + x.shape.str() + " by [" + p + "] into " + y.shape.str());
  }
}

}  // namespace

void transpose(const View& x, const View& y, const std::vector<int>& perm) {
  check_args(x, y, perm);
  const int64_t n = x.shape.numel();
  if (n == 0) return;
  const Collapsed c = collapse(x.shape, perm);
  const size_t words = dtype_size(x.dtype) / 4;
  if (c.rank <= 1) {
    if (x.data != y.data) std::memcpy(y.data, x.data, static_cast<size_t>(n) * words * 4);
    return;
  }

  PrimKey key(PrimKey::transpose);
  key.add(static_cast<int64_t>(words));
  key.add(c.x, c.rank);
  key.add(c.perm, c.rank);
  run_cached(
      key,
      [&] {
        const int r = c.rank;
        // An element of `words` s32 words is one more, innermost dim.
        memory::dims x_dims(c.x, c.x + r);
        if (words > 1) x_dims.push_back(static_cast<int64_t>(words));
        const memory::dims x_strides = dense_strides(x_dims);
        memory::dims y_dims(x_dims.size()), src_strides(x_dims.size());
        for (int i = 0; i < r; ++i) {
          y_dims[i] = x_dims[c.perm[i]];
          src_strides[i] = x_strides[c.perm[i]];
        }
        if (words > 1) {
          y_dims[r] = x_dims[r];
          src_strides[r] = 1;
        }
        const memory::desc src_md(y_dims, memory::data_type::s32, src_strides);
        const memory::desc dst_md = plain_md(y_dims, memory::data_type::s32);
        dnnl::reorder::primitive_desc pd(engine(), src_md, engine(), dst_md);
        Prim p;
        p.primitive = dnnl::reorder(pd);
        p.bind(DNNL_ARG_FROM, src_md);
        p.bind(DNNL_ARG_TO, dst_md);
        return p;
      },
      {x.data, y.data});
}

}  // namespace strata::onednn
