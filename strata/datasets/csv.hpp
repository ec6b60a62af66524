// CSV loader for numeric tables such as scikit-learn's iris.csv: one sample per line, fields
// separated by one delimiter, every field a finite number, one column optionally the label.
// Plain and gzip-compressed files are read alike. Lines that are empty or only whitespace are
// skipped; spaces and tabs around a field are ignored; quoting is not supported. Every problem in
// the file (missing or empty file, a field that is not a finite number, a row whose column count
// differs from the first row's, a label that is not an integer) is an IOError naming the file,
// and the 1-based line and column where the file has one.
//
//   Dataset iris = load_csv("iris.csv");   // header line skipped, label in the last column
//   iris.x.shape();   // (150, 4) float32
//   iris.y.shape();   // (150,) int32
//   // A tab-separated file with a float regression target in its first column:
//   Dataset d = load_csv("prices.tsv", {.label_column = 0, .delimiter = '\t',
//                                       .integer_labels = false});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/datasets/dataset.hpp"

namespace strata::datasets {

struct CsvOptions {
  // The label's column, Python-style: 0 is the first column, -1 the last, -2 the one before it.
  // Out of range for the file's column count: ValueError. Ignored when has_label is false.
  int label_column = -1;
  // False: every column is a feature and Dataset::y stays undefined.
  bool has_label = true;
  // Skip the first non-blank line whatever it holds (a header such as
  // "150,4,setosa,versicolor,virginica").
  bool skip_header = true;
  char delimiter = ',';
  // True: y is int32 and every label must be an integer in int32 range ("2" and "2.0" are fine,
  // "2.5" is an error). False: y is float32 (regression targets).
  bool integer_labels = true;
};

// The parsed table in host memory; usable without a backend.
struct CsvTable {
  int64_t rows = 0;
  int64_t features = 0;
  std::vector<float> x;             // rows x features, row-major
  std::vector<int32_t> int_labels;  // filled when has_label and integer_labels
  std::vector<float> float_labels;  // filled when has_label and not integer_labels
};

CsvTable read_csv(const std::string& path, const CsvOptions& opts = {});

// x: float32 (N, F). y: int32 or float32 (N,), or undefined without a label column.
Dataset load_csv(const std::string& path, CsvOptions opts = {});

}  // namespace strata::datasets
