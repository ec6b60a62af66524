#include <algorithm>

#include <gtest/gtest.h>

#include "strata/backends/backend.hpp"
#include "strata/core/error.hpp"
#include "support/expect_error.hpp"

using namespace strata;

TEST(BackendRegistry, ListsAndFindsCompiledBackends) {
  auto names = available_backends();
  ASSERT_FALSE(names.empty());
  for (const auto& n : names) EXPECT_EQ(backend_by_name(n).name(), n);
#ifdef STRATA_WITH_ONEDNN
  EXPECT_NE(std::find(names.begin(), names.end(), "onednn"), names.end());
  EXPECT_EQ(backend_by_name("onednn").device(), DeviceKind::cpu);
#endif
}

TEST(BackendRegistry, UnknownNameListsTheValidOnes) {
  test::expect_value_error([] { backend_by_name("tpu"); }, {"tpu", available_backends().front()});
}

TEST(BackendRegistry, DefaultFollowsEnvironmentOrFirstCompiled) {
  const char* env = std::getenv("STRATA_BACKEND");
  EXPECT_EQ(default_backend().name(), env && *env ? std::string(env) : available_backends().front());
}
