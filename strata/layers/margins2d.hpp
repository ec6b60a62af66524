// Margins2D: the padding / cropping argument of ZeroPadding2D and Cropping2D in each form Keras
// takes — one int for all four sides, (rows, cols) for symmetric margins, or
// ((top, bottom), (left, right)) — so designated initializers read like the Keras call.
//
//   Margins2D m = 1;                  // ((1, 1), (1, 1))
//   Margins2D m = {2, 3};             // ((2, 2), (3, 3))
//   Margins2D m = {{1, 0}, {2, 1}};   // top 1, bottom 0, left 2, right 1
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace strata {

struct Margins2D {
  int64_t top = 0, bottom = 0, left = 0, right = 0;

  Margins2D(int64_t all) : top(all), bottom(all), left(all), right(all) {}
  Margins2D(int64_t rows, int64_t cols) : top(rows), bottom(rows), left(cols), right(cols) {}
  Margins2D(std::array<int64_t, 2> top_bottom, std::array<int64_t, 2> left_right)
      : top(top_bottom[0]), bottom(top_bottom[1]), left(left_right[0]), right(left_right[1]) {}

  bool any_negative() const { return top < 0 || bottom < 0 || left < 0 || right < 0; }
  // Keras' config form [[top, bottom], [left, right]].
  nlohmann::json json() const { return {{top, bottom}, {left, right}}; }
  std::string str() const { return json().dump(); }
};

}  // namespace strata
