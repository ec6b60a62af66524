// Nearest and bilinear resizing on dnnl::resampling. Channels-last images (N, H, W, C) (or
// (N, W, C)) are seen as nchw (ncw) dims with nhwc (nwc) strides; the output size comes from
// y's shape. oneDNN's linear mode samples at half-pixel centres, src = (dst + 0.5) * in / out
// - 0.5 clamped to the image, which is TF / Keras resize with half_pixel_centers=True (no
// antialiasing); nearest rounds the same coordinate, which for integer upscaling factors is
// Keras UpSampling's plain repetition.
#include <string>

#include "strata/backends/onednn/onednn_channels_last.hpp"
#include "strata/backends/onednn/onednn_context.hpp"
#include "strata/backends/onednn/onednn_ops.hpp"
#include "strata/backends/onednn/op_checks.hpp"

namespace strata::onednn {

namespace {

// Cache-key tags of this file, outside PrimKey::Op's own values (the 0x100 block belongs to
// pooling, normalisation, resampling and windows), so they never meet another op's key.
constexpr auto kResampleFwd = static_cast<PrimKey::Op>(0x121);
constexpr auto kResampleBwd = static_cast<PrimKey::Op>(0x122);

// src / dst are the forward's input and output sides (x, y or dx, dy); sn / dn name them.
void check_resample(const char* op, const View& src, const char* sn, const View& dst,
                    const char* dn) {
  require_f32(op, src, sn);
  require_f32(op, dst, dn);
  const int r = src.shape.rank();
  bool ok = (r == 3 || r == 4) && dst.shape.rank() == r && src.shape[0] == dst.shape[0] &&
            src.shape[r - 1] == dst.shape[r - 1];
  for (int d = 1; ok && d < r - 1; ++d) ok = src.shape[d] > 0 && dst.shape[d] > 0;
  if (!ok)
    op_error(op, std::string(sn) + " " + src.shape.str() + " and " + dn + " " +
                     dst.shape.str() +
                     " must both be (N, H, W, C) or (N, W, C) with equal N and C and non-empty "
                     "spatial dims");
}

dnnl::algorithm resample_alg(bool bilinear) {
  return bilinear ? dnnl::algorithm::resampling_linear : dnnl::algorithm::resampling_nearest;
}

dnnl::resampling_forward::primitive_desc forward_pd(const Shape& x, const Shape& y,
                                                    bool bilinear, dnnl::prop_kind prop) {
  dnnl::resampling_forward::desc d(prop, resample_alg(bilinear), channels_last_md(x),
                                   channels_last_md(y));
  return {d, engine()};
}

}  // namespace

void resample_forward(const View& x, const View& y, bool bilinear) {
  check_resample("resample_forward", x, "x", y, "y");
  if (y.shape.numel() == 0) return;
  PrimKey key(kResampleFwd);
  key.add(static_cast<int64_t>(bilinear));
  key.add(x.shape.begin(), x.shape.rank());
  key.add(y.shape.begin(), y.shape.rank());
  run_cached(
      key,
      [&] {
        const auto pd =
            forward_pd(x.shape, y.shape, bilinear, dnnl::prop_kind::forward_inference);
        Prim p;
        p.primitive = dnnl::resampling_forward(pd);
        p.bind(DNNL_ARG_SRC, pd.src_desc());
        p.bind(DNNL_ARG_DST, pd.dst_desc());
        return p;
      },
      {x.data, y.data});
}

void resample_backward(const View& dy, const View& dx, bool bilinear) {
  check_resample("resample_backward", dx, "dx", dy, "dy");
  if (dx.shape.numel() == 0) return;
  PrimKey key(kResampleBwd);
  key.add(static_cast<int64_t>(bilinear));
  key.add(dx.shape.begin(), dx.shape.rank());
  key.add(dy.shape.begin(), dy.shape.rank());
  run_cached(
      key,
      [&] {
        const auto hint =
            forward_pd(dx.shape, dy.shape, bilinear, dnnl::prop_kind::forward_training);
        dnnl::resampling_backward::desc d(resample_alg(bilinear), channels_last_md(dx.shape),
                                          channels_last_md(dy.shape));
        dnnl::resampling_backward::primitive_desc pd(d, engine(), hint);
        Prim p;
        p.primitive = dnnl::resampling_backward(pd);
        p.bind(DNNL_ARG_DIFF_DST, pd.diff_dst_desc());
        p.bind(DNNL_ARG_DIFF_SRC, pd.diff_src_desc());
        return p;
      },
      {dy.data, dx.data});
}

}  // namespace strata::onednn
