// Shared machinery of the convolution and transposed-convolution ops (onednn_conv.cpp,
// onednn_deconv.cpp). A convolution takes more than one primitive: the kernel arrives in Keras
// layout and must be reordered into the blocked layout the convolution's primitive descriptor
// picks, and the weight gradient must be reordered back. A ConvPlan, built once per shape key,
// holds the convolution primitive, the descriptors of every argument on both sides and scratch
// memories for the reordered tensors; running it executes the cached reorders and the
// convolution through run_cached, so after the first call nothing is created or allocated.
//
//   ConvPlan& plan = conv_plan(key, [&](ConvPlan& pl) {
//     pl.set_primitive(dnnl::convolution_forward(pd));
//     pl.add(DNNL_ARG_WEIGHTS, keras_md, pd.weights_desc(), false);  // ... then src, dst
//   });
//   plan.run(key, {w.data, x.data, y.data});
#pragma once

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <type_traits>
#include <utility>

#include <oneapi/dnnl/dnnl.hpp>

#include "strata/backends/backend.hpp"
#include "strata/backends/onednn/onednn_context.hpp"

namespace strata::onednn {

// One convolution in oneDNN's terms. "src" is the side with `ic` channels and spatial size `src`,
// "dst" the side with `oc` channels (for a transposed convolution src is its input, too).
struct ConvGeom {
  int spatial = 2;
  int64_t n = 0, ic = 0, oc = 0, groups = 1;
  int64_t src[2] = {1, 1}, dst[2] = {1, 1}, k[2] = {1, 1};
  dnnl::memory::dims strides, dilates, pad_l, pad_r;  // dilates in oneDNN's meaning: Keras - 1

  dnnl::memory::dims src_dims() const;  // (N, IC, [H,] W)
  dnnl::memory::dims dst_dims() const;  // (N, OC, [H,] W)
};

// Channels-last layout (nwc / nhwc) for logical (N, C, [H,] W) dims: how the public buffers lie.
dnnl::memory::desc channels_last_md(const dnnl::memory::dims& dims);
// Lets the primitive descriptor choose the layout (it then gets reordered to/from the user's).
dnnl::memory::desc any_md(const dnnl::memory::dims& dims);
dnnl::memory::desc bias_md(int64_t channels);

// Key tags for the convolution ops. PrimKey::Op has no entries for them; these sit far above its
// range, so keys of different ops never compare equal.
enum class ConvOp : int64_t {
  conv_fwd = int64_t{1} << 40, conv_bwd_data, conv_bwd_weights, deconv_fwd, deconv_bwd_data,
  deconv_bwd_weights
};
// The key of everything that shapes the primitive, from the geometry plus op-specific extras.
PrimKey conv_key(ConvOp op, const ConvGeom& g);

// Weight gradients of an empty batch: the gradient of a sum over nothing is zero (the outputs
// are overwritten, as on every other path).
void zero_weight_gradients(const View& dw, const View* dbias, int64_t out_channels);

class ConvPlan {
 public:
  static constexpr int kMaxArgs = 4;

  void set_primitive(dnnl::primitive p) { primitive_ = std::move(p); }
  // Declares the next argument: `user` is the caller's layout, `wanted` the primitive's. When
  // they differ, a scratch memory in `wanted` layout is allocated now and run() reorders
  // through it (before the primitive for inputs, after it for outputs).
  void add(int arg, const dnnl::memory::desc& user, const dnnl::memory::desc& wanted,
           bool output);
  // One pointer per declared argument, in declaration order. `key` is the plan's own key.
  void run(const PrimKey& key, std::initializer_list<void*> ptrs);

 private:
  struct Arg {
    int id = 0;
    bool output = false;
    dnnl::memory::desc user, wanted;
    dnnl::memory scratch;  // empty when user == wanted
  };
  std::mutex mutex_;  // the scratch memories belong to one run at a time
  dnnl::primitive primitive_;
  Arg args_[kMaxArgs];
  int n_args_ = 0;
};

using ConvPlanBuilder = void (*)(ConvPlan& plan, void* ctx);

// Looks `key` up, building the plan with build(plan, ctx) on a miss. Plans live for the process.
ConvPlan& conv_plan(const PrimKey& key, ConvPlanBuilder build, void* ctx);

template <class F>
ConvPlan& conv_plan(const PrimKey& key, F&& build) {
  using Fn = std::remove_reference_t<F>;
  return conv_plan(
      key, [](ConvPlan& plan, void* f) { (*static_cast<Fn*>(f))(plan); },
      static_cast<void*>(&build));
}

}  // namespace strata::onednn
