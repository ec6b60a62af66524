#include "strata/backends/onednn/op_checks.hpp"

#include "strata/core/error.hpp"

namespace strata::onednn {

void op_error(const char* op, const std::string& detail) {
  throw ValueError(std::string("backend ") + op + ": " + detail);
}

}  // namespace strata::onednn
