// Checks that a call throws strata::ValueError whose message contains every given part (the
// layer name, both shapes, the valid names...): clear messages are part of the contract.
//
//   test::expect_value_error([&] { model.fit(x, bad_y); }, {"label 12", "sample 3"});
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "strata/core/error.hpp"

namespace strata::test {

template <class Fn>
void expect_value_error(Fn f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected ValueError";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
  }
}

}  // namespace strata::test
