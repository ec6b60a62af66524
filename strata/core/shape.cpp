#include "strata/core/shape.hpp"

#include <stdexcept>

namespace strata {

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

Shape::Shape(const std::vector<int64_t>& dims) {
  for (int64_t d : dims) push_back(d);
}

int Shape::axis(int axis) const {
  int a = axis < 0 ? axis + rank_ : axis;
  if (a < 0 || a >= rank_)
    throw std::out_of_range("axis " + std::to_string(axis) + " is out of range for shape " + str());
  return a;
}

int64_t Shape::dim(int a) const { return d_[axis(a)]; }

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= d_[i];
  return n;
}

void Shape::push_back(int64_t d) {
  if (rank_ == kMaxRank)
    throw std::length_error("tensors of rank above " + std::to_string(kMaxRank) + " are not supported");
  d_[rank_++] = d;
}

Shape Shape::drop_front() const {
  Shape s;
  for (int i = 1; i < rank_; ++i) s.push_back(d_[i]);
  return s;
}

Shape Shape::with_front(int64_t d) const {
  Shape s;
  s.push_back(d);
  for (int i = 0; i < rank_; ++i) s.push_back(d_[i]);
  return s;
}

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += d_[i] < 0 ? std::string("None") : std::to_string(d_[i]);
  }
  if (rank_ == 1) s += ",";
  return s + ")";
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i)
    if (a.d_[i] != b.d_[i]) return false;
  return true;
}

}  // namespace strata
