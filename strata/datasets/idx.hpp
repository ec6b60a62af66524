// IDX reader: the big-endian array format of MNIST and Fashion-MNIST (magic 0x000008NN followed by
// one 32-bit size per dimension, then the elements). All IDX element types are read: ubyte 0x08,
// byte 0x09, short 0x0B, int 0x0C, float 0x0D, double 0x0E. Plain and gzip-compressed files are
// read alike. Every problem (missing file, bad magic, unknown type code, truncated or trailing
// data, dimensions whose product overflows) is an IOError naming the file.
//
//   IdxArray a = read_idx("train-labels-idx1-ubyte.gz");   // host data, no backend needed
//   a.shape;       // (60000,)
//   a.type_code;   // 0x08
//   Tensor x = read_idx_tensor("train-images-idx3-ubyte.gz", DType::float32, 1.f / 255);
//   Tensor y = read_idx_tensor("train-labels-idx1-ubyte.gz", DType::int32);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"
#include "strata/core/dtype.hpp"
#include "strata/core/shape.hpp"

namespace strata::datasets {

struct IdxArray {
  Shape shape;
  // Row-major elements converted to float; int 0x0C values above 2^24 and doubles lose precision
  // (use read_idx_tensor with an integer dtype for exact integers).
  std::vector<float> values;
  uint8_t type_code = 0;
};

IdxArray read_idx(const std::string& path);

// float32: the elements times `scale`. int32 / int64: the exact elements of an integer-typed file
// (ubyte, byte, short, int); a float or double file read as integers is an IOError, and a scale
// other than 1 with an integer dtype is a ValueError.
Tensor read_idx_tensor(const std::string& path, DType dtype = DType::float32, float scale = 1.f);

// "ubyte", "byte", "short", "int", "float", "double"; throws ValueError for other codes.
std::string idx_type_name(uint8_t type_code);

}  // namespace strata::datasets
