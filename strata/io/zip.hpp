// Zip archives, as used by Keras 3 `.keras` files (config.json, metadata.json, model.weights.h5
// written by Python's zipfile). ZipReader reads stored (method 0) and deflated (method 8) entries
// from a file or a byte buffer, Zip64 archives included, and checks every entry's CRC-32 and sizes;
// encrypted entries, other compression methods and multi-disk archives are refused. Any damage
// (truncation, flipped bits, offsets outside the file, sizes that do not add up) is an IOError
// naming the archive and the entry; the memory used for an entry is bounded by its compressed size
// times deflate's maximum ratio, so a forged size cannot trigger a huge allocation. ZipWriter
// writes through a temporary file that close() renames over the target, so an interrupted write
// leaves the old file (or none) in place; with a fixed timestamp its output is deterministic.
//
//   ZipWriter w("model.keras", {.timestamp = DosDateTime{2024, 1, 1}});
//   w.add("config.json", config_text);              // deflated
//   w.add("model.weights.h5", h5_bytes, false);     // stored
//   w.close();                                      // nothing appears at model.keras before this
//
//   ZipReader r("model.keras");
//   for (const std::string& name : r.names()) ...;
//   std::string config = r.read("config.json");
//   r.extract("model.weights.h5", tmp_path);        // streams to a file, constant memory
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::io {

// CRC-32 (the zip / gzip polynomial) of `bytes`, continuing from `crc` for data in pieces.
uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

struct ZipEntry {
  std::string name;             // UTF-8 (names without the UTF-8 flag are decoded from CP437)
  uint16_t method = 0;          // 0 stored, 8 deflated
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint32_t crc32 = 0;
};

// Not thread-safe: one thread at a time per ZipReader (reads share one file handle).
class ZipReader {
 public:
  // Reads the archive's directory. Throws IOError when the file is missing, unreadable, empty, not
  // a zip archive, damaged, multi-disk, or has duplicate entry names.
  explicit ZipReader(const std::filesystem::path& path);
  // An archive held in memory; `label` stands for the file name in error messages.
  static ZipReader from_bytes(std::string bytes, std::string label = "<in-memory zip>");

  ZipReader(ZipReader&&) noexcept;
  ZipReader& operator=(ZipReader&&) noexcept;
  ~ZipReader();

  // Entry names in central directory order.
  std::vector<std::string> names() const;
  const std::vector<ZipEntry>& entries() const;
  bool contains(const std::string& name) const;
  // The archive comment (raw bytes).
  const std::string& comment() const;

  // An entry's uncompressed bytes, CRC and size checked. Throws IOError when the entry is missing,
  // encrypted, uses another method than stored/deflate, or is damaged.
  std::string read(const std::string& name) const;
  // Streams an entry into the file `dest` (created or truncated) with the same checks as read();
  // on any error the partial `dest` is removed. For large entries (HDF5 weights).
  void extract(const std::string& name, const std::filesystem::path& dest) const;

 private:
  struct Impl;
  explicit ZipReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A date and time as zip stores it (local time, 2-second resolution, years 1980..2107).
struct DosDateTime {
  int year = 1980, month = 1, day = 1, hour = 0, minute = 0, second = 0;
};

struct ZipWriterOptions {
  // Stamped on every entry; the current local time when empty. Fix it for reproducible archives.
  std::optional<DosDateTime> timestamp;
  // zlib level for deflated entries, 0..9 (6 is zlib's and Python's default).
  int level = 6;
  // Archive comment, at most 65535 bytes.
  std::string comment;
};

class ZipWriter {
 public:
  // Creates the temporary file beside `path` (IOError when the folder does not exist or is not
  // writable); `path` itself is only replaced by close().
  explicit ZipWriter(std::filesystem::path path, ZipWriterOptions options = {});
  // Without a successful close(), removes the temporary file and leaves `path` untouched.
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Appends an entry, deflated or stored. Names are UTF-8 (flagged as such when not ASCII), at
  // most 65535 bytes, unique and not empty (ValueError otherwise; also after close()). Entries and
  // archives of 4 GiB or more (Zip64) are refused with an IOError. After an IOError the writer is
  // failed: later calls throw and the target is never replaced.
  void add(const std::string& name, std::string_view bytes, bool deflate = true);
  // Writes the central directory and end record, flushes, and renames over the target.
  void close();

  const std::filesystem::path& path() const { return path_; }

 private:
  struct Record;
  void write_raw(const void* data, size_t n);
  [[noreturn]] void fail(const std::string& why);

  std::filesystem::path path_;
  std::filesystem::path tmp_;
  ZipWriterOptions options_;
  uint16_t dos_time_ = 0, dos_date_ = 0;
  void* file_ = nullptr;  // std::FILE*
  uint64_t offset_ = 0;
  std::vector<Record> records_;
  bool closed_ = false;
  bool failed_ = false;
};

}  // namespace strata::io
