#include "strata/datasets/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "datasets/test_util.hpp"
#include "strata/core/error.hpp"

namespace strata::datasets {
namespace {

using test::be_bytes;
using test::expect_io_error;
using test::idx_bytes;
using test::TempDir;

std::string write_gz(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir.file(name);
  gzFile f = gzopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot create " + path);
  int wrote = gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  if (wrote != static_cast<int>(bytes.size())) throw std::runtime_error("gzwrite failed");
  return path;
}

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

std::string ubyte_iota(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(Idx, ReadsUbyteArrayInRowMajorOrder) {
  TempDir dir;
  auto path = dir.write("images-idx3-ubyte", idx_bytes(0x08, {2, 3, 4}, ubyte_iota(24)));
  IdxArray a = read_idx(path);
  EXPECT_EQ(a.shape, (Shape{2, 3, 4}));
  EXPECT_EQ(a.type_code, 0x08);
  EXPECT_EQ(a.values, iota(24));
}

TEST(Idx, ReadsEveryElementTypeBigEndian) {
  struct Case {
    uint8_t code;
    std::string data;
    std::vector<float> expected;
  };
  const Case cases[] = {
      {0x08, be_bytes<uint8_t>({0, 1, 200, 255}), {0, 1, 200, 255}},
      {0x09, be_bytes<int8_t>({-128, -1, 0, 127}), {-128, -1, 0, 127}},
      {0x0B, be_bytes<int16_t>({-300, 1234, -32768, 32767}), {-300, 1234, -32768, 32767}},
      {0x0C, be_bytes<int32_t>({-70000, 123456, 0, 1 << 20}), {-70000, 123456, 0, 1 << 20}},
      {0x0D, be_bytes<float>({-1.5f, 3.25f, 1e-7f, 6e30f}), {-1.5f, 3.25f, 1e-7f, 6e30f}},
      {0x0E,
       be_bytes<double>({1e-3, -2.5, 0.1, 1e30}),
       {static_cast<float>(1e-3), -2.5f, 0.1f, 1e30f}},
  };
  TempDir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(idx_type_name(c.code));
    IdxArray a = read_idx(dir.write("a.idx", idx_bytes(c.code, {2, 2}, c.data)));
    EXPECT_EQ(a.type_code, c.code);
    EXPECT_EQ(a.shape, (Shape{2, 2}));
    EXPECT_EQ(a.values, c.expected);
  }
}

TEST(Idx, GzippedFileReadsLikePlainFile) {
  TempDir dir;
  const std::string bytes = idx_bytes(0x0B, {3, 2}, be_bytes<int16_t>({1, -2, 300, -400, 5, 6}));
  IdxArray plain = read_idx(dir.write("x.idx", bytes));
  IdxArray gz = read_idx(write_gz(dir, "x.idx.gz", bytes));
  EXPECT_EQ(gz.shape, plain.shape);
  EXPECT_EQ(gz.type_code, plain.type_code);
  EXPECT_EQ(gz.values, (std::vector<float>{1, -2, 300, -400, 5, 6}));
  EXPECT_EQ(gz.values, plain.values);
}

TEST(Idx, LargeGzippedFileSpanningManyReadChunks) {
  TempDir dir;
  const int n = 3'000'000;  // more than one 4 MiB read chunk
  std::string data(n, '\0');
  for (int i = 0; i < n; ++i) data[i] = static_cast<char>(i % 251);
  IdxArray a = read_idx(write_gz(dir, "big.gz", idx_bytes(0x08, {1000, 3000}, data)));
  ASSERT_EQ(a.values.size(), static_cast<size_t>(n));
  EXPECT_EQ(a.values[n - 1], static_cast<float>((n - 1) % 251));
  EXPECT_EQ(a.values[123457], static_cast<float>(123457 % 251));
}

TEST(Idx, EmptyDimensionGivesNoValues) {
  TempDir dir;
  IdxArray a = read_idx(dir.write("empty.idx", idx_bytes(0x08, {0, 28, 28}, "")));
  EXPECT_EQ(a.shape, (Shape{0, 28, 28}));
  EXPECT_TRUE(a.values.empty());
}

TEST(Idx, MissingFileIsIOErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("no-such-file.idx.gz");
  expect_io_error([&] { read_idx(path); }, {path, "not found"});
  expect_io_error([&] { read_idx(dir.path()); }, {dir.path(), "directory"});
}

TEST(Idx, BadMagicNumber) {
  TempDir dir;
  auto path = dir.write("archive.zip", std::string("PK\x03\x04", 4) + std::string(20, 'x'));
  expect_io_error([&] { read_idx(path); }, {path, "bad magic number 0x504B0304"});
}

TEST(Idx, UnknownTypeCode) {
  TempDir dir;
  auto path = dir.write("odd.idx", idx_bytes(0x0A, {2}, "ab"));
  expect_io_error([&] { read_idx(path); }, {path, "unknown IDX element type code 0x0A"});
}

TEST(Idx, TruncatedDataSaysExpectedAndActualBytes) {
  TempDir dir;
  const std::string bytes = idx_bytes(0x0B, {3, 4}, be_bytes<int16_t>({1, 2, 3, 4, 5}));
  auto plain = dir.write("cut.idx", bytes);
  expect_io_error([&] { read_idx(plain); },
                  {plain, "truncated data", "expected 24 bytes", "found 10"});
  auto gz = write_gz(dir, "cut.idx.gz", bytes);
  expect_io_error([&] { read_idx(gz); }, {gz, "truncated data", "expected 24 bytes", "found 10"});
}

TEST(Idx, TruncatedHeader) {
  TempDir dir;
  auto empty = dir.write("empty.idx", "");
  expect_io_error([&] { read_idx(empty); }, {empty, "truncated header", "found 0"});
  // Rank 3 promises 12 bytes of dimensions; only 6 follow.
  auto cut = dir.write("cut-header.idx", std::string("\0\0\x08\x03\0\0\0\x02\0\0", 10));
  expect_io_error([&] { read_idx(cut); }, {cut, "truncated header", "expected 12", "found 6"});
}

TEST(Idx, GzipStreamCutShort) {
  TempDir dir;
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) % 256);
  auto whole = write_gz(dir, "whole.gz", idx_bytes(0x08, {100000}, data));
  std::ifstream in(whole, std::ios::binary);
  std::string compressed((std::istreambuf_iterator<char>(in)), {});
  auto cut = dir.write("cut.gz", compressed.substr(0, compressed.size() / 2));
  expect_io_error([&] { read_idx(cut); }, {cut, "truncated data", "expected 100000 bytes"});
}

TEST(Idx, CorruptGzipData) {
  TempDir dir;
  // A valid gzip header (deflate, no flags) followed by bytes that are not a deflate stream.
  std::string bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  bytes += std::string(64, '\xff');
  auto path = dir.write("corrupt.gz", bytes);
  expect_io_error([&] { read_idx(path); }, {path, "cannot read"});
}

TEST(Idx, TrailingBytesAreAnError) {
  TempDir dir;
  auto path = dir.write("long.idx", idx_bytes(0x08, {4}, "abcdefg"));
  expect_io_error([&] { read_idx(path); }, {path, "3 unexpected bytes", "expected 4", "found 7"});
}

TEST(Idx, DimensionProductOverflow) {
  TempDir dir;
  auto path = dir.write("huge.idx", idx_bytes(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0x10}, "x"));
  expect_io_error([&] { read_idx(path); }, {path, "overflow", "(4294967295, 4294967295, 16)"});
}

TEST(Idx, HugeHeaderWithLittleDataIsTruncatedNotOutOfMemory) {
  TempDir dir;
  auto path = dir.write("liar.idx", idx_bytes(0x0D, {0x7FFFFFFF, 0x100}, "abcd"));
  expect_io_error([&] { read_idx(path); }, {path, "truncated data", "found 4"});
}

TEST(Idx, TooManyDimensions) {
  TempDir dir;
  auto path = dir.write("deep.idx", idx_bytes(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}, "x"));
  expect_io_error([&] { read_idx(path); }, {path, "9 dimensions", "at most 8"});
}

TEST(IdxTensor, Float32IsScaled) {
  TempDir dir;
  auto path = dir.write("x.idx", idx_bytes(0x08, {2, 2}, be_bytes<uint8_t>({0, 51, 102, 255})));
  Tensor t = read_idx_tensor(path, DType::float32, 0.5f);
  EXPECT_EQ(t.dtype(), DType::float32);
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 25.5f, 51, 127.5f}));
}

TEST(IdxTensor, IntegersAreExactBeyondFloatPrecision) {
  TempDir dir;
  // 2^24 + 1 has no float32 representation; the integer path must not go through float.
  const int32_t big = (1 << 24) + 1;
  auto path = dir.write("y.idx", idx_bytes(0x0C, {3}, be_bytes<int32_t>({big, -7, 0})));
  Tensor t32 = read_idx_tensor(path, DType::int32);
  EXPECT_EQ(t32.dtype(), DType::int32);
  EXPECT_EQ(t32.to_vector<int32_t>(), (std::vector<int32_t>{big, -7, 0}));
  Tensor t64 = read_idx_tensor(path, DType::int64);
  EXPECT_EQ(t64.to_vector<int64_t>(), (std::vector<int64_t>{big, -7, 0}));
}

TEST(IdxTensor, FloatFileAsIntegersIsRejected) {
  TempDir dir;
  auto path = dir.write("f.idx", idx_bytes(0x0D, {1}, be_bytes<float>({1.5f})));
  expect_io_error([&] { read_idx_tensor(path, DType::int32); }, {path, "float", "int32"});
  auto ints = dir.write("i.idx", idx_bytes(0x08, {1}, "a"));
  EXPECT_THROW(read_idx_tensor(ints, DType::int32, 2.f), ValueError);
}

}  // namespace
}  // namespace strata::datasets
