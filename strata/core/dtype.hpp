// Element types. float32 carries data and weights; int32/int64 carry class labels.
//
//   dtype_size(DType::int64);   // 8
//   dtype_name(DType::float32); // "float32"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace strata {

enum class DType { float32, int32, int64 };

size_t dtype_size(DType t);
std::string dtype_name(DType t);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::float32; }
template <>
constexpr DType dtype_of<int32_t>() { return DType::int32; }
template <>
constexpr DType dtype_of<int64_t>() { return DType::int64; }

}  // namespace strata
