// Window copies (the building block of zero padding, cropping and their gradients) as one
// dnnl::reorder between the plain `small` array and a submemory_desc window of `big`: oneDNN
// walks the strided window itself, so no per-element index arithmetic runs here. Any rank up to
// Shape::kMaxRank. int64 elements are copied as pairs of int32 (oneDNN has no 64-bit integer
// type) by giving both sides a trailing dim of 2.
#include <string>
#include <vector>

#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

using dnnl::memory;

// Cache-key tag of this file, outside PrimKey::Op's own values (the 0x100 block belongs to
// pooling, normalisation, resampling and windows), so it never meets another op's key.
constexpr auto kWindowCopy = static_cast<PrimKey::Op>(0x131);

constexpr const char* kOp = "window_copy";

std::string offsets_str(const std::vector<int64_t>& offsets) {
  std::string s = "(";
  for (size_t i = 0; i < offsets.size(); ++i) s += (i ? ", " : "") + std::to_string(offsets[i]);
  return s + ")";
}

void check_window(const View& small, const View& big, const std::vector<int64_t>& offsets) {
  if (small.dtype != big.dtype)
    op_error(kOp, "small is " + dtype_name(small.dtype) + " but big is " +
                      dtype_name(big.dtype));
  const int r = big.shape.rank();
  bool ok = small.shape.rank() == r && static_cast<int>(offsets.size()) == r;
  for (int d = 0; ok && d < r; ++d)
    ok = offsets[d] >= 0 && offsets[d] + small.shape[d] <= big.shape[d];
  if (!ok)
    op_error(kOp, "small " + small.shape.str() + " at offsets " + offsets_str(offsets) +
                      " does not lie inside big " + big.shape.str());
}

}  // namespace

void window_copy(const View& small, const View& big, const std::vector<int64_t>& offsets,
                 bool into_big) {
  check_window(small, big, offsets);
  if (small.shape.numel() == 0) return;
  const int r = big.shape.rank();

  PrimKey key(kWindowCopy);
  key.add(static_cast<int64_t>(small.dtype) | static_cast<int64_t>(into_big) << 8);
  key.add(small.shape.begin(), r);
  key.add(big.shape.begin(), r);
  for (int d = 0; d < r; ++d) key.add(offsets[d]);
  run_cached(
      key,
      [&] {
        memory::dims sd = to_dims(small.shape.begin(), r), bd = to_dims(big.shape.begin(), r);
        memory::dims off = r ? memory::dims(offsets.begin(), offsets.end()) : memory::dims{0};
        auto type = small.dtype == DType::float32 ? memory::data_type::f32
                                                  : memory::data_type::s32;
        if (small.dtype == DType::int64) {
          sd.push_back(2);
          bd.push_back(2);
          off.push_back(0);
        }
        const memory::desc small_md = plain_md(sd, type);
        const memory::desc window_md = plain_md(bd, type).submemory_desc(sd, off);
        const memory::desc& from = into_big ? small_md : window_md;
        const memory::desc& to = into_big ? window_md : small_md;
        dnnl::reorder::primitive_desc pd(engine(), from, engine(), to);
        Prim p;
        p.primitive = dnnl::reorder(pd);
        p.bind(DNNL_ARG_FROM, from);
        p.bind(DNNL_ARG_TO, to);
        return p;
      },
      {into_big ? small.data : big.data, into_big ? big.data : small.data});
}

}  // namespace strata::onednn
