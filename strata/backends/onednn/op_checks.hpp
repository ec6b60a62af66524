// Argument checks shared by the backend's op files. They run on every call, so the success path
// only compares integers; messages are built only when a check fails.
#pragma once

#include <string>

#include "strata/backends/backend.hpp"

namespace strata::onednn {

[[noreturn]] void op_error(const char* op, const std::string& detail);

inline void require_f32(const char* op, const View& v, const char* name) {
  if (v.dtype != DType::float32) op_error(op, std::string(name) + " must be float32, got " +
                                                  dtype_name(v.dtype));
}

inline void require_same_shape(const char* op, const View& a, const char* an, const View& b,
                               const char* bn) {
  if (a.shape != b.shape)
    op_error(op, std::string(an) + " has shape " + a.shape.str() + " but " + bn + " has " +
                     b.shape.str());
}

inline void require_same_numel(const char* op, const View& a, const char* an, const View& b,
                               const char* bn) {
  if (a.shape.numel() != b.shape.numel())
    op_error(op, std::string(an) + " has shape " + a.shape.str() + " but " + bn + " has " +
                     b.shape.str() + " (element counts differ)");
}

}  // namespace strata::onednn
