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
