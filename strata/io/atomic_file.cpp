#include "strata/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

#include "strata/core/error.hpp"

namespace strata::io {

namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

std::string errno_text(int err) { return std::strerror(err); }

fs::path folder_of(const fs::path& target) {
  fs::path parent = target.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// fsync on a descriptor opened read-only flushes the file's data as well (Linux, BSD, macOS).
void fsync_path(const fs::path& p, bool directory, const fs::path& target) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    if (directory) return;  // best effort: some file systems refuse to open folders
    throw IOError("cannot write " + quoted(target) + ": temporary file " + quoted(p) +
                  " cannot be opened to flush it: " + errno_text(errno));
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0 && !directory && err != EINVAL && err != EROFS)
    throw IOError("cannot write " + quoted(target) + ": flushing " + quoted(p) + " failed: " +
                  errno_text(err));
}

}  // namespace

fs::path create_temp_beside(const fs::path& target) {
  std::error_code ec;
  if (target.filename().empty())
    throw IOError("cannot write " + quoted(target) + ": the path names no file");
  if (fs::is_directory(target, ec))
    throw IOError("cannot write " + quoted(target) + ": it is a directory");
  const fs::path folder = folder_of(target);
  if (!fs::is_directory(folder, ec))
    throw IOError("cannot write " + quoted(target) + ": folder " + quoted(folder) +
                  " does not exist");
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    uint64_t r = (uint64_t{rd()} << 32) ^ rd() ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull) ^
                 static_cast<uint64_t>(::getpid());
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(r ^ (r >> 32)));
    std::string name = ".";
    name.append(target.filename().string()).append(".tmp-").append(suffix);
    const fs::path tmp = folder / name;
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      return tmp;
    }
    if (errno != EEXIST)
      throw IOError("cannot write " + quoted(target) + ": cannot create a temporary file in " +
                    quoted(folder) + ": " + errno_text(errno));
  }
  throw IOError("cannot write " + quoted(target) + ": no free temporary file name in " +
                quoted(folder));
}

void commit_temp_file(const fs::path& tmp, const fs::path& target) {
  std::error_code ec;
  if (!fs::is_regular_file(tmp, ec))
    throw IOError("cannot write " + quoted(target) + ": temporary file " + quoted(tmp) +
                  " is missing or not a regular file");
  fsync_path(tmp, false, target);
  // Keep the permissions of the file being replaced (the temp file has the umask default).
  fs::file_status old = fs::status(target, ec);
  if (!ec && fs::is_regular_file(old)) fs::permissions(tmp, old.permissions(), ec);
  ec.clear();
  fs::rename(tmp, target, ec);
  if (ec)
    throw IOError("cannot write " + quoted(target) + ": renaming temporary file " + quoted(tmp) +
                  " over it failed: " + ec.message());
  fsync_path(folder_of(target), true, target);
}

void write_file_atomically(const fs::path& target,
                           const std::function<void(const fs::path& tmp)>& write) {
  const fs::path tmp = create_temp_beside(target);
  try {
    write(tmp);
    commit_temp_file(tmp, target);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace strata::io
