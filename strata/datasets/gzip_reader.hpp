// GzipReader: reads a file that may or may not be gzip-compressed; zlib detects the gzip header
// and passes plain files through unchanged, so every loader accepts both "data.idx" and
// "data.idx.gz" without caring which. Errors are IOErrors that name the file.
//
//   GzipReader in("/data/iris.csv.gz", "CSV file");
//   std::string text = in.read_all();
#pragma once

#include <cstddef>
#include <string>

namespace strata::datasets {

class GzipReader {
 public:
  // `kind` ("IDX file", "CSV file") opens every error message. Throws IOError when the path is
  // missing, is a directory or cannot be opened.
  GzipReader(const std::string& path, std::string kind);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Reads up to `bytes` decompressed bytes; fewer only at the end of the data.
  size_t read(void* dst, size_t bytes);
  std::string read_all();

  const std::string& path() const { return path_; }
  // "<kind> '<path>'", the prefix of every error message about this file.
  std::string describe() const { return kind_ + " '" + path_ + "'"; }

 private:
  std::string path_;
  std::string kind_;
  void* file_ = nullptr;  // gzFile; void* keeps <zlib.h> out of this header
};

}  // namespace strata::datasets
