#include "strata/io/zip.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "strata/core/error.hpp"

namespace fs = std::filesystem;
using strata::IOError;
using strata::ValueError;
using strata::io::DosDateTime;
using strata::io::ZipReader;
using strata::io::ZipWriter;

namespace {

// Written by Python 3.11's zipfile at development time (so the tests need no Python):
//   cfg = b'{"class_name": "Sequential", "config": {"layers": [' + b'{"class_name": "Dense"}, ' * 4
//         + b']}}'
//   with zipfile.ZipFile(buf, "w") as zf:
//     zf.writestr(ZipInfo("config.json", (2024, 5, 17, 12, 30, 44)), cfg, ZIP_DEFLATED)
//     zf.writestr(ZipInfo("weights.bin", (2024, 5, 17, 12, 30, 44)), bytes(range(40)), ZIP_STORED)
//     zf.comment = b"strata zip test"
// PythonZip: 341 bytes
const unsigned char kPythonZip[] = {
    0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x9e, 0x17,
    0x5f, 0xaf, 0x44, 0x00, 0x00, 0x00, 0x9a, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x63, 0x6f,
    0x6e, 0x66, 0x69, 0x67, 0x2e, 0x6a, 0x73, 0x6f, 0x6e, 0xab, 0x56, 0x4a, 0xce, 0x49, 0x2c, 0x2e,
    0x8e, 0xcf, 0x4b, 0xcc, 0x4d, 0x55, 0xb2, 0x52, 0x50, 0x0a, 0x4e, 0x2d, 0x2c, 0x4d, 0xcd, 0x2b,
    0xc9, 0x4c, 0xcc, 0x51, 0xd2, 0x51, 0x50, 0x4a, 0xce, 0xcf, 0x4b, 0xcb, 0x4c, 0x07, 0x8a, 0x57,
    0x2b, 0xe5, 0x24, 0x56, 0xa6, 0x16, 0x15, 0x03, 0x99, 0xd1, 0xd5, 0x68, 0x5a, 0x5c, 0x52, 0xf3,
    0x8a, 0x53, 0x95, 0x6a, 0x75, 0x14, 0xa8, 0x28, 0x11, 0x5b, 0x5b, 0x0b, 0x00, 0x50, 0x4b, 0x03,
    0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x3c, 0x2e, 0xa6, 0x0d, 0x28,
    0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x77, 0x65, 0x69, 0x67, 0x68,
    0x74, 0x73, 0x2e, 0x62, 0x69, 0x6e, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
    0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x50, 0x4b,
    0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x9e, 0x17,
    0x5f, 0xaf, 0x44, 0x00, 0x00, 0x00, 0x9a, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x63, 0x6f, 0x6e, 0x66,
    0x69, 0x67, 0x2e, 0x6a, 0x73, 0x6f, 0x6e, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x3c, 0x2e, 0xa6, 0x0d, 0x28, 0x00, 0x00, 0x00, 0x28,
    0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
    0x01, 0x6d, 0x00, 0x00, 0x00, 0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x73, 0x2e, 0x62, 0x69, 0x6e,
    0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x72, 0x00, 0x00, 0x00,
    0xbe, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x73, 0x74, 0x72, 0x61, 0x74, 0x61, 0x20, 0x7a, 0x69, 0x70,
    0x20, 0x74, 0x65, 0x73, 0x74,
};

// The same zipfile with zipfile.ZIP64_LIMIT = 8 and ZIP_FILECOUNT_LIMIT = 1, so that a tiny archive
// gets real Zip64 structures (0xFFFFFFFF sizes and offsets with Zip64 extra fields in local and
// central headers, a Zip64 end record and its locator):
//   a.txt: b"hello zip64 " * 8, deflated;  b.bin: bytes(range(40)), stored
// PythonZip64: 415 bytes
const unsigned char kPythonZip64[] = {
    0x50, 0x4b, 0x03, 0x04, 0x2d, 0x00, 0x00, 0x00, 0x08, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0xf7, 0x44,
    0xd8, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x05, 0x00, 0x14, 0x00, 0x61, 0x2e,
    0x74, 0x78, 0x74, 0x01, 0x00, 0x10, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xa8, 0xca, 0x2c,
    0x30, 0x33, 0x51, 0xc8, 0xa0, 0x01, 0x1b, 0x00, 0x50, 0x4b, 0x03, 0x04, 0x2d, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x3c, 0x2e, 0xa6, 0x0d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0x05, 0x00, 0x14, 0x00, 0x62, 0x2e, 0x62, 0x69, 0x6e, 0x01, 0x00, 0x10, 0x00, 0x28,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x50, 0x4b, 0x01, 0x02, 0x2d, 0x03, 0x2d, 0x00, 0x00,
    0x00, 0x08, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0xf7, 0x44, 0xd8, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x05, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x61, 0x2e, 0x74, 0x78, 0x74, 0x01, 0x00, 0x10, 0x00, 0x60, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x4b,
    0x01, 0x02, 0x2d, 0x03, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x3c, 0x2e,
    0xa6, 0x0d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x05, 0x00, 0x1c, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0x62, 0x2e, 0x62, 0x69,
    0x6e, 0x01, 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x4b, 0x06,
    0x06, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2d, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x96, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa7, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x4b, 0x06, 0x07, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x02, 0x00, 0x96, 0x00, 0x00, 0x00, 0xa7, 0x00, 0x00, 0x00, 0x00, 0x00,
};

// zipfile writing to an unseekable stream: the local header has bit 3 set and zero CRC and sizes,
// which follow the data in a data descriptor (the central directory has the real values):
//   with zf.open(ZipInfo("stream.txt", ...), "w") as f: f.write(b"streamed " * 10)   # deflated
// PythonStream: 148 bytes
const unsigned char kPythonStreamZip[] = {
    0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x08, 0x00, 0x08, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x73, 0x74,
    0x72, 0x65, 0x61, 0x6d, 0x2e, 0x74, 0x78, 0x74, 0x2b, 0x2e, 0x29, 0x4a, 0x4d, 0xcc, 0x4d, 0x4d,
    0x51, 0x28, 0xa6, 0x36, 0x03, 0x00, 0x50, 0x4b, 0x07, 0x08, 0x5c, 0x62, 0xad, 0x8a, 0x0e, 0x00,
    0x00, 0x00, 0x5a, 0x00, 0x00, 0x00, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x08, 0x00,
    0x08, 0x00, 0xd6, 0x63, 0xb1, 0x58, 0x5c, 0x62, 0xad, 0x8a, 0x0e, 0x00, 0x00, 0x00, 0x5a, 0x00,
    0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x2e, 0x74, 0x78, 0x74, 0x50, 0x4b,
    0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x38, 0x00, 0x00, 0x00, 0x46, 0x00,
    0x00, 0x00, 0x00, 0x00,
};

std::string as_string(const unsigned char* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}
const std::string kPython = as_string(kPythonZip, sizeof kPythonZip);
const std::string kPython64 = as_string(kPythonZip64, sizeof kPythonZip64);
const std::string kPythonStream = as_string(kPythonStreamZip, sizeof kPythonStreamZip);
std::string streamed_text() {
  std::string s;
  for (int i = 0; i < 10; ++i) s += "streamed ";
  return s;
}

std::string python_config() {
  std::string s = R"({"class_name": "Sequential", "config": {"layers": [)";
  for (int i = 0; i < 4; ++i) s += R"({"class_name": "Dense"}, )";
  return s + "]}}";
}
std::string range_bytes(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>(i);
  return s;
}

uint32_t sig_at(const std::string& b, size_t i) {
  return uint32_t{static_cast<unsigned char>(b[i])} |
         (uint32_t{static_cast<unsigned char>(b[i + 1])} << 8) |
         (uint32_t{static_cast<unsigned char>(b[i + 2])} << 16) |
         (uint32_t{static_cast<unsigned char>(b[i + 3])} << 24);
}
// Offset of the n-th (0-based) occurrence of a record signature.
size_t find_sig(const std::string& b, uint32_t sig, int nth = 0) {
  for (size_t i = 0; i + 4 <= b.size(); ++i)
    if (sig_at(b, i) == sig && nth-- == 0) return i;
  ADD_FAILURE() << "signature not found";
  return 0;
}
constexpr uint32_t kLocal = 0x04034b50, kCentral = 0x02014b50, kEnd = 0x06054b50;

void put16(std::string& b, size_t i, uint16_t v) {
  b[i] = static_cast<char>(v & 0xFF);
  b[i + 1] = static_cast<char>(v >> 8);
}
void put32(std::string& b, size_t i, uint32_t v) {
  put16(b, i, static_cast<uint16_t>(v & 0xFFFF));
  put16(b, i + 2, static_cast<uint16_t>(v >> 16));
}

// Runs f and checks that it throws IOError whose message contains every part.
template <class Fn>
void expect_io_error(Fn f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected IOError";
  } catch (const IOError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
  }
}

// Opens an archive held in memory and reads every entry.
void read_all(const std::string& bytes) {
  ZipReader r = ZipReader::from_bytes(bytes, "mem.zip");
  for (const std::string& n : r.names()) (void)r.read(n);
}

struct TempDir {
  fs::path path;
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = fs::temp_directory_path() /
           ("strata_zip_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  size_t count() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}
std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

constexpr DosDateTime kFixedTime{2024, 5, 17, 12, 30, 44};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reading archives written by Python

TEST(ZipReader, ReadsPythonArchive) {
  ZipReader r = ZipReader::from_bytes(kPython);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"config.json", "weights.bin"}));
  EXPECT_TRUE(r.contains("config.json"));
  EXPECT_FALSE(r.contains("model.weights.h5"));
  EXPECT_EQ(r.comment(), "strata zip test");
  EXPECT_EQ(r.read("config.json"), python_config());
  EXPECT_EQ(r.read("weights.bin"), range_bytes(40));
  ASSERT_EQ(r.entries().size(), 2u);
  EXPECT_EQ(r.entries()[0].method, 8);
  EXPECT_EQ(r.entries()[0].compressed_size, 68u);
  EXPECT_EQ(r.entries()[0].uncompressed_size, 154u);
  EXPECT_EQ(r.entries()[0].crc32, 0xaf5f179eu);
  EXPECT_EQ(r.entries()[1].method, 0);
  EXPECT_EQ(r.entries()[1].crc32, strata::io::crc32(range_bytes(40)));
}

TEST(ZipReader, ReadsPythonZip64Archive) {
  ZipReader r = ZipReader::from_bytes(kPython64);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"a.txt", "b.bin"}));
  std::string hello;
  for (int i = 0; i < 8; ++i) hello += "hello zip64 ";
  EXPECT_EQ(r.read("a.txt"), hello);
  EXPECT_EQ(r.read("b.bin"), range_bytes(40));
  EXPECT_EQ(r.entries()[0].uncompressed_size, 96u);
  EXPECT_EQ(r.entries()[0].compressed_size, 17u);
}

TEST(ZipReader, ReadsPythonStreamedArchiveWithDataDescriptor) {
  ZipReader r = ZipReader::from_bytes(kPythonStream);
  EXPECT_EQ(r.names(), std::vector<std::string>{"stream.txt"});
  EXPECT_EQ(r.read("stream.txt"), streamed_text());
}

TEST(ZipReader, ReadsFromFileAndExtracts) {
  TempDir dir;
  write_bytes(dir.path / "a.keras", kPython);
  ZipReader r(dir.path / "a.keras");
  EXPECT_EQ(r.read("config.json"), python_config());
  r.extract("weights.bin", dir.path / "w.bin");
  EXPECT_EQ(read_bytes(dir.path / "w.bin"), range_bytes(40));
  ZipReader moved = std::move(r);
  EXPECT_EQ(moved.read("weights.bin"), range_bytes(40));
}

TEST(ZipReader, MissingEntryNamesIt) {
  ZipReader r = ZipReader::from_bytes(kPython, "model.keras");
  expect_io_error([&] { r.read("metadata.json"); }, {"model.keras", "metadata.json"});
}

// ---------------------------------------------------------------------------------------------
// Writing

TEST(ZipWriter, RoundTripStoredDeflatedEmptyAndLarge) {
  TempDir dir;
  const fs::path path = dir.path / "round.zip";
  const std::string big_random = random_bytes(5 * 1024 * 1024, 7);
  std::string big_text;
  while (big_text.size() < 5 * 1024 * 1024) big_text += "0.125, -3.5, 42, layer_" + std::to_string(big_text.size() % 977) + "\n";
  {
    ZipWriter w(path, {.timestamp = kFixedTime, .comment = "made by strata"});
    w.add("empty_deflated", "");
    w.add("empty_stored", "", false);
    w.add("config.json", python_config());
    w.add("bin/zeros", std::string(1000, '\0'), false);
    w.add("big_random.bin", big_random);
    w.add("big_text.txt", big_text);
    w.add("big_stored.bin", big_random, false);
    EXPECT_FALSE(fs::exists(path));  // nothing visible before close()
    w.close();
  }
  EXPECT_EQ(dir.count(), 1u);  // no temp file left
  ZipReader r(path);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"empty_deflated", "empty_stored", "config.json",
                                                 "bin/zeros", "big_random.bin", "big_text.txt",
                                                 "big_stored.bin"}));
  EXPECT_EQ(r.comment(), "made by strata");
  EXPECT_EQ(r.read("empty_deflated"), "");
  EXPECT_EQ(r.read("empty_stored"), "");
  EXPECT_EQ(r.read("config.json"), python_config());
  EXPECT_EQ(r.read("bin/zeros"), std::string(1000, '\0'));
  EXPECT_EQ(r.read("big_random.bin"), big_random);
  EXPECT_EQ(r.read("big_text.txt"), big_text);
  EXPECT_EQ(r.read("big_stored.bin"), big_random);
  EXPECT_LT(r.entries()[5].compressed_size, big_text.size() / 4);  // really deflated
  EXPECT_EQ(r.entries()[6].compressed_size, big_random.size());    // really stored
  r.extract("big_text.txt", dir.path / "big.txt");
  EXPECT_EQ(read_bytes(dir.path / "big.txt"), big_text);

  // Truncating the large archive anywhere is an IOError, through the file path too.
  const std::string whole = read_bytes(path);
  for (size_t cut : {size_t{0}, size_t{10}, size_t{4096}, whole.size() / 2, whole.size() - 30,
                     whole.size() - 1}) {
    write_bytes(dir.path / "cut.zip", whole.substr(0, cut));
    EXPECT_THROW(
        {
          ZipReader c(dir.path / "cut.zip");
          for (const auto& n : c.names()) (void)c.read(n);
        },
        IOError)
        << "cut at " << cut;
  }
}

TEST(ZipWriter, DeterministicWithFixedTimestamp) {
  TempDir dir;
  for (const char* name : {"a.zip", "b.zip"}) {
    ZipWriter w(dir.path / name, {.timestamp = kFixedTime});
    w.add("config.json", python_config());
    w.add("weights.bin", range_bytes(40), false);
    w.close();
  }
  const std::string a = read_bytes(dir.path / "a.zip"), b = read_bytes(dir.path / "b.zip");
  EXPECT_EQ(a, b);
  // DOS time and date in the first local header: 12:30:44 -> 0x63d6, 2024-05-17 -> 0x58b1, as
  // Python wrote them.
  EXPECT_EQ(a.substr(10, 4), kPython.substr(10, 4));
  EXPECT_EQ(ZipReader::from_bytes(a).read("config.json"), python_config());
}

TEST(ZipWriter, NonAsciiNamesGetUtf8Flag) {
  TempDir dir;
  const std::string name = "gewichte_\xc3\xa4.bin";  // ä in UTF-8
  {
    ZipWriter w(dir.path / "u.zip", {.timestamp = kFixedTime});
    w.add(name, "data");
    w.add("plain.txt", "x");
    w.close();
  }
  std::string b = read_bytes(dir.path / "u.zip");
  const size_t local0 = find_sig(b, kLocal, 0), local1 = find_sig(b, kLocal, 1);
  const size_t central0 = find_sig(b, kCentral, 0), central1 = find_sig(b, kCentral, 1);
  EXPECT_EQ(static_cast<unsigned char>(b[local0 + 7]) & 0x08, 0x08);  // bit 11
  EXPECT_EQ(static_cast<unsigned char>(b[central0 + 9]) & 0x08, 0x08);
  EXPECT_EQ(static_cast<unsigned char>(b[local1 + 7]) & 0x08, 0);
  EXPECT_EQ(static_cast<unsigned char>(b[central1 + 9]) & 0x08, 0);
  ZipReader r = ZipReader::from_bytes(b);
  EXPECT_EQ(r.names()[0], name);
  EXPECT_EQ(r.read(name), "data");

  // Without the flag the name bytes are CP437, as zip tools (and Python) read them: C3 A4 is
  // "├ñ" (U+251C U+00F1).
  b[local0 + 7] = 0;
  b[central0 + 9] = 0;
  ZipReader cp = ZipReader::from_bytes(b);
  const std::string cp_name = "gewichte_\xe2\x94\x9c\xc3\xb1.bin";
  EXPECT_EQ(cp.names()[0], cp_name);
  EXPECT_EQ(cp.read(cp_name), "data");
}

TEST(ZipWriter, UnzipAcceptsOurArchive) {
  if (!fs::exists("/usr/bin/unzip")) GTEST_SKIP() << "/usr/bin/unzip not installed";
  TempDir dir;
  const fs::path path = dir.path / "check.zip";
  {
    ZipWriter w(path, {.comment = "strata"});
    w.add("config.json", python_config());
    w.add("metadata.json", R"({"keras_version": "3.3.3"})");
    w.add("model.weights.h5", random_bytes(100000, 3), false);
    w.add("empty", "");
    w.add("empty_stored", "", false);
    w.add("assets/\xc3\xa4.txt", std::string(50000, 'a'));
    w.close();
  }
  const std::string cmd = "/usr/bin/unzip -tqq '" + path.string() + "' > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(ZipWriter, RefusesBadNamesAndUseAfterClose) {
  TempDir dir;
  ZipWriter w(dir.path / "x.zip");
  w.add("a", "1");
  EXPECT_THROW(w.add("a", "2"), ValueError);
  EXPECT_THROW(w.add("", "2"), ValueError);
  EXPECT_THROW(w.add(std::string(70000, 'n'), "2"), ValueError);
  w.close();
  EXPECT_THROW(w.add("b", "2"), ValueError);
  EXPECT_EQ(ZipReader(dir.path / "x.zip").names(), std::vector<std::string>{"a"});
  EXPECT_THROW(ZipWriter(dir.path / "y.zip", {.timestamp = DosDateTime{1970, 1, 1}}), ValueError);
  EXPECT_THROW(ZipWriter(dir.path / "y.zip", {.level = 11}), ValueError);
  EXPECT_EQ(dir.count(), 1u);
}

TEST(ZipWriter, WithoutCloseTargetKeepsOldContent) {
  TempDir dir;
  const fs::path path = dir.path / "model.keras";
  write_bytes(path, "old archive");
  {
    ZipWriter w(path);
    w.add("config.json", python_config());
    // Destroyed without close(), e.g. by an exception while gathering the weights.
  }
  EXPECT_EQ(read_bytes(path), "old archive");
  EXPECT_EQ(dir.count(), 1u);
}

TEST(ZipWriter, MissingFolderIsIOError) {
  TempDir dir;
  const fs::path path = dir.path / "nope" / "model.keras";
  expect_io_error([&] { ZipWriter w(path); }, {path.string()});
}

// ---------------------------------------------------------------------------------------------
// Bad input: always an IOError, never a crash

TEST(ZipReaderBadInput, EmptyMissingAndDirectory) {
  TempDir dir;
  write_bytes(dir.path / "empty.keras", "");
  expect_io_error([&] { ZipReader r(dir.path / "empty.keras"); }, {"empty.keras", "empty"});
  expect_io_error([&] { ZipReader r(dir.path / "missing.keras"); }, {"missing.keras", "not found"});
  expect_io_error([&] { ZipReader r(dir.path); }, {"directory"});
  expect_io_error([] { ZipReader::from_bytes(""); }, {"empty"});
  expect_io_error([] { ZipReader::from_bytes("hello, this is not a zip archive at all"); },
                  {"not a zip archive"});
}

TEST(ZipReaderBadInput, TruncatedAtEveryLength) {
  for (const std::string* archive : {&kPython, &kPython64, &kPythonStream})
    for (size_t n = 0; n < archive->size(); ++n)
      EXPECT_THROW(read_all(archive->substr(0, n)), IOError) << "prefix of " << n << " bytes";
  // Cut at the front instead (offsets then point at the wrong bytes).
  for (size_t n = 1; n < kPython.size(); n += 7)
    EXPECT_THROW(read_all(kPython.substr(n)), IOError) << "without the first " << n << " bytes";
}

TEST(ZipReaderBadInput, EveryBitFlipThrowsOrReadsCorrectly) {
  struct Case {
    const std::string* archive;
    std::vector<std::pair<std::string, std::string>> contents;
  };
  std::string hello;
  for (int i = 0; i < 8; ++i) hello += "hello zip64 ";
  const std::vector<Case> cases = {
      {&kPython, {{"config.json", python_config()}, {"weights.bin", range_bytes(40)}}},
      {&kPython64, {{"a.txt", hello}, {"b.bin", range_bytes(40)}}},
      {&kPythonStream, {{"stream.txt", streamed_text()}}}};
  for (const Case& c : cases) {
    int threw = 0, fine = 0;
    for (size_t i = 0; i < c.archive->size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string b = *c.archive;
        b[i] = static_cast<char>(b[i] ^ (1 << bit));
        try {
          ZipReader r = ZipReader::from_bytes(b, "flipped.zip");
          for (const std::string& name : r.names()) {
            auto it = std::find_if(c.contents.begin(), c.contents.end(),
                                   [&](const auto& kv) { return kv.first == name; });
            try {
              const std::string data = r.read(name);
              // A flip in a don't-care field (time, attributes, comment): the data must be right,
              // and a flipped name must not have survived the local header check.
              ASSERT_NE(it, c.contents.end()) << "byte " << i << " bit " << bit << ": " << name;
              EXPECT_EQ(data, it->second) << "byte " << i << " bit " << bit;
              ++fine;
            } catch (const IOError& e) {
              EXPECT_NE(std::string(e.what()).find("flipped.zip"), std::string::npos) << e.what();
              EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
              ++threw;
            }
          }
        } catch (const IOError& e) {
          EXPECT_NE(std::string(e.what()).find("flipped.zip"), std::string::npos) << e.what();
          ++threw;
        }
      }
    }
    EXPECT_GT(threw, 0);
    EXPECT_GT(fine, 0);
  }
}

TEST(ZipReaderBadInput, RandomBytes) {
  std::mt19937 rng(1234);
  for (int k = 0; k < 300; ++k) {
    std::string b = random_bytes(rng() % 3000, rng());
    EXPECT_THROW(read_all(b), IOError);
    // With a plausible end record, so that parsing goes further: random counts and offsets.
    std::string e = b + std::string(22, '\0');
    const size_t p = b.size();
    put32(e, p, kEnd);
    put16(e, p + 8, static_cast<uint16_t>(rng() % 4));
    put16(e, p + 10, static_cast<uint16_t>(e[p + 8]));
    put32(e, p + 12, rng() % (b.size() + 1));
    put32(e, p + 16, rng() % (b.size() + 1));
    try {
      read_all(e);  // an empty archive can come out; anything but IOError fails the test
    } catch (const IOError&) {
    }
    // Random bytes inside a valid archive's data and headers.
    std::string v = kPython;
    for (int j = 0; j < 1 + static_cast<int>(rng() % 4); ++j) v[rng() % v.size()] = static_cast<char>(rng());
    try {
      read_all(v);
    } catch (const IOError&) {
    }
  }
}

TEST(ZipReaderBadInput, CrcMismatchIsDetected) {
  std::string b = kPython;
  const size_t data = find_sig(b, kLocal, 1) + 30 + 11;  // weights.bin's stored bytes
  b[data + 5] = 'X';
  ZipReader r = ZipReader::from_bytes(b, "model.keras");
  EXPECT_EQ(r.read("config.json"), python_config());
  expect_io_error([&] { r.read("weights.bin"); }, {"model.keras", "weights.bin", "CRC"});
}

TEST(ZipReaderBadInput, AbsurdDeclaredSizeIsRefusedBeforeAllocating) {
  for (uint32_t size : {0xFFFFFF00u, 0x7FFFFFFFu, 200000u}) {
    std::string b = kPython;
    const size_t central = find_sig(b, kCentral, 0);
    put32(b, central + 24, size);                     // uncompressed size of config.json
    put32(b, find_sig(b, kLocal, 0) + 22, size);      // and in the local header
    ZipReader r = ZipReader::from_bytes(b, "big.keras");
    expect_io_error([&] { r.read("config.json"); }, {"big.keras", "config.json", "impossible"});
  }
  // Plausible but wrong: inflate stops at the real size.
  std::string b = kPython;
  put32(b, find_sig(b, kCentral, 0) + 24, 155);
  put32(b, find_sig(b, kLocal, 0) + 22, 155);
  expect_io_error([&] { ZipReader::from_bytes(b).read("config.json"); }, {"config.json", "154"});
  put32(b, find_sig(b, kCentral, 0) + 24, 100);
  put32(b, find_sig(b, kLocal, 0) + 22, 100);
  expect_io_error([&] { ZipReader::from_bytes(b).read("config.json"); }, {"config.json", "longer"});
}

TEST(ZipReaderBadInput, OffsetsOutsideTheFile) {
  std::string b = kPython;
  put32(b, find_sig(b, kCentral, 1) + 42, 0x7FFFFFF0);  // weights.bin's local header offset
  expect_io_error([&] { ZipReader::from_bytes(b, "o.zip"); }, {"o.zip", "weights.bin", "outside"});
  b = kPython;
  put32(b, find_sig(b, kEnd) + 16, 0xFFFFFFF0);  // central directory offset
  expect_io_error([&] { ZipReader::from_bytes(b, "o.zip"); }, {"o.zip", "central directory"});
  b = kPython;
  put32(b, find_sig(b, kCentral, 1) + 20, 0xFFFFFFF0);  // compressed size
  put32(b, find_sig(b, kCentral, 1) + 24, 0xFFFFFFF0);
  expect_io_error([&] { read_all(b); }, {"weights.bin"});
  b = kPython;
  put16(b, find_sig(b, kEnd) + 8, 0xFFFF);  // entry count
  put16(b, find_sig(b, kEnd) + 10, 0xFFFF);
  expect_io_error([&] { ZipReader::from_bytes(b); }, {"entries"});
}

TEST(ZipReaderBadInput, RefusesEncryptedOtherMethodsMultiDiskAndDuplicates) {
  const size_t local1 = find_sig(kPython, kLocal, 1), central1 = find_sig(kPython, kCentral, 1);
  std::string b = kPython;
  b[local1 + 6] |= 1;  // encrypted flag
  b[central1 + 8] |= 1;
  ZipReader enc = ZipReader::from_bytes(b, "enc.zip");
  EXPECT_EQ(enc.read("config.json"), python_config());
  expect_io_error([&] { enc.read("weights.bin"); }, {"enc.zip", "weights.bin", "encrypted"});

  b = kPython;
  put16(b, local1 + 8, 12);  // bzip2
  put16(b, central1 + 10, 12);
  expect_io_error([&] { ZipReader::from_bytes(b).read("weights.bin"); },
                  {"weights.bin", "method 12", "bzip2", "not supported"});

  b = kPython;
  put16(b, find_sig(b, kEnd) + 4, 1);  // this is disk 1
  expect_io_error([&] { ZipReader::from_bytes(b); }, {"multi-disk"});

  b = kPython;  // rename weights.bin to config.json (same length) in both headers
  b.replace(local1 + 30, 11, "config.json");
  b.replace(central1 + 46, 11, "config.json");
  expect_io_error([&] { ZipReader::from_bytes(b); }, {"duplicate", "config.json"});
}
