// Shape: the dimensions of a tensor, stored inline (no heap) because shapes are built on every
// op call in the training loop and used as primitive-cache keys.
//
//   Shape s{128, 784};
//   s.rank();        // 2
//   s.numel();       // 100352
//   s.str();         // "(128, 784)"
//   s.dim(-1);       // 784
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace strata {

class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  // Python-style index: -1 is the last dimension. Throws std::out_of_range when invalid.
  int64_t dim(int axis) const;
  // Normalises a possibly negative axis against this rank; throws when out of range.
  int axis(int axis) const;
  // Product of all dimensions (1 for rank 0). Unknown dimensions (-1) are not allowed here.
  int64_t numel() const;
  void push_back(int64_t d);
  const int64_t* begin() const { return d_.data(); }
  const int64_t* end() const { return d_.data() + rank_; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  // This shape without its first dimension, e.g. (N, 28, 28) -> (28, 28).
  Shape drop_front() const;
  // A new shape with `d` prepended, e.g. batch dimension.
  Shape with_front(int64_t d) const;

  // "(128, 784)"; -1 prints as None, as Keras prints an unknown batch dimension.
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  std::array<int64_t, kMaxRank> d_{};
  int rank_ = 0;
};

}  // namespace strata
