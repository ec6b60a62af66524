#include "strata/io/atomic_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "strata/core/error.hpp"

namespace fs = std::filesystem;
using strata::IOError;
using strata::io::write_file_atomically;

namespace {

// A fresh, empty folder per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = fs::temp_directory_path() /
           ("strata_atomic_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(AtomicFile, WritesNewFileAndLeavesNoTemp) {
  TempDir dir;
  const fs::path target = dir.path / "out.bin";
  fs::path seen;
  write_file_atomically(target, [&](const fs::path& tmp) {
    seen = tmp;
    EXPECT_EQ(tmp.parent_path(), dir.path);      // same folder: rename stays atomic
    EXPECT_TRUE(fs::is_regular_file(tmp));       // exists, empty, ready for H5Fcreate(TRUNC)
    EXPECT_EQ(fs::file_size(tmp), 0u);
    EXPECT_NE(tmp.filename(), target.filename());
    EXPECT_FALSE(fs::exists(target));            // nothing visible before the rename
    write_text(tmp, "new content");
  });
  EXPECT_EQ(read_text(target), "new content");
  EXPECT_FALSE(fs::exists(seen));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, ReplacesExistingFile) {
  TempDir dir;
  const fs::path target = dir.path / "model.weights.h5";
  write_text(target, "old");
  write_file_atomically(target, [&](const fs::path& tmp) {
    EXPECT_EQ(read_text(target), "old");  // the old file stays readable during the write
    write_text(tmp, "replacement");
  });
  EXPECT_EQ(read_text(target), "replacement");
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"model.weights.h5"});
}

TEST(AtomicFile, ExceptionKeepsOldContentAndRemovesTemp) {
  TempDir dir;
  const fs::path target = dir.path / "out.bin";
  write_text(target, "old content");
  fs::path seen;
  EXPECT_THROW(write_file_atomically(target,
                                     [&](const fs::path& tmp) {
                                       seen = tmp;
                                       write_text(tmp, "half writ");
                                       throw std::runtime_error("disk on fire");
                                     }),
               std::runtime_error);
  EXPECT_EQ(read_text(target), "old content");
  EXPECT_FALSE(fs::exists(seen));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, ExceptionWithoutOldFileLeavesNothing) {
  TempDir dir;
  const fs::path target = dir.path / "out.bin";
  EXPECT_THROW(write_file_atomically(target, [](const fs::path&) { throw IOError("boom"); }),
               IOError);
  EXPECT_TRUE(dir.listing().empty());
}

TEST(AtomicFile, MissingFolderIsIOError) {
  TempDir dir;
  const fs::path target = dir.path / "no" / "such" / "out.bin";
  bool called = false;
  try {
    write_file_atomically(target, [&](const fs::path&) { called = true; });
    ADD_FAILURE() << "expected IOError";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(called);
}

TEST(AtomicFile, TargetThatIsADirectoryIsIOError) {
  TempDir dir;
  fs::create_directory(dir.path / "sub");
  EXPECT_THROW(write_file_atomically(dir.path / "sub", [](const fs::path&) {}), IOError);
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"sub"});
}

TEST(AtomicFile, CallbackThatRemovesTheTempIsIOError) {
  TempDir dir;
  const fs::path target = dir.path / "out.bin";
  write_text(target, "old");
  EXPECT_THROW(write_file_atomically(target, [](const fs::path& tmp) { fs::remove(tmp); }), IOError);
  EXPECT_EQ(read_text(target), "old");
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, KeepsPermissionsOfReplacedFile) {
  TempDir dir;
  const fs::path target = dir.path / "secret.bin";
  write_text(target, "old");
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
  write_file_atomically(target, [](const fs::path& tmp) { write_text(tmp, "new"); });
  EXPECT_EQ(read_text(target), "new");
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST(AtomicFile, BareFileNameUsesCurrentFolder) {
  TempDir dir;
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path);
  try {
    write_file_atomically("plain.txt", [](const fs::path& tmp) { write_text(tmp, "here"); });
  } catch (...) {
    fs::current_path(old_cwd);
    throw;
  }
  fs::current_path(old_cwd);
  EXPECT_EQ(read_text(dir.path / "plain.txt"), "here");
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"plain.txt"});
}

TEST(AtomicFile, RepeatedWritesGetDistinctTempNames) {
  TempDir dir;
  const fs::path target = dir.path / "out.bin";
  std::vector<fs::path> temps;
  for (int i = 0; i < 5; ++i)
    write_file_atomically(target, [&](const fs::path& tmp) {
      temps.push_back(tmp);
      write_text(tmp, std::to_string(i));
    });
  EXPECT_EQ(read_text(target), "4");
  std::sort(temps.begin(), temps.end());
  EXPECT_EQ(std::unique(temps.begin(), temps.end()), temps.end());
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.bin"});
}
