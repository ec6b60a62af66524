#include "strata/initializers/placeholder.hpp"

namespace strata {

namespace {
thread_local bool placeholders_allowed = false;
}

std::vector<float> initializers::Placeholder::values(const Shape& shape) const {
  return std::vector<float>(static_cast<size_t>(shape.numel()), 0.f);
}

PlaceholderInitializers::PlaceholderInitializers(bool allow) : previous_(placeholders_allowed) {
  placeholders_allowed = allow;
}

PlaceholderInitializers::~PlaceholderInitializers() { placeholders_allowed = previous_; }

bool PlaceholderInitializers::allowed() { return placeholders_allowed; }

}  // namespace strata
