#include "strata/backends/backend.hpp"

#include <cstdlib>
#include <mutex>

#include "strata/core/error.hpp"
#ifdef STRATA_WITH_ONEDNN
#include "strata/backends/onednn/onednn_backend.hpp"
#endif

namespace strata {

Buffer::~Buffer() { owner_->release(data_, bytes_); }

bool eltwise_backward_uses_dst(const Eltwise& e) {
  switch (e.alg) {
    case EltwiseAlg::relu:
    case EltwiseAlg::elu: return e.alpha >= 0.f;
    case EltwiseAlg::logistic:
    case EltwiseAlg::tanh:
    case EltwiseAlg::exp:
    case EltwiseAlg::sqrt: return true;
    default: return false;
  }
}

// Backends implement the ops they can; the others say so by name (a CUDA-less build, say).
[[noreturn]] void Backend::unsupported(const char* op) const {
  throw ValueError("backend '" + name() + "' does not implement " + op);
}

void Backend::conv_forward(const View&, const View&, const View*, const View&, const WindowParams&, Eltwise) {
  unsupported("conv_forward");
}

void Backend::conv_backward_data(const View&, const View&, const View&, const WindowParams&) {
  unsupported("conv_backward_data");
}

void Backend::conv_backward_weights(const View&, const View&, const View&, const View*, const WindowParams&) {
  unsupported("conv_backward_weights");
}

void Backend::deconv_forward(const View&, const View&, const View*, const View&, const WindowParams&) {
  unsupported("deconv_forward");
}

void Backend::deconv_backward_data(const View&, const View&, const View&, const WindowParams&) {
  unsupported("deconv_backward_data");
}

void Backend::deconv_backward_weights(const View&, const View&, const View&, const View*, const WindowParams&) {
  unsupported("deconv_backward_weights");
}

PayloadPtr Backend::pool_forward(PoolKind, const View&, const View&, const WindowParams&, bool) {
  unsupported("pool_forward");
}

void Backend::pool_backward(PoolKind, const View&, const Payload*, const View&, const WindowParams&) {
  unsupported("pool_backward");
}

void Backend::batchnorm_forward(const View&, const View&, const View*, const View*, const View&, const View&, float, bool) {
  unsupported("batchnorm_forward");
}

void Backend::batchnorm_backward(const View&, const View&, const View*, const View&, const View&, const View&, const View*, const View*, float) {
  unsupported("batchnorm_backward");
}

PayloadPtr Backend::layernorm_forward(const View&, const View&, const View*, const View*, float) {
  unsupported("layernorm_forward");
}

void Backend::layernorm_backward(const View&, const View&, const View*, const Payload&, const View&, const View*, const View*, float) {
  unsupported("layernorm_backward");
}

void Backend::resample_forward(const View&, const View&, bool) {
  unsupported("resample_forward");
}

void Backend::resample_backward(const View&, const View&, bool) {
  unsupported("resample_backward");
}

void Backend::window_copy(const View&, const View&, const std::vector<int64_t>&, bool) {
  unsupported("window_copy");
}

void Backend::image_transform(const View&, const View&, const float*, bool, int, float) {
  unsupported("image_transform");
}

void Backend::gather_rows(const View&, const View&, const View&) { unsupported("gather_rows"); }

void Backend::scatter_add_rows(const View&, const View&, const View&) {
  unsupported("scatter_add_rows");
}

std::vector<std::string> available_backends() {
  std::vector<std::string> names;
#ifdef STRATA_WITH_ONEDNN
  names.push_back("onednn");
#endif
  return names;
}

Backend& backend_by_name(const std::string& name) {
#ifdef STRATA_WITH_ONEDNN
  if (name == "onednn") {
    // Constructed on first use and never destroyed: tensors held in static storage may outlive
    // any destruction order we could pick.
    static Backend* onednn = make_onednn_backend().release();
    return *onednn;
  }
#endif
  std::string valid;
  for (const auto& n : available_backends()) valid += (valid.empty() ? "" : ", ") + n;
  throw ValueError("unknown backend '" + name + "'; backends in this build: " + valid);
}

Backend& default_backend() {
  static Backend* chosen = [] {
    const char* env = std::getenv("STRATA_BACKEND");
    if (env && *env) return &backend_by_name(env);
    return &backend_by_name(available_backends().front());
  }();
  return *chosen;
}

}  // namespace strata

namespace strata {

int rnn_gates(RnnCell cell) {
  switch (cell) {
    case RnnCell::simple: return 1;
    case RnnCell::lstm: return 4;
    case RnnCell::gru:
    case RnnCell::gru_reset_after: return 3;
  }
  return 1;
}

const char* rnn_cell_name(RnnCell cell) {
  switch (cell) {
    case RnnCell::simple: return "simple";
    case RnnCell::lstm: return "lstm";
    case RnnCell::gru: return "gru";
    case RnnCell::gru_reset_after: return "gru_reset_after";
  }
  return "?";
}

PayloadPtr Backend::rnn_forward(const RnnParams&, const View&, const View*, const View*,
                                const View&, const View&, const View*, const View&, const View&,
                                const View*, bool) {
  unsupported("rnn_forward");
}

void Backend::rnn_backward(const RnnParams&, const Payload&, const View&, const View*,
                           const View*, const View&, const View&, const View*, const View&,
                           const View&, const View*, const View&, const View*, const View*,
                           const View&, const View*, const View*, const View&, const View&,
                           const View*) {
  unsupported("rnn_backward");
}

}  // namespace strata
