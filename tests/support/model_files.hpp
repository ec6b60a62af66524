// Helpers for tests of model files: models with distinct random weights, random inputs,
// bit-for-bit comparisons, byte-level file access and the message of an expected exception.
//
//   test::randomize_weights(*model, 3);
//   save_keras(*model, p);
//   test::expect_same_weights(*model, *load_keras(p));
//   std::string msg = test::error_of<IOError>([&] { load_keras(bad); });
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "strata/api/model.hpp"

namespace strata::test {

// Distinct random values in ±[0.5, 1.5) for every weight; moving variances stay positive.
void randomize_weights(Model& model, unsigned seed);
// Standard-normal values, deterministic in `seed`.
Tensor random_input(const Shape& shape, unsigned seed);
void expect_bitwise_equal(const Tensor& a, const Tensor& b);
void expect_same_weights(const Model& a, const Model& b);
std::string read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::string& bytes);

// The message of the E that `f` throws; a test failure for no exception or another type.
template <class E, class Fn>
std::string error_of(Fn f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

}  // namespace strata::test
