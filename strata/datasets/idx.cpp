#include "strata/datasets/idx.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <sstream>
#include <type_traits>

#include "strata/core/error.hpp"
#include "strata/datasets/gzip_reader.hpp"

namespace strata::datasets {

namespace {

struct ElementType {
  uint8_t code;
  size_t size;
  const char* name;
};

constexpr ElementType kTypes[] = {{0x08, 1, "ubyte"}, {0x09, 1, "byte"},  {0x0B, 2, "short"},
                                  {0x0C, 4, "int"},   {0x0D, 4, "float"}, {0x0E, 8, "double"}};

const ElementType* find_type(uint8_t code) {
  for (const auto& t : kTypes)
    if (t.code == code) return &t;
  return nullptr;
}

std::string hex(uint32_t v, int digits) {
  std::ostringstream s;
  s << "0x" << std::hex << std::uppercase;
  s.width(digits);
  s.fill('0');
  s << v;
  return s.str();
}

uint32_t load_u32_be(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

template <class T>
T load_be(const unsigned char* p) {
  using Bits = std::conditional_t<sizeof(T) == 1, uint8_t,
               std::conditional_t<sizeof(T) == 2, uint16_t,
               std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
  uint64_t u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u = u << 8 | p[i];
  return std::bit_cast<T>(static_cast<Bits>(u));
}

// The file as read, before element conversion.
struct RawIdx {
  Shape shape;
  const ElementType* type = nullptr;
  std::vector<unsigned char> data;  // big-endian elements
};

// Reads exactly `bytes` bytes into `out`, growing it as data arrives so that a corrupt header
// promising terabytes fails with "truncated" instead of an allocation failure.
size_t read_growing(GzipReader& in, std::vector<unsigned char>& out, size_t bytes) {
  constexpr size_t kChunk = 1 << 22;
  out.reserve(std::min(bytes, size_t{1} << 26));
  while (out.size() < bytes) {
    size_t old = out.size();
    size_t want = std::min(kChunk, bytes - old);
    out.resize(old + want);
    size_t got = in.read(out.data() + old, want);
    out.resize(old + got);
    if (got < want) break;
  }
  return out.size();
}

RawIdx read_raw(const std::string& path) {
  GzipReader in(path, "IDX file");
  const std::string who = in.describe();

  unsigned char magic[4];
  size_t got = in.read(magic, 4);
  if (got < 4)
    throw IOError(who + ": truncated header: expected 4 bytes of magic number, found " +
                  std::to_string(got));
  if (magic[0] != 0 || magic[1] != 0)
    throw IOError(who + ": bad magic number " + hex(load_u32_be(magic), 8) +
                  ": IDX files start with two zero bytes (0x000008NN); this is not an IDX file");

  RawIdx raw;
  raw.type = find_type(magic[2]);
  if (!raw.type)
    throw IOError(who + ": unknown IDX element type code " + hex(magic[2], 2) +
                  " (expected 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float or "
                  "0x0E double)");
  const int rank = magic[3];
  if (rank > Shape::kMaxRank)
    throw IOError(who + ": has " + std::to_string(rank) + " dimensions; at most " +
                  std::to_string(Shape::kMaxRank) + " are supported");

  std::vector<unsigned char> dims_be(4 * static_cast<size_t>(rank));
  got = in.read(dims_be.data(), dims_be.size());
  if (got < dims_be.size())
    throw IOError(who + ": truncated header: expected " + std::to_string(dims_be.size()) +
                  " bytes of dimension sizes for " + std::to_string(rank) +
                  " dimensions, found " + std::to_string(got));

  int64_t numel = 1;
  bool overflow = false;
  for (int i = 0; i < rank; ++i) {
    int64_t d = load_u32_be(&dims_be[4 * i]);
    raw.shape.push_back(d);
    overflow = overflow || __builtin_mul_overflow(numel, d, &numel);
  }
  const auto elem_size = static_cast<int64_t>(raw.type->size);
  int64_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(numel, elem_size, &bytes);
  if (overflow)
    throw IOError(who + ": dimensions " + raw.shape.str() + " of " + raw.type->name +
                  " elements overflow: their byte count does not fit in 64 bits");

  const auto expected = static_cast<size_t>(bytes);
  got = read_growing(in, raw.data, expected);
  const std::string layout = raw.shape.str() + " of " + raw.type->name;
  if (got < expected)
    throw IOError(who + ": truncated data: expected " + std::to_string(expected) +
                  " bytes after the header for shape " + layout + ", found " + std::to_string(got));
  size_t trailing = 0;
  unsigned char sink[4096];
  while (size_t n = in.read(sink, sizeof sink)) trailing += n;
  if (trailing)
    throw IOError(who + ": " + std::to_string(trailing) +
                  " unexpected bytes after the data: expected " + std::to_string(expected) +
                  " bytes after the header for shape " + layout + ", found " +
                  std::to_string(expected + trailing));
  return raw;
}

template <class Src, class Dst>
void convert_as(const unsigned char* p, size_t n, Dst* out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<Dst>(load_be<Src>(p + i * sizeof(Src)));
}

template <class Dst>
std::vector<Dst> convert(const RawIdx& raw) {
  const size_t n = static_cast<size_t>(raw.shape.numel());
  std::vector<Dst> out(n);
  const unsigned char* p = raw.data.data();
  switch (raw.type->code) {
    case 0x08: convert_as<uint8_t>(p, n, out.data()); break;
    case 0x09: convert_as<int8_t>(p, n, out.data()); break;
    case 0x0B: convert_as<int16_t>(p, n, out.data()); break;
    case 0x0C: convert_as<int32_t>(p, n, out.data()); break;
    case 0x0D: convert_as<float>(p, n, out.data()); break;
    case 0x0E: convert_as<double>(p, n, out.data()); break;
  }
  return out;
}

}  // namespace

std::string idx_type_name(uint8_t type_code) {
  if (const ElementType* t = find_type(type_code)) return t->name;
  throw ValueError("unknown IDX element type code " + hex(type_code, 2));
}

IdxArray read_idx(const std::string& path) {
  RawIdx raw = read_raw(path);
  IdxArray a;
  a.values = convert<float>(raw);
  a.shape = raw.shape;
  a.type_code = raw.type->code;
  return a;
}

Tensor read_idx_tensor(const std::string& path, DType dtype, float scale) {
  if (dtype != DType::float32 && scale != 1.f)
    throw ValueError("read_idx_tensor('" + path + "'): scale " + std::to_string(scale) +
                     " applies only to float32; integer dtype " + dtype_name(dtype) +
                     " needs scale 1");
  RawIdx raw = read_raw(path);
  if (dtype == DType::float32) {
    std::vector<float> v = convert<float>(raw);
    if (scale != 1.f)
      for (float& x : v) x *= scale;
    return Tensor::from_vector(raw.shape, v);
  }
  if (raw.type->code == 0x0D || raw.type->code == 0x0E)
    throw IOError("IDX file '" + path + "': holds " + raw.type->name +
                  " elements, which cannot be read exactly as " + dtype_name(dtype) +
                  "; read it as float32");
  if (dtype == DType::int32) return Tensor::from_vector(raw.shape, convert<int32_t>(raw));
  return Tensor::from_vector(raw.shape, convert<int64_t>(raw));
}

}  // namespace strata::datasets
