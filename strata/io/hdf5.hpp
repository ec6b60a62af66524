// A small RAII wrapper over the HDF5 C API for what Keras' .h5 files need: files, groups,
// numeric datasets (read as float32 with their shape) and string attributes in both encodings
// h5py writes (fixed-length NUL-padded byte strings, dtype |S<n>, and variable-length strings).
// HDF5 headers stay private to the library: this header exposes only standard types.
//
//   h5::File f = h5::File::open("model.h5");                 // read-only
//   std::string config = f.read_string_attr("model_config");
//   h5::Group w = f.open_group("model_weights");
//   for (const auto& name : w.read_keras_string_list("layer_names")) { ... }
//   h5::FloatArray k = w.read_dataset("dense/dense/kernel:0");   // k.shape, k.values
//
//   h5::File out = h5::File::create("out.h5");                // truncates
//   out.write_string_attr("backend", "tensorflow");
//   out.write_dataset("g/sub/kernel:0", {3, 4}, values);        // creates g and g/sub
//
// Every failure (missing file or object, corrupt data, wrong type) throws strata::IOError naming
// the file and the object path, with HDF5's own description of the problem; HDF5's automatic
// error-stack printing is switched off. Objects keep their file open (shared), so a Group may
// outlive the File it came from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::h5 {

// How children of a group are listed. Creation order needs files whose groups track it (h5py
// does not by default); for those that do not, name order is returned instead.
enum class Order { name, creation };

// How a string attribute is stored.
enum class StringType {
  vlen_utf8,   // variable-length, UTF-8 (h5py 3: a Python str)
  vlen_ascii,  // variable-length, ASCII (h5py 3: a Python bytes object)
  fixed,       // fixed-length NUL-padded bytes, dtype |S<n> (h5py: a numpy bytes array)
};

// An HDF5 datatype as the structure checks see it.
enum class TypeClass { integer, floating, string, other };
struct TypeInfo {
  TypeClass cls = TypeClass::other;
  size_t size = 0;               // bytes per element (0 for variable-length strings)
  bool variable_string = false;  // a variable-length string
  bool operator==(const TypeInfo&) const = default;
};
// An attribute's or dataset's element type and shape (empty shape = scalar).
struct ObjectInfo {
  TypeInfo type;
  std::vector<int64_t> shape;
  bool scalar = false;
};

// A dataset read as float32: row-major values and the dataset's shape (empty for a scalar).
struct FloatArray {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// Keras' HDF5_OBJECT_HEADER_LIMIT: string-list attributes larger than this are split.
inline constexpr size_t kKerasAttrLimit = 64512;

namespace detail {
struct Handle;  // an hid_t with its closer
struct FileRef;
}  // namespace detail

class Group {
 public:
  Group(const Group&) = default;
  Group& operator=(const Group&) = default;
  Group(Group&&) noexcept = default;
  Group& operator=(Group&&) noexcept = default;
  ~Group();

  // "/model_weights/dense" and the file it lives in, as error messages name them.
  const std::string& path() const { return path_; }
  const std::string& file_name() const;

  // ---- structure ----
  // Whether a link `name` (a relative path, possibly with '/') exists; false for broken paths.
  bool exists(const std::string& name) const;
  bool has_group(const std::string& name) const;
  bool has_dataset(const std::string& name) const;
  Group open_group(const std::string& name) const;
  // Creates `name` (intermediate groups too); throws when it exists.
  Group create_group(const std::string& name);
  // Opens `name` when it is a group, creates it otherwise.
  Group require_group(const std::string& name);
  // Names of the direct children (groups, datasets, ...).
  std::vector<std::string> children(Order order = Order::name) const;

  // ---- datasets ----
  // Any integer or floating dataset, converted to float32.
  FloatArray read_dataset(const std::string& name) const;
  ObjectInfo dataset_info(const std::string& name) const;
  // Writes a float32 (little-endian IEEE) dataset of `shape` (empty = scalar), creating the
  // intermediate groups of `name` ("dense/kernel:0" creates group "dense").
  void write_dataset(const std::string& name, const std::vector<int64_t>& shape,
                     const float* values);
  void write_dataset(const std::string& name, const std::vector<int64_t>& shape,
                     const std::vector<float>& values);
  void write_scalar(const std::string& name, float value) { write_dataset(name, {}, &value); }
  // An int64 (little-endian) dataset, e.g. an optimizer's iteration count.
  void write_dataset(const std::string& name, const std::vector<int64_t>& shape,
                     const int64_t* values);
  // Any integer or float dataset read exactly as int64 (floats truncate); `shape` receives its
  // shape when given.
  std::vector<int64_t> read_int64_dataset(const std::string& name,
                                          std::vector<int64_t>* shape = nullptr) const;

  // ---- attributes ----
  bool has_attr(const std::string& name) const;
  // Attribute names in name order.
  std::vector<std::string> attr_names() const;
  ObjectInfo attr_info(const std::string& name) const;
  // A string attribute: fixed- or variable-length, scalar or one-element array.
  std::string read_string_attr(const std::string& name) const;
  // An array of strings (fixed- or variable-length, any rank, read flat). An empty numeric array
  // (Keras' `np.asarray([])`, float64 of shape (0,)) reads as an empty list.
  std::vector<std::string> read_string_array_attr(const std::string& name) const;
  // Keras' load_attributes_from_hdf5_group: `name` itself, or else the chunks `name0`, `name1`,
  // ... concatenated until one is missing. Throws when none of them exists.
  std::vector<std::string> read_keras_string_list(const std::string& name) const;
  // Numeric attribute as doubles (flat).
  std::vector<double> read_numeric_attr(const std::string& name) const;

  // Writes (replacing) a scalar string attribute.
  void write_string_attr(const std::string& name, const std::string& value,
                         StringType type = StringType::vlen_utf8);
  // Writes (replacing) a 1-D string array attribute. An empty list is written as Keras writes
  // one: a float64 array of shape (0,).
  void write_string_array_attr(const std::string& name, const std::vector<std::string>& values,
                               StringType type = StringType::fixed);
  // Keras' save_attributes_to_hdf5_group: one attribute `name` when its data fits in
  // kKerasAttrLimit bytes, else numpy.array_split-style chunks `name0`, `name1`, ... each within
  // the limit. Throws ValueError when a single string exceeds the limit (as Keras does).
  void write_keras_string_list(const std::string& name, const std::vector<std::string>& values,
                               StringType type = StringType::fixed);

 protected:
  Group(std::shared_ptr<detail::FileRef> file, std::shared_ptr<detail::Handle> handle,
        std::string path);
  std::shared_ptr<detail::FileRef> file_;
  std::shared_ptr<detail::Handle> handle_;
  std::string path_;

 private:
  std::string child_path(const std::string& name) const;
  [[noreturn]] void fail(const std::string& what, const std::string& object) const;
  // HDF5 type ids (hid_t, an int64_t) kept out of this header.
  void write_typed(const std::string& name, const std::vector<int64_t>& shape, int64_t file_type,
                   int64_t mem_type, const void* values);
};

class File : public Group {
 public:
  // Opens an existing file read-only; IOError when it is missing or not HDF5.
  static File open(const std::string& filename);
  // Opens an existing file for reading and writing.
  static File open_rw(const std::string& filename);
  // Creates a file, truncating an existing one.
  static File create(const std::string& filename);
  // Flushes and closes now (also done when the last Group of the file goes away); errors are
  // reported here rather than lost in a destructor.
  void close();

 private:
  using Group::Group;
  static File open_impl(const std::string& filename, unsigned flags, bool create);
};

// Switches off HDF5's printing of its error stack (done by every File function; exposed for
// code that calls the C API directly).
void silence_hdf5_errors();

}  // namespace strata::h5
