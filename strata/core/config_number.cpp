#include "strata/core/config_number.hpp"

#include <charconv>
#include <cstdlib>

namespace strata {

double config_number(float value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf) - 1, value);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace strata
