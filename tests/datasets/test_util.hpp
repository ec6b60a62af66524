// Helpers for dataset tests: a scratch directory removed after the test, IDX encoding so tests can
// build small valid and corrupt files byte by byte, and checks on IOError messages.
//
//   TempDir dir;
//   std::string x = idx_bytes(0x08, {2, 2}, be_bytes<uint8_t>({1, 2, 3, 4}));
//   std::string path = dir.write("x.idx", x);
//   expect_io_error([&] { read_idx(path + "z"); }, {path, "not found"});
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "strata/core/error.hpp"

namespace strata::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "strata-" + std::string(info ? info->name() : "test") + "-" +
                       std::to_string(::getpid()) + "-" + std::to_string(counter++);
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `bytes` verbatim and returns the file's path.
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(file(name), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write test file " + file(name));
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

// Values in IDX's big-endian layout.
template <class T>
std::string be_bytes(std::initializer_list<T> values) {
  using Bits = std::conditional_t<sizeof(T) == 1, uint8_t,
               std::conditional_t<sizeof(T) == 2, uint16_t,
               std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
  std::string out;
  for (T v : values) {
    auto bits = std::bit_cast<Bits>(v);
    for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((bits >> shift) & 0xFF));
  }
  return out;
}

// A complete IDX file: magic 0x0000<type><rank>, the dimensions, then `data` (already encoded).
inline std::string idx_bytes(uint8_t type_code, std::initializer_list<uint32_t> dims,
                             const std::string& data) {
  std::string out{'\0', '\0', static_cast<char>(type_code), static_cast<char>(dims.size())};
  for (uint32_t d : dims) out += be_bytes<uint32_t>({d});
  return out + data;
}

// The message of the IOError that `fn` throws; a test failure (and "") when it throws none.
inline std::string io_error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const IOError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected IOError";
  return "";
}

// `fn` must throw an IOError whose message contains every one of `parts`.
inline void expect_io_error(const std::function<void()>& fn,
                            const std::vector<std::string>& parts) {
  const std::string msg = io_error_message(fn);
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg << "\nlacks: " << p;
}

}  // namespace strata::test
