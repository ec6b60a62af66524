#include "strata/datasets/gzip_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "strata/core/error.hpp"

namespace strata::datasets {

namespace {
gzFile as_gz(void* f) { return static_cast<gzFile>(f); }
}  // namespace

GzipReader::GzipReader(const std::string& path, std::string kind)
    : path_(path), kind_(std::move(kind)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IOError(describe() + " not found");
  if (fs::is_directory(path, ec)) throw IOError(describe() + " is a directory, not a file");
  errno = 0;
  file_ = gzopen(path.c_str(), "rb");
  if (!file_) {
    const char* why = errno ? std::strerror(errno) : "out of memory";
    throw IOError("cannot open " + describe() + ": " + why);
  }
  // A larger buffer than zlib's 8 KiB default roughly halves the time to inflate Fashion-MNIST.
  gzbuffer(as_gz(file_), 1 << 17);
}

GzipReader::~GzipReader() {
  if (file_) gzclose(as_gz(file_));
}

size_t GzipReader::read(void* dst, size_t bytes) {
  size_t total = 0;
  char* out = static_cast<char*>(dst);
  while (total < bytes) {
    // gzread takes an unsigned int count, so large requests go in pieces.
    unsigned want = static_cast<unsigned>(std::min<size_t>(bytes - total, 1u << 30));
    int got = gzread(as_gz(file_), out + total, want);
    if (got < 0) {
      int code = Z_OK;
      const char* msg = gzerror(as_gz(file_), &code);
      std::string why = code == Z_ERRNO ? std::strerror(errno) : msg;
      throw IOError("cannot read " + describe() + ": " + why);
    }
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  return total;
}

std::string GzipReader::read_all() {
  std::string text;
  constexpr size_t kChunk = 1 << 16;
  for (;;) {
    size_t old = text.size();
    text.resize(old + kChunk);
    size_t got = read(text.data() + old, kChunk);
    text.resize(old + got);
    if (got < kChunk) return text;
  }
}

}  // namespace strata::datasets
