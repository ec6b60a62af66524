// Atomic file replacement: the new content goes to a temporary file with a unique name in the
// target's folder, is flushed to disk (fsync) and then renamed over the target, so readers and a
// crash mid-write only ever see the old file or the complete new one. When the writer throws, the
// temporary file is removed, the target keeps its old content and the exception propagates. The
// callback gets the temporary path (not a stream) so that libraries that open files by name, such
// as HDF5, can write through it; the temporary file already exists, empty, when it is called.
//
//   write_file_atomically("model.weights.h5", [&](const std::filesystem::path& tmp) {
//     hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
//     ...;  // write datasets, H5Fclose(f)
//   });
#pragma once

#include <filesystem>
#include <functional>

namespace strata::io {

// Writes `target` through `write(tmp)` as described above. Throws IOError (naming the target) when
// the folder does not exist or is not writable, when the target is a directory, or when flushing
// or renaming fails; exceptions from `write` propagate unchanged. An existing target's permissions
// carry over to the new file.
void write_file_atomically(const std::filesystem::path& target,
                           const std::function<void(const std::filesystem::path& tmp)>& write);

// The two halves of write_file_atomically, for writers whose output spans several calls (ZipWriter).
// create_temp_beside creates an empty file with a fresh unique name (".<name>.tmp-XXXXXXXX") in
// the target's folder and returns its path. commit_temp_file fsyncs `tmp`, gives it the existing
// target's permissions, renames it over `target` and fsyncs the folder; on failure it throws
// IOError and leaves `tmp` for the caller to remove.
std::filesystem::path create_temp_beside(const std::filesystem::path& target);
void commit_temp_file(const std::filesystem::path& tmp, const std::filesystem::path& target);

}  // namespace strata::io
