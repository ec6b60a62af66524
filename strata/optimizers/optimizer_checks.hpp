// Hyper-parameter checks shared by the optimizers (internal; not part of the public API). Each
// throws ValueError "<Optimizer>: <argument> must be ..., got <value>"; NaN always fails.
#pragma once

#include <cmath>
#include <sstream>
#include <string>

#include "strata/core/error.hpp"

namespace strata::optimizer_detail {

inline std::string show(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

inline void require_non_negative(const std::string& owner, const char* arg, double v) {
  if (!(v >= 0.0 && std::isfinite(v)))
    throw ValueError(owner + ": " + arg + " must be a finite value >= 0, got " + show(v));
}

// [0, 1]
inline void require_unit_closed(const std::string& owner, const char* arg, double v) {
  if (!(v >= 0.0 && v <= 1.0))
    throw ValueError(owner + ": " + arg + " must be in [0, 1], got " + show(v));
}

// [0, 1): a decay rate of 1 would never let the running average move.
inline void require_unit_half_open(const std::string& owner, const char* arg, double v) {
  if (!(v >= 0.0 && v < 1.0))
    throw ValueError(owner + ": " + arg + " must be in [0, 1), got " + show(v));
}

}  // namespace strata::optimizer_detail
