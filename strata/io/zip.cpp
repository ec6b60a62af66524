#include "strata/io/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "strata/core/error.hpp"
#include "strata/io/atomic_file.hpp"

namespace strata::io {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kEnd64Size = 56,
                 kEnd64LocatorSize = 20;
constexpr uint64_t kMaxComment = 0xFFFF;
// Deflate cannot expand by more than 1032:1; the slack covers block headers of tiny streams.
constexpr uint64_t kMaxDeflateRatio = 1032, kDeflateSlack = 1024;
constexpr size_t kChunk = size_t{1} << 18;

constexpr uint16_t kFlagEncrypted = 1u << 0, kFlagDataDescriptor = 1u << 3,
                   kFlagStrongEncryption = 1u << 6, kFlagUtf8 = 1u << 11,
                   kFlagMaskedHeaders = 1u << 13;

uint16_t get16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t get32(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint64_t get64(const unsigned char* p) { return uint64_t{get32(p)} | (uint64_t{get32(p + 4)} << 32); }

const unsigned char* bytes_of(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// a + b <= limit, without overflow.
bool fits(uint64_t a, uint64_t b, uint64_t limit) { return a <= limit && b <= limit - a; }

// CP437 code points of bytes 0x80..0xFF (names without the UTF-8 flag, as Python's zipfile reads them).
constexpr uint16_t kCp437High[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
    0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
    0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
    0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4,
    0x221E, 0x03C6, 0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0};

std::string cp437_to_utf8(const std::string& raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    uint16_t cp = kCp437High[c - 0x80];
    if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    }
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string method_name(uint16_t m) {
  switch (m) {
    case 1: return "shrink";
    case 6: return "implode";
    case 9: return "deflate64";
    case 12: return "bzip2";
    case 14: return "lzma";
    case 93: return "zstd";
    case 95: return "xz";
    case 98: return "ppmd";
    default: return "unknown";
  }
}

struct InflateGuard {
  z_stream* zs;
  ~InflateGuard() { inflateEnd(zs); }
};

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t crc) {
  uLong c = crc;
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {
    uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    c = ::crc32(c, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(c);
}

// ---------------------------------------------------------------------------------------------
// ZipReader

struct ZipReader::Impl {
  std::string label;
  bool in_memory = false;
  std::string buffer;
  mutable std::ifstream file;
  uint64_t size = 0;
  std::string comment;
  std::vector<ZipEntry> entries;
  struct Where {
    uint64_t local_offset = 0;
    uint16_t flags = 0;
    std::string raw_name;
  };
  std::vector<Where> where;
  std::unordered_map<std::string, size_t> index;

  std::string prefix() const { return "zip archive '" + label + "'"; }
  [[noreturn]] void fail(const std::string& why) const { throw IOError(prefix() + ": " + why); }
  [[noreturn]] void fail_entry(const std::string& name, const std::string& why) const {
    throw IOError(prefix() + ": entry '" + name + "': " + why);
  }

  bool in_file(uint64_t off, uint64_t n) const { return fits(off, n, size); }

  // Callers check the range first; this re-checks so that no path reads out of bounds.
  void read_at(uint64_t off, void* dst, size_t n) const {
    if (!in_file(off, n)) fail("read past the end of the file (damaged archive)");
    if (n == 0) return;
    if (in_memory) {
      std::memcpy(dst, buffer.data() + off, n);
      return;
    }
    file.clear();
    file.seekg(static_cast<std::streamoff>(off));
    file.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!file || static_cast<size_t>(file.gcount()) != n)
      fail("cannot read " + std::to_string(n) + " bytes at offset " + std::to_string(off) +
           " (file changed or unreadable)");
  }
  std::string read_string(uint64_t off, size_t n) const {
    std::string s(n, '\0');
    read_at(off, s.data(), n);
    return s;
  }

  void parse();
  const ZipEntry& find(const std::string& name, size_t* i) const;
  // Checks the local header and calls sink(data, n) with the uncompressed bytes in order, then
  // verifies size and CRC.
  template <class Sink>
  void stream(size_t i, Sink&& sink) const;
};

void ZipReader::Impl::parse() {
  if (size == 0) fail("the file is empty, not a zip archive");
  if (size < kEndSize)
    fail("too small to be a zip archive (" + std::to_string(size) + " bytes)");

  // End of central directory record: 22 bytes plus a comment of up to 65535 bytes at the end.
  const uint64_t tail_len = std::min<uint64_t>(size, kEndSize + kMaxComment);
  const uint64_t tail_off = size - tail_len;
  const std::string tail = read_string(tail_off, static_cast<size_t>(tail_len));
  const unsigned char* t = bytes_of(tail);
  std::optional<uint64_t> end_pos;
  bool saw_signature = false;
  for (uint64_t i = tail_len - kEndSize + 1; i-- > 0;) {
    if (get32(t + i) != kEndSig) continue;
    saw_signature = true;
    if (kEndSize + get16(t + i + 20) == tail_len - i) {
      end_pos = tail_off + i;
      break;
    }
  }
  if (!end_pos) {
    if (saw_signature)
      fail("the end of central directory record is damaged (its comment length does not match "
           "the file size)");
    fail("not a zip archive (no end of central directory record)");
  }
  const unsigned char* e = t + (*end_pos - tail_off);
  uint64_t disk = get16(e + 4), cd_disk = get16(e + 6), n_here = get16(e + 8),
           n_total = get16(e + 10), cd_size = get32(e + 12), cd_offset = get32(e + 16);
  comment.assign(reinterpret_cast<const char*>(e + kEndSize), get16(e + 20));
  uint64_t cd_end_limit = *end_pos;  // the central directory lies before this

  // Zip64: a locator right before the end record points at the Zip64 end record.
  if (*end_pos >= kEnd64LocatorSize) {
    unsigned char loc[kEnd64LocatorSize];
    read_at(*end_pos - kEnd64LocatorSize, loc, kEnd64LocatorSize);
    if (get32(loc) == kEnd64LocatorSig) {
      const uint64_t locator_pos = *end_pos - kEnd64LocatorSize;
      const uint32_t end64_disk = get32(loc + 4), n_disks = get32(loc + 16);
      const uint64_t end64_pos = get64(loc + 8);
      if (end64_disk != 0 || n_disks > 1)
        fail("multi-disk (split or spanned) archives are not supported");
      if (!fits(end64_pos, kEnd64Size, locator_pos))
        fail("the Zip64 end record offset " + std::to_string(end64_pos) +
             " lies outside the file");
      unsigned char r[kEnd64Size];
      read_at(end64_pos, r, kEnd64Size);
      if (get32(r) != kEnd64Sig) fail("the Zip64 end of central directory record is damaged");
      disk = get32(r + 16);
      cd_disk = get32(r + 20);
      n_here = get64(r + 24);
      n_total = get64(r + 32);
      cd_size = get64(r + 40);
      cd_offset = get64(r + 48);
      cd_end_limit = end64_pos;
    }
  }
  if (disk != 0 || cd_disk != 0 || n_here != n_total)
    fail("multi-disk (split or spanned) archives are not supported");
  if (!fits(cd_offset, cd_size, cd_end_limit))
    fail("the central directory (offset " + std::to_string(cd_offset) + ", " +
         std::to_string(cd_size) + " bytes) lies outside the file");
  if (n_total > cd_size / kCentralSize)
    fail("the end record claims " + std::to_string(n_total) + " entries in a " +
         std::to_string(cd_size) + "-byte central directory");

  const std::string cd = read_string(cd_offset, static_cast<size_t>(cd_size));
  const unsigned char* c = bytes_of(cd);
  size_t pos = 0;
  entries.reserve(static_cast<size_t>(n_total));
  where.reserve(static_cast<size_t>(n_total));
  for (uint64_t k = 0; k < n_total; ++k) {
    const std::string which = "central directory entry " + std::to_string(k);
    if (cd.size() - pos < kCentralSize || get32(c + pos) != kCentralSig)
      fail(which + " is damaged (bad signature or truncated)");
    const unsigned char* h = c + pos;
    const size_t name_len = get16(h + 28), extra_len = get16(h + 30), comment_len = get16(h + 32);
    if (cd.size() - pos - kCentralSize < name_len + extra_len + comment_len)
      fail(which + " runs past the end of the central directory");
    Where w;
    w.flags = get16(h + 8);
    w.raw_name.assign(reinterpret_cast<const char*>(h + kCentralSize), name_len);
    ZipEntry entry;
    entry.name = (w.flags & kFlagUtf8) ? w.raw_name : cp437_to_utf8(w.raw_name);
    entry.method = get16(h + 10);
    entry.crc32 = get32(h + 16);
    entry.compressed_size = get32(h + 20);
    entry.uncompressed_size = get32(h + 24);
    uint64_t disk_start = get16(h + 34);
    w.local_offset = get32(h + 42);

    // Zip64 extra field (id 1): the 64-bit values of exactly those fields that hold all ones.
    const unsigned char* x = h + kCentralSize + name_len;
    bool need64 = entry.uncompressed_size == 0xFFFFFFFF || entry.compressed_size == 0xFFFFFFFF ||
                  w.local_offset == 0xFFFFFFFF || disk_start == 0xFFFF;
    size_t xp = 0;
    while (xp < extra_len) {
      if (extra_len - xp < 4) fail_entry(entry.name, "damaged extra field");
      const uint16_t id = get16(x + xp), len = get16(x + xp + 2);
      if (extra_len - xp - 4 < len) fail_entry(entry.name, "damaged extra field");
      if (id == 1 && need64) {
        const unsigned char* d = x + xp + 4;
        size_t dp = 0;
        auto take = [&](uint64_t& field, size_t width) {
          if (len - dp < width) fail_entry(entry.name, "damaged Zip64 extra field");
          field = width == 8 ? get64(d + dp) : get32(d + dp);
          dp += width;
        };
        if (entry.uncompressed_size == 0xFFFFFFFF) take(entry.uncompressed_size, 8);
        if (entry.compressed_size == 0xFFFFFFFF) take(entry.compressed_size, 8);
        if (w.local_offset == 0xFFFFFFFF) take(w.local_offset, 8);
        if (disk_start == 0xFFFF) take(disk_start, 4);
        need64 = false;
      }
      xp += 4 + len;
    }
    if (need64 && (entry.uncompressed_size == 0xFFFFFFFF || entry.compressed_size == 0xFFFFFFFF ||
                   w.local_offset == 0xFFFFFFFF))
      fail_entry(entry.name, "Zip64 sizes or offset announced but no Zip64 extra field");
    if (disk_start != 0)
      fail("multi-disk (split or spanned) archives are not supported");
    if (!in_file(w.local_offset, kLocalSize))
      fail_entry(entry.name, "local header offset " + std::to_string(w.local_offset) +
                                 " lies outside the file");
    if (entry.compressed_size > size)
      fail_entry(entry.name, "compressed size " + std::to_string(entry.compressed_size) +
                                 " exceeds the file size");
    if (!index.emplace(entry.name, entries.size()).second)
      fail("duplicate entry '" + entry.name + "'");
    entries.push_back(std::move(entry));
    where.push_back(std::move(w));
    pos += kCentralSize + name_len + extra_len + comment_len;
  }
  if (pos != cd.size())
    fail("the central directory holds more data than its " + std::to_string(n_total) +
         " entries (damaged end record)");
}

const ZipEntry& ZipReader::Impl::find(const std::string& name, size_t* i) const {
  auto it = index.find(name);
  if (it == index.end()) fail("no entry named '" + name + "'");
  *i = it->second;
  return entries[it->second];
}

template <class Sink>
void ZipReader::Impl::stream(size_t i, Sink&& sink) const {
  const ZipEntry& e = entries[i];
  const Where& w = where[i];
  if (w.flags & (kFlagEncrypted | kFlagStrongEncryption | kFlagMaskedHeaders) || e.method == 99)
    fail_entry(e.name, "encrypted entries are not supported");
  if (e.method != 0 && e.method != 8)
    fail_entry(e.name, "compression method " + std::to_string(e.method) + " (" +
                           method_name(e.method) + ") is not supported (only stored and deflate)");
  if (e.method == 0 && e.compressed_size != e.uncompressed_size)
    fail_entry(e.name, "stored entry with compressed size " + std::to_string(e.compressed_size) +
                           " != uncompressed size " + std::to_string(e.uncompressed_size));
  if (e.method == 8 &&
      e.uncompressed_size > e.compressed_size * kMaxDeflateRatio + kDeflateSlack)
    fail_entry(e.name, "declared uncompressed size " + std::to_string(e.uncompressed_size) +
                           " is impossible for " + std::to_string(e.compressed_size) +
                           " deflated bytes");

  // Local header: same name and method; same CRC and sizes unless they follow in a data
  // descriptor or live in a Zip64 extra field.
  unsigned char h[kLocalSize];
  read_at(w.local_offset, h, kLocalSize);
  if (get32(h) != kLocalSig) fail_entry(e.name, "local header is damaged (bad signature)");
  const uint16_t lflags = get16(h + 6), lmethod = get16(h + 8);
  const uint32_t lcrc = get32(h + 14), lcsize = get32(h + 18), lusize = get32(h + 22);
  const uint64_t lname = get16(h + 26), lextra = get16(h + 28);
  const uint64_t name_off = w.local_offset + kLocalSize;
  if (lname != w.raw_name.size() || !in_file(name_off, lname) ||
      read_string(name_off, lname) != w.raw_name)
    fail_entry(e.name, "local header name differs from the central directory");
  if (lmethod != e.method)
    fail_entry(e.name, "local header method differs from the central directory");
  if (lflags & kFlagEncrypted) fail_entry(e.name, "encrypted entries are not supported");
  if (!(lflags & kFlagDataDescriptor)) {
    const bool sizes_ok = (lcsize == 0xFFFFFFFF || lcsize == e.compressed_size) &&
                          (lusize == 0xFFFFFFFF || lusize == e.uncompressed_size);
    if (lcrc != e.crc32 || !sizes_ok)
      fail_entry(e.name, "local header CRC or sizes differ from the central directory");
  }
  const uint64_t data_off = name_off + lname + lextra;
  if (!in_file(data_off, e.compressed_size))
    fail_entry(e.name, "data (offset " + std::to_string(data_off) + ", " +
                           std::to_string(e.compressed_size) + " bytes) runs past the end of the file");

  uint32_t crc = 0;
  uint64_t produced = 0;
  std::string in(static_cast<size_t>(std::min<uint64_t>(kChunk, e.compressed_size)), '\0');
  uint64_t in_pos = data_off, in_left = e.compressed_size;
  auto emit = [&](const char* p, size_t n) {
    if (n == 0) return;
    if (n > e.uncompressed_size - produced)
      fail_entry(e.name, "data is longer than the declared " +
                             std::to_string(e.uncompressed_size) + " bytes");
    crc = crc32(std::string_view(p, n), crc);
    produced += n;
    sink(p, n);
  };

  if (e.method == 0) {
    while (in_left > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(in_left, in.size()));
      read_at(in_pos, in.data(), n);
      in_pos += n;
      in_left -= n;
      emit(in.data(), n);
    }
  } else {
    z_stream zs{};
    if (inflateInit2(&zs, -15) != Z_OK) fail_entry(e.name, "zlib inflateInit2 failed");
    InflateGuard guard{&zs};
    // One byte more than declared lets an overlong stream show itself in the first round.
    std::string out(static_cast<size_t>(std::min<uint64_t>(kChunk, e.uncompressed_size + 1)), '\0');
    int ret = Z_OK;
    while (ret != Z_STREAM_END) {
      if (zs.avail_in == 0 && in_left > 0) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(in_left, in.size()));
        read_at(in_pos, in.data(), n);
        in_pos += n;
        in_left -= n;
        zs.next_in = reinterpret_cast<Bytef*>(in.data());
        zs.avail_in = static_cast<uInt>(n);
      }
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      ret = inflate(&zs, Z_NO_FLUSH);
      if (ret == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0)
        fail_entry(e.name, "deflate data ends early (truncated or damaged)");
      if (ret != Z_OK && ret != Z_STREAM_END)
        fail_entry(e.name, std::string("deflate data is damaged (") +
                               (zs.msg ? zs.msg : "zlib error " + std::to_string(ret)) + ")");
      emit(out.data(), out.size() - zs.avail_out);
    }
    if (zs.avail_in != 0 || in_left != 0)
      fail_entry(e.name, "deflate stream ends before the declared compressed size " +
                             std::to_string(e.compressed_size));
  }
  if (produced != e.uncompressed_size)
    fail_entry(e.name, "data is " + std::to_string(produced) + " bytes, declared " +
                           std::to_string(e.uncompressed_size));
  if (crc != e.crc32) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "CRC-32 mismatch (computed %08x, stored %08x)", crc, e.crc32);
    fail_entry(e.name, buf);
  }
}

ZipReader::ZipReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->parse(); }

ZipReader::ZipReader(const fs::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->label = path.string();
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) impl->fail("file not found");
  if (fs::is_directory(st)) impl->fail("is a directory, not a file");
  impl->file.open(path, std::ios::binary);
  if (!impl->file) impl->fail(std::string("cannot open: ") + std::strerror(errno));
  impl->file.seekg(0, std::ios::end);
  const std::streamoff end = impl->file.tellg();
  if (end < 0) impl->fail("cannot determine the file size");
  impl->size = static_cast<uint64_t>(end);
  impl_ = std::move(impl);
  impl_->parse();
}

ZipReader ZipReader::from_bytes(std::string bytes, std::string label) {
  auto impl = std::make_unique<Impl>();
  impl->label = std::move(label);
  impl->in_memory = true;
  impl->buffer = std::move(bytes);
  impl->size = impl->buffer.size();
  return ZipReader(std::move(impl));
}

ZipReader::ZipReader(ZipReader&&) noexcept = default;
ZipReader& ZipReader::operator=(ZipReader&&) noexcept = default;
ZipReader::~ZipReader() = default;

std::vector<std::string> ZipReader::names() const {
  std::vector<std::string> out;
  out.reserve(impl_->entries.size());
  for (const auto& e : impl_->entries) out.push_back(e.name);
  return out;
}

const std::vector<ZipEntry>& ZipReader::entries() const { return impl_->entries; }

bool ZipReader::contains(const std::string& name) const { return impl_->index.count(name) > 0; }

const std::string& ZipReader::comment() const { return impl_->comment; }

std::string ZipReader::read(const std::string& name) const {
  size_t i = 0;
  const ZipEntry& e = impl_->find(name, &i);
  std::string out;
  // Bounded by the checks in stream(): at most the file size (stored) or 1032 times it (deflate).
  if (e.uncompressed_size <= e.compressed_size * kMaxDeflateRatio + kDeflateSlack)
    out.reserve(static_cast<size_t>(e.uncompressed_size));
  impl_->stream(i, [&](const char* p, size_t n) { out.append(p, n); });
  return out;
}

void ZipReader::extract(const std::string& name, const fs::path& dest) const {
  size_t i = 0;
  const ZipEntry& e = impl_->find(name, &i);
  std::FILE* f = std::fopen(dest.c_str(), "wb");
  if (!f)
    impl_->fail_entry(e.name, "cannot create '" + dest.string() + "': " + std::strerror(errno));
  try {
    impl_->stream(i, [&](const char* p, size_t n) {
      if (std::fwrite(p, 1, n, f) != n)
        impl_->fail_entry(e.name, "cannot write '" + dest.string() + "': " + std::strerror(errno));
    });
    const int rc = std::fclose(f);
    f = nullptr;
    if (rc != 0)
      impl_->fail_entry(e.name, "cannot write '" + dest.string() + "': " + std::strerror(errno));
  } catch (...) {
    if (f) std::fclose(f);
    std::error_code ec;
    fs::remove(dest, ec);
    throw;
  }
}

// ---------------------------------------------------------------------------------------------
// ZipWriter

struct ZipWriter::Record {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0, csize = 0, usize = 0, offset = 0;
};

namespace {

void put16(std::string& s, uint16_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>(v >> 8);
}
void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v & 0xFFFF));
  put16(s, static_cast<uint16_t>(v >> 16));
}

constexpr uint16_t kVersionMadeBy = (3 << 8) | 20;  // Unix, zip 2.0 (as Python writes)
constexpr uint32_t kExternalAttr = 0100644u << 16;   // regular file, rw-r--r--
constexpr uint64_t kZip32Limit = 0xFFFFFFFF;

}  // namespace

ZipWriter::ZipWriter(fs::path path, ZipWriterOptions options)
    : path_(std::move(path)), options_(std::move(options)) {
  if (options_.level < 0 || options_.level > 9)
    throw ValueError("ZipWriter '" + path_.string() + "': level must be 0..9, got " +
                     std::to_string(options_.level));
  if (options_.comment.size() > kMaxComment)
    throw ValueError("ZipWriter '" + path_.string() + "': comment is " +
                     std::to_string(options_.comment.size()) + " bytes, at most 65535 allowed");
  DosDateTime t;
  if (options_.timestamp) {
    t = *options_.timestamp;
    if (t.year < 1980 || t.year > 2107 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 ||
        t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 ||
        t.second > 59)
      throw ValueError("ZipWriter '" + path_.string() +
                       "': timestamp out of range (years 1980..2107, valid month/day/time)");
  } else {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    if (localtime_r(&now, &tm) && tm.tm_year + 1900 >= 1980 && tm.tm_year + 1900 <= 2107)
      t = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
  }
  dos_date_ = static_cast<uint16_t>(((t.year - 1980) << 9) | (t.month << 5) | t.day);
  dos_time_ = static_cast<uint16_t>((t.hour << 11) | (t.minute << 5) | (t.second / 2));

  tmp_ = create_temp_beside(path_);
  std::FILE* f = std::fopen(tmp_.c_str(), "wb");
  if (!f) {
    const int err = errno;
    std::error_code ec;
    fs::remove(tmp_, ec);
    throw IOError("cannot write zip archive '" + path_.string() + "': " + std::strerror(err));
  }
  file_ = f;
}

ZipWriter::~ZipWriter() {
  if (file_) std::fclose(static_cast<std::FILE*>(file_));
  if (!closed_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void ZipWriter::fail(const std::string& why) {
  failed_ = true;
  if (file_) std::fclose(static_cast<std::FILE*>(file_));
  file_ = nullptr;
  std::error_code ec;
  fs::remove(tmp_, ec);
  throw IOError("cannot write zip archive '" + path_.string() + "': " + why);
}

void ZipWriter::write_raw(const void* data, size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, static_cast<std::FILE*>(file_)) != n)
    fail(std::string("write failed: ") + std::strerror(errno));
  offset_ += n;
}

void ZipWriter::add(const std::string& name, std::string_view bytes, bool deflate) {
  const std::string who = "ZipWriter '" + path_.string() + "': entry '" + name + "'";
  if (closed_) throw ValueError(who + ": add() after close()");
  if (failed_) throw IOError(who + ": an earlier write failed");
  if (name.empty()) throw ValueError("ZipWriter '" + path_.string() + "': empty entry name");
  if (name.size() > 0xFFFF) throw ValueError(who + ": name longer than 65535 bytes");
  for (const Record& r : records_)
    if (r.name == name) throw ValueError(who + ": duplicate entry name");
  if (bytes.size() >= kZip32Limit)
    fail("entry '" + name + "' is 4 GiB or larger (Zip64 writing is not supported)");

  Record rec;
  rec.name = name;
  rec.method = deflate ? 8 : 0;
  rec.flags = std::any_of(name.begin(), name.end(),
                          [](char c) { return static_cast<unsigned char>(c) >= 0x80; })
                  ? kFlagUtf8
                  : 0;
  rec.crc = crc32(bytes);
  rec.usize = static_cast<uint32_t>(bytes.size());

  std::string compressed;
  std::string_view payload = bytes;
  if (deflate) {
    z_stream zs{};
    if (deflateInit2(&zs, options_.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      fail("zlib deflateInit2 failed");
    compressed.resize(deflateBound(&zs, static_cast<uLong>(bytes.size())));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    zs.avail_in = static_cast<uInt>(bytes.size());
    zs.next_out = reinterpret_cast<Bytef*>(compressed.data());
    zs.avail_out = static_cast<uInt>(std::min<size_t>(compressed.size(), 0xFFFFFFFFu));
    const int ret = ::deflate(&zs, Z_FINISH);
    const size_t out_len = compressed.size() - zs.avail_out;
    deflateEnd(&zs);
    if (ret != Z_STREAM_END) fail("zlib deflate failed for entry '" + name + "'");
    compressed.resize(out_len);
    payload = compressed;
  }
  if (payload.size() >= kZip32Limit || offset_ >= kZip32Limit)
    fail("archive reaches 4 GiB (Zip64 writing is not supported)");
  rec.csize = static_cast<uint32_t>(payload.size());
  rec.offset = static_cast<uint32_t>(offset_);

  std::string h;
  put32(h, kLocalSig);
  put16(h, deflate ? 20 : 10);  // version needed to extract
  put16(h, rec.flags);
  put16(h, rec.method);
  put16(h, dos_time_);
  put16(h, dos_date_);
  put32(h, rec.crc);
  put32(h, rec.csize);
  put32(h, rec.usize);
  put16(h, static_cast<uint16_t>(name.size()));
  put16(h, 0);  // extra length
  h += name;
  write_raw(h.data(), h.size());
  write_raw(payload.data(), payload.size());
  records_.push_back(std::move(rec));
}

void ZipWriter::close() {
  if (closed_) return;
  if (failed_) throw IOError("cannot write zip archive '" + path_.string() + "': an earlier write failed");
  if (records_.size() > 0xFFFF) fail("more than 65535 entries (Zip64 writing is not supported)");
  const uint64_t cd_offset = offset_;
  std::string cd;
  for (const Record& r : records_) {
    put32(cd, kCentralSig);
    put16(cd, kVersionMadeBy);
    put16(cd, r.method == 8 ? 20 : 10);
    put16(cd, r.flags);
    put16(cd, r.method);
    put16(cd, dos_time_);
    put16(cd, dos_date_);
    put32(cd, r.crc);
    put32(cd, r.csize);
    put32(cd, r.usize);
    put16(cd, static_cast<uint16_t>(r.name.size()));
    put16(cd, 0);  // extra length
    put16(cd, 0);  // comment length
    put16(cd, 0);  // disk number start
    put16(cd, 0);  // internal attributes
    put32(cd, kExternalAttr);
    put32(cd, r.offset);
    cd += r.name;
  }
  if (cd_offset + cd.size() >= kZip32Limit)
    fail("archive reaches 4 GiB (Zip64 writing is not supported)");
  std::string end;
  put32(end, kEndSig);
  put16(end, 0);
  put16(end, 0);
  put16(end, static_cast<uint16_t>(records_.size()));
  put16(end, static_cast<uint16_t>(records_.size()));
  put32(end, static_cast<uint32_t>(cd.size()));
  put32(end, static_cast<uint32_t>(cd_offset));
  put16(end, static_cast<uint16_t>(options_.comment.size()));
  end += options_.comment;
  write_raw(cd.data(), cd.size());
  write_raw(end.data(), end.size());

  std::FILE* f = static_cast<std::FILE*>(file_);
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    const int err = errno;
    fail(std::string("write failed: ") + std::strerror(err));
  }
  try {
    commit_temp_file(tmp_, path_);
  } catch (const IOError&) {
    failed_ = true;
    std::error_code ec;
    fs::remove(tmp_, ec);
    throw;
  }
  closed_ = true;
}

}  // namespace strata::io
