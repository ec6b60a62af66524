#include "strata/core/dtype.hpp"

namespace strata {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::float32: return 4;
    case DType::int32: return 4;
    case DType::int64: return 8;
  }
  return 0;
}

std::string dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
  }
  return "?";
}

}  // namespace strata
