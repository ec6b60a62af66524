#include "strata/io/hdf5.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>
#include <type_traits>

#include <csignal>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "strata/core/error.hpp"

namespace strata::h5 {

static_assert(sizeof(hid_t) <= sizeof(int64_t), "hid_t must fit in int64_t");

namespace detail {

struct Handle {
  hid_t id = -1;
  herr_t (*closer)(hid_t) = nullptr;
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), closer(c) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id >= 0 && closer) closer(id);
  }
};

struct FileRef {
  std::string name;
  hid_t id = -1;
  ~FileRef() {
    if (id >= 0) H5Fclose(id);
  }
};

}  // namespace detail

namespace {

// Scoped hid_t for temporaries (types, spaces, attributes, property lists, datasets).
class Scoped {
 public:
  Scoped(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;
  ~Scoped() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

// An open dataset or attribute with its type and data space; `problem` says what could not be
// opened (null when all three are).
struct Opened {
  Scoped obj, type, space;
  const char* problem;
};

Opened open_dataset(hid_t group, const std::string& name) {
  const hid_t d = H5Dopen2(group, name.c_str(), H5P_DEFAULT);
  const hid_t t = d >= 0 ? H5Dget_type(d) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
  return {Scoped(d, H5Dclose), Scoped(t, H5Tclose), Scoped(sp, H5Sclose),
          d < 0 ? "cannot open dataset"
          : (t < 0 || sp < 0) ? "cannot read the type or shape of dataset" : nullptr};
}

Opened open_attribute(hid_t object, const std::string& name) {
  const hid_t a = H5Aopen(object, name.c_str(), H5P_DEFAULT);
  const hid_t t = a >= 0 ? H5Aget_type(a) : -1, sp = a >= 0 ? H5Aget_space(a) : -1;
  return {Scoped(a, H5Aclose), Scoped(t, H5Tclose), Scoped(sp, H5Sclose),
          a < 0 ? "cannot open attribute"
          : (t < 0 || sp < 0) ? "cannot read the type or shape of attribute" : nullptr};
}

// The deepest description on HDF5's error stack (then clears it).
std::string hdf5_message() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        if (e && e->desc && *e->desc) *static_cast<std::string*>(data) = e->desc;
        return 0;
      },
      &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

[[noreturn]] void throw_io(const std::string& file, const std::string& what,
                           const std::string& object) {
  std::string msg = file + ": " + what;
  if (!object.empty()) msg += " '" + object + "'";
  const std::string detail = hdf5_message();
  if (!detail.empty()) msg += " (HDF5: " + detail + ")";
  throw IOError(msg);
}

// The most values a single dataset or attribute may claim before we refuse to allocate it.
constexpr uint64_t kMaxElements = uint64_t{1} << 31;

TypeInfo type_info(hid_t type) {
  TypeInfo t;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: t.cls = TypeClass::integer; break;
    case H5T_FLOAT: t.cls = TypeClass::floating; break;
    case H5T_STRING: t.cls = TypeClass::string; break;
    default: t.cls = TypeClass::other; break;
  }
  if (t.cls == TypeClass::string && H5Tis_variable_str(type) > 0) {
    t.variable_string = true;
    t.size = 0;
  } else {
    t.size = H5Tget_size(type);
  }
  return t;
}

// Shape of a dataspace; false when it cannot be read or claims too many elements.
bool space_shape(hid_t space, std::vector<int64_t>& shape, bool& scalar, uint64_t& count) {
  shape.clear();
  scalar = false;
  count = 0;
  const H5S_class_t cls = H5Sget_simple_extent_type(space);
  if (cls == H5S_SCALAR) {
    scalar = true;
    count = 1;
    return true;
  }
  if (cls == H5S_NULL) return true;
  if (cls != H5S_SIMPLE) return false;
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > 32) return false;
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) return false;
  count = 1;
  for (hsize_t d : dims) {
    if (d > kMaxElements) return false;
    count *= d;
    if (count > kMaxElements) return false;
    shape.push_back(static_cast<int64_t>(d));
  }
  return true;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  if (s.size() == 1) out += ",";
  return out + ")";
}

// A string attribute's values: fixed or variable length, flat.
bool read_strings(hid_t attr, hid_t ftype, hid_t space, std::vector<std::string>& out,
                  std::string& why) {
  std::vector<int64_t> shape;
  bool scalar = false;
  uint64_t n = 0;
  if (!space_shape(space, shape, scalar, n)) {
    why = "has an unreadable or oversized dataspace";
    return false;
  }
  out.clear();
  if (n == 0) return true;
  const H5T_cset_t cset = H5Tget_cset(ftype);
  if (H5Tis_variable_str(ftype) > 0) {
    Scoped mem(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!mem.ok() || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem.get(), cset < 0 ? H5T_CSET_ASCII : cset) < 0) {
      why = "cannot make a string type";
      return false;
    }
    std::vector<char*> ptrs(n, nullptr);
    if (H5Aread(attr, mem.get(), ptrs.data()) < 0) {
      for (char* p : ptrs)
        if (p) H5free_memory(p);
      why = "cannot be read";
      return false;
    }
    for (char* p : ptrs) {
      out.emplace_back(p ? p : "");
      if (p) H5free_memory(p);
    }
    return true;
  }
  const size_t size = H5Tget_size(ftype);
  if (size == 0 || size > (size_t{1} << 30) || n * size > (uint64_t{1} << 31)) {
    why = "has an invalid string size";
    return false;
  }
  Scoped mem(H5Tcopy(H5T_C_S1), H5Tclose);
  const H5T_str_t pad = H5Tget_strpad(ftype);
  if (!mem.ok() || H5Tset_size(mem.get(), size) < 0 ||
      H5Tset_strpad(mem.get(), pad == H5T_STR_SPACEPAD ? H5T_STR_SPACEPAD : H5T_STR_NULLPAD) < 0 ||
      H5Tset_cset(mem.get(), cset < 0 ? H5T_CSET_ASCII : cset) < 0) {
    why = "cannot make a string type";
    return false;
  }
  std::vector<char> buf(n * size, '\0');
  if (H5Aread(attr, mem.get(), buf.data()) < 0) {
    why = "cannot be read";
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    const char* s = buf.data() + i * size;
    size_t len = strnlen(s, size);
    if (pad == H5T_STR_SPACEPAD)
      while (len > 0 && s[len - 1] == ' ') --len;
    out.emplace_back(s, len);
  }
  return true;
}

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : p) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

}  // namespace

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// ---------------------------------------------------------------- Group

Group::Group(std::shared_ptr<detail::FileRef> file, std::shared_ptr<detail::Handle> handle,
             std::string path)
    : file_(std::move(file)), handle_(std::move(handle)), path_(std::move(path)) {}

Group::~Group() = default;

const std::string& Group::file_name() const { return file_->name; }

std::string Group::child_path(const std::string& name) const {
  if (!name.empty() && name[0] == '/') return name;
  return path_ == "/" ? "/" + name : path_ + "/" + name;
}

void Group::fail(const std::string& what, const std::string& object) const {
  throw_io(file_->name, what, object);
}

bool Group::exists(const std::string& name) const {
  const auto parts = split_path(name);
  if (parts.empty()) return false;
  std::string prefix = (!name.empty() && name[0] == '/') ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) prefix += '/';
    prefix += parts[i];
    const htri_t e = H5Lexists(handle_->id, prefix.c_str(), H5P_DEFAULT);
    if (e <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    // Every component but the last must be a group for the next lookup to make sense.
    if (i + 1 < parts.size()) {
      hid_t o = H5Oopen(handle_->id, prefix.c_str(), H5P_DEFAULT);
      if (o < 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
      const bool is_group = H5Iget_type(o) == H5I_GROUP;
      H5Oclose(o);
      if (!is_group) return false;
    }
  }
  return true;
}

static bool object_is(hid_t loc, const std::string& name, H5I_type_t type) {
  hid_t o = H5Oopen(loc, name.c_str(), H5P_DEFAULT);
  if (o < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  const bool r = H5Iget_type(o) == type;
  H5Oclose(o);
  return r;
}

bool Group::has_group(const std::string& name) const {
  return exists(name) && object_is(handle_->id, name, H5I_GROUP);
}

bool Group::has_dataset(const std::string& name) const {
  return exists(name) && object_is(handle_->id, name, H5I_DATASET);
}

Group Group::open_group(const std::string& name) const {
  if (!exists(name)) fail("no such group", child_path(name));
  hid_t g = H5Gopen2(handle_->id, name.c_str(), H5P_DEFAULT);
  if (g < 0) fail("cannot open group", child_path(name));
  return Group(file_, std::make_shared<detail::Handle>(g, H5Gclose), child_path(name));
}

Group Group::create_group(const std::string& name) {
  Scoped lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.ok() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0)
    fail("cannot make a link property list for", child_path(name));
  hid_t g = H5Gcreate2(handle_->id, name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) fail("cannot create group", child_path(name));
  return Group(file_, std::make_shared<detail::Handle>(g, H5Gclose), child_path(name));
}

Group Group::require_group(const std::string& name) {
  if (has_group(name)) return open_group(name);
  return create_group(name);
}

std::vector<std::string> Group::children(Order order) const {
  std::vector<std::string> names;
  H5_index_t index = H5_INDEX_NAME;
  if (order == Order::creation) {
    Scoped gcpl(H5Gget_create_plist(handle_->id), H5Pclose);
    unsigned flags = 0;
    if (gcpl.ok() && H5Pget_link_creation_order(gcpl.get(), &flags) >= 0 &&
        (flags & H5P_CRT_ORDER_TRACKED))
      index = H5_INDEX_CRT_ORDER;
    H5Eclear2(H5E_DEFAULT);
  }
#if H5_VERSION_GE(1, 12, 0)
  auto cb = [](hid_t, const char* name, const H5L_info2_t*, void* data) -> herr_t {
#else
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
#endif
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t idx = 0;
#if H5_VERSION_GE(1, 12, 0)
  const herr_t r = H5Literate2(handle_->id, index, H5_ITER_INC, &idx, cb, &names);
#else
  const herr_t r = H5Literate(handle_->id, index, H5_ITER_INC, &idx, cb, &names);
#endif
  if (r < 0) fail("cannot list the members of group", path_);
  return names;
}

// ---------------------------------------------------------------- datasets

ObjectInfo Group::dataset_info(const std::string& name) const {
  const std::string where = child_path(name);
  if (!has_dataset(name)) fail("no such dataset", where);
  const Opened o = open_dataset(handle_->id, name);
  if (o.problem) fail(o.problem, where);
  const Scoped &type = o.type, &space = o.space;
  ObjectInfo info;
  info.type = type_info(type.get());
  uint64_t n = 0;
  if (!space_shape(space.get(), info.shape, info.scalar, n))
    fail("unreadable or oversized shape of dataset", where);
  return info;
}

FloatArray Group::read_dataset(const std::string& name) const {
  const std::string where = child_path(name);
  if (!has_dataset(name)) fail("no such dataset", where);
  const Opened o = open_dataset(handle_->id, name);
  if (o.problem) fail(o.problem, where);
  const Scoped &d = o.obj, &type = o.type, &space = o.space;
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    fail("dataset is not numeric (cannot read it as float32):", where);
  FloatArray out;
  bool scalar = false;
  uint64_t n = 0;
  if (!space_shape(space.get(), out.shape, scalar, n))
    fail("unreadable or oversized shape of dataset", where);
  if (H5Sget_simple_extent_type(space.get()) == H5S_NULL) fail("dataset has no data space:", where);
  // Uncompressed data cannot be larger than the file: refuse corrupt shapes before allocating.
  {
    Scoped dcpl(H5Dget_create_plist(d.get()), H5Pclose);
    hsize_t file_size = 0;
    const size_t elem = H5Tget_size(type.get());
    if (dcpl.ok() && H5Pget_nfilters(dcpl.get()) == 0 &&
        H5Fget_filesize(file_->id, &file_size) >= 0 && elem > 0 &&
        n * static_cast<uint64_t>(elem) > static_cast<uint64_t>(file_size))
      fail("dataset claims " + std::to_string(n) + " values of " + std::to_string(elem) +
               " bytes, more than the file holds:",
           where);
    H5Eclear2(H5E_DEFAULT);
  }
  out.values.resize(n);
  if (n > 0 &&
      H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0)
    fail("cannot read dataset", where);
  return out;
}

void Group::write_dataset(const std::string& name, const std::vector<int64_t>& shape,
                          const float* values) {
  write_typed(name, shape, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, values);
}

void Group::write_dataset(const std::string& name, const std::vector<int64_t>& shape,
                          const int64_t* values) {
  write_typed(name, shape, H5T_STD_I64LE, H5T_NATIVE_INT64, values);
}

std::vector<int64_t> Group::read_int64_dataset(const std::string& name,
                                               std::vector<int64_t>* shape) const {
  // Sizes are checked by read_dataset's path first; then the exact integers are read again, as
  // float32 cannot hold every int64 (an iteration count above 2^24, say).
  FloatArray checked = read_dataset(name);
  const std::string where = child_path(name);
  const Opened o = open_dataset(handle_->id, name);
  if (o.problem) fail(o.problem, where);
  const Scoped& d = o.obj;
  std::vector<int64_t> out(checked.values.size());
  if (!out.empty() &&
      H5Dread(d.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    fail("cannot read dataset as int64", where);
  if (shape) *shape = checked.shape;
  return out;
}

void Group::write_typed(const std::string& name, const std::vector<int64_t>& shape,
                        int64_t file_type, int64_t mem_type, const void* values) {
  static_assert(std::is_same_v<hid_t, int64_t>, "HDF5 >= 1.10 ids are int64_t");
  const std::string where = child_path(name);
  std::vector<hsize_t> dims;
  uint64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) throw ValueError(file_->name + ": negative dimension in shape " + shape_str(shape) +
                                " for dataset '" + where + "'");
    dims.push_back(static_cast<hsize_t>(s));
    n *= static_cast<uint64_t>(s);
  }
  Scoped space(shape.empty() ? H5Screate(H5S_SCALAR)
                             : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  if (!space.ok()) fail("cannot make the data space " + shape_str(shape) + " for dataset", where);
  Scoped lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.ok() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0)
    fail("cannot make a link property list for", where);
  Scoped d(H5Dcreate2(handle_->id, name.c_str(), file_type, space.get(), lcpl.get(),
                      H5P_DEFAULT, H5P_DEFAULT),
           H5Dclose);
  if (!d.ok()) fail("cannot create dataset", where);
  if (n > 0 && H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
    fail("cannot write dataset", where);
}

void Group::write_dataset(const std::string& name, const std::vector<int64_t>& shape,
                          const std::vector<float>& values) {
  uint64_t n = 1;
  for (int64_t s : shape) n *= static_cast<uint64_t>(std::max<int64_t>(s, 0));
  if (values.size() != n)
    throw ValueError(file_->name + ": dataset '" + child_path(name) + "' of shape " +
                     shape_str(shape) + " needs " + std::to_string(n) + " values, got " +
                     std::to_string(values.size()));
  write_dataset(name, shape, values.data());
}

// ---------------------------------------------------------------- attributes

bool Group::has_attr(const std::string& name) const {
  const htri_t e = H5Aexists(handle_->id, name.c_str());
  if (e < 0) fail("cannot look up attribute '" + name + "' of", path_);
  return e > 0;
}

std::vector<std::string> Group::attr_names() const {
  std::vector<std::string> names;
  hsize_t idx = 0;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  if (H5Aiterate2(handle_->id, H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &names) < 0)
    fail("cannot list the attributes of", path_);
  return names;
}

ObjectInfo Group::attr_info(const std::string& name) const {
  const std::string where = path_ + " @" + name;
  if (!has_attr(name)) fail("no such attribute", where);
  const Opened o = open_attribute(handle_->id, name);
  if (o.problem) fail(o.problem, where);
  const Scoped &type = o.type, &space = o.space;
  ObjectInfo info;
  info.type = type_info(type.get());
  uint64_t n = 0;
  if (!space_shape(space.get(), info.shape, info.scalar, n))
    fail("unreadable or oversized shape of attribute", where);
  return info;
}

std::vector<std::string> Group::read_string_array_attr(const std::string& name) const {
  const std::string where = path_ + " @" + name;
  if (!has_attr(name)) fail("no such attribute", where);
  const Opened o = open_attribute(handle_->id, name);
  if (o.problem) fail(o.problem, where);
  const Scoped &a = o.obj, &type = o.type, &space = o.space;
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_STRING) {
    std::vector<int64_t> shape;
    bool scalar = false;
    uint64_t n = 0;
    // Keras writes an empty list as np.asarray([]): a float64 array of shape (0,).
    if ((cls == H5T_FLOAT || cls == H5T_INTEGER) && space_shape(space.get(), shape, scalar, n) &&
        n == 0)
      return {};
    fail("attribute is not a list of strings:", where);
  }
  std::vector<std::string> out;
  std::string why;
  if (!read_strings(a.get(), type.get(), space.get(), out, why)) fail("attribute " + why + ":", where);
  return out;
}

std::string Group::read_string_attr(const std::string& name) const {
  const std::string where = path_ + " @" + name;
  if (!has_attr(name)) fail("no such attribute", where);
  {
    const ObjectInfo info = attr_info(name);
    if (info.type.cls != TypeClass::string) fail("attribute is not a string:", where);
  }
  std::vector<std::string> v = read_string_array_attr(name);
  if (v.size() != 1)
    fail("attribute holds " + std::to_string(v.size()) + " strings, expected one:", where);
  return v[0];
}

std::vector<std::string> Group::read_keras_string_list(const std::string& name) const {
  if (has_attr(name)) return read_string_array_attr(name);
  std::vector<std::string> out;
  int chunk = 0;
  for (;; ++chunk) {
    const std::string part = name + std::to_string(chunk);
    if (!has_attr(part)) break;
    for (auto& s : read_string_array_attr(part)) out.push_back(std::move(s));
  }
  if (chunk == 0) fail("no attribute '" + name + "' (nor '" + name + "0', ...) on", path_);
  return out;
}

std::vector<double> Group::read_numeric_attr(const std::string& name) const {
  const std::string where = path_ + " @" + name;
  if (!has_attr(name)) fail("no such attribute", where);
  const Opened o = open_attribute(handle_->id, name);
  if (o.problem) fail(o.problem, where);
  const Scoped &a = o.obj, &type = o.type, &space = o.space;
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) fail("attribute is not numeric:", where);
  std::vector<int64_t> shape;
  bool scalar = false;
  uint64_t n = 0;
  if (!space_shape(space.get(), shape, scalar, n)) fail("unreadable shape of attribute", where);
  std::vector<double> out(n);
  if (n > 0 && H5Aread(a.get(), H5T_NATIVE_DOUBLE, out.data()) < 0)
    fail("cannot read attribute", where);
  return out;
}

namespace {

// A string type for writing: fixed (NUL-padded, `size` bytes, ASCII as numpy's |S) or variable.
hid_t make_string_type(StringType type, size_t size) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  bool ok = true;
  if (type == StringType::fixed) {
    ok = H5Tset_size(t, std::max<size_t>(size, 1)) >= 0 && H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0 &&
         H5Tset_cset(t, H5T_CSET_ASCII) >= 0;
  } else {
    ok = H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0 &&
         H5Tset_cset(t, type == StringType::vlen_utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) >= 0;
  }
  if (!ok) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

}  // namespace

void Group::write_string_attr(const std::string& name, const std::string& value,
                              StringType type) {
  const std::string where = path_ + " @" + name;
  if (has_attr(name) && H5Adelete(handle_->id, name.c_str()) < 0)
    fail("cannot replace attribute", where);
  Scoped t(make_string_type(type, value.size()), H5Tclose);
  Scoped space(H5Screate(H5S_SCALAR), H5Sclose);
  if (!t.ok() || !space.ok()) fail("cannot make the string type of attribute", where);
  Scoped a(H5Acreate2(handle_->id, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (!a.ok()) fail("cannot create attribute", where);
  herr_t r;
  if (type == StringType::fixed) {
    std::vector<char> buf(std::max<size_t>(value.size(), 1), '\0');
    std::memcpy(buf.data(), value.data(), value.size());
    r = H5Awrite(a.get(), t.get(), buf.data());
  } else {
    const char* p = value.c_str();
    r = H5Awrite(a.get(), t.get(), &p);
  }
  if (r < 0) fail("cannot write attribute", where);
}

void Group::write_string_array_attr(const std::string& name,
                                    const std::vector<std::string>& values, StringType type) {
  const std::string where = path_ + " @" + name;
  if (has_attr(name) && H5Adelete(handle_->id, name.c_str()) < 0)
    fail("cannot replace attribute", where);
  const hsize_t n = values.size();
  Scoped space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (!space.ok()) fail("cannot make the data space of attribute", where);
  if (values.empty()) {
    // np.asarray([]) as h5py stores it: float64, shape (0,).
    Scoped a(H5Acreate2(handle_->id, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                        H5P_DEFAULT),
             H5Aclose);
    if (!a.ok()) fail("cannot create attribute", where);
    return;
  }
  size_t longest = 1;
  for (const auto& v : values) longest = std::max(longest, v.size());
  Scoped t(make_string_type(type, longest), H5Tclose);
  if (!t.ok()) fail("cannot make the string type of attribute", where);
  Scoped a(H5Acreate2(handle_->id, name.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (!a.ok()) fail("cannot create attribute", where);
  herr_t r;
  if (type == StringType::fixed) {
    std::vector<char> buf(values.size() * longest, '\0');
    for (size_t i = 0; i < values.size(); ++i)
      std::memcpy(buf.data() + i * longest, values[i].data(), values[i].size());
    r = H5Awrite(a.get(), t.get(), buf.data());
  } else {
    std::vector<const char*> ptrs;
    for (const auto& v : values) ptrs.push_back(v.c_str());
    r = H5Awrite(a.get(), t.get(), ptrs.data());
  }
  if (r < 0) fail("cannot write attribute", where);
}

void Group::write_keras_string_list(const std::string& name,
                                    const std::vector<std::string>& values, StringType type) {
  size_t longest = 1;
  for (const auto& v : values) {
    if (v.size() > kKerasAttrLimit)
      throw ValueError(file_->name + ": the following attributes cannot be saved to HDF5 file '" +
                       file_->name + "' because they are larger than " +
                       std::to_string(kKerasAttrLimit) + " bytes: " + v.substr(0, 64) + "...");
    longest = std::max(longest, v.size());
  }
  // Bytes of elements [b, e): numpy's nbytes for |S<longest>; the characters for vlen strings.
  auto nbytes = [&](size_t b, size_t e) {
    if (type == StringType::fixed) return (e - b) * longest;
    size_t s = 0;
    for (size_t i = b; i < e; ++i) s += values[i].size() + 1;
    return s;
  };
  const size_t n = values.size();
  // numpy.array_split(n, k): the first n % k chunks hold n / k + 1 elements, the others n / k.
  auto bounds = [&](size_t k) {
    std::vector<size_t> b{0};
    for (size_t i = 0; i < k; ++i) b.push_back(b.back() + n / k + (i < n % k ? 1 : 0));
    return b;
  };
  size_t k = 1;
  for (;; ++k) {
    const auto b = bounds(k);
    bool fits = true;
    for (size_t i = 0; i < k && fits; ++i) fits = nbytes(b[i], b[i + 1]) <= kKerasAttrLimit;
    if (fits || k >= std::max<size_t>(n, 1)) break;
  }
  // Remove stale chunks of an earlier write.
  if (has_attr(name) && H5Adelete(handle_->id, name.c_str()) < 0)
    fail("cannot replace attribute", path_ + " @" + name);
  for (int i = 0; has_attr(name + std::to_string(i)); ++i)
    if (H5Adelete(handle_->id, (name + std::to_string(i)).c_str()) < 0)
      fail("cannot replace attribute", path_ + " @" + name + std::to_string(i));
  if (k == 1) {
    write_string_array_attr(name, values, type);
    return;
  }
  const auto b = bounds(k);
  for (size_t i = 0; i < k; ++i) {
    std::vector<std::string> chunk(values.begin() + static_cast<std::ptrdiff_t>(b[i]),
                                   values.begin() + static_cast<std::ptrdiff_t>(b[i + 1]));
    write_string_array_attr(name + std::to_string(i), chunk, type);
  }
}

// ---------------------------------------------------------------- crash isolation

namespace {

// Reads every attribute and dataset of the object `name` (child process only).
herr_t touch_object(hid_t root, const char* name, const H5O_info_t* info, void*) {
  hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
  if (obj < 0) return 0;
  auto read_attr = [](hid_t loc, const char* attr_name, const H5A_info_t*, void*) -> herr_t {
    hid_t a = H5Aopen(loc, attr_name, H5P_DEFAULT);
    if (a < 0) return 0;
    hid_t type = H5Aget_type(a);
    hid_t space = H5Aget_space(a);
    if (type >= 0 && space >= 0) {
      std::vector<int64_t> shape;
      bool scalar = false;
      uint64_t n = 0;
      if (space_shape(space, shape, scalar, n) && n > 0) {
        const H5T_class_t cls = H5Tget_class(type);
        if (cls == H5T_STRING) {
          std::vector<std::string> out;
          std::string why;
          read_strings(a, type, space, out, why);
        } else if ((cls == H5T_FLOAT || cls == H5T_INTEGER) && n <= (uint64_t{1} << 24)) {
          std::vector<double> buf(n);
          H5Aread(a, H5T_NATIVE_DOUBLE, buf.data());
        }
      }
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(a);
    return 0;
  };
  hsize_t idx = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, read_attr, nullptr);
  if (info->type == H5O_TYPE_DATASET) {
    hid_t type = H5Dget_type(obj);
    hid_t space = H5Dget_space(obj);
    std::vector<int64_t> shape;
    bool scalar = false;
    uint64_t n = 0;
    if (type >= 0 && space >= 0 && space_shape(space, shape, scalar, n) && n > 0 &&
        n <= (uint64_t{1} << 28)) {
      const H5T_class_t cls = H5Tget_class(type);
      if (cls == H5T_FLOAT || cls == H5T_INTEGER) {
        std::vector<float> buf(n);
        H5Dread(obj, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
      }
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
  }
  H5Oclose(obj);
  H5Eclear2(H5E_DEFAULT);
  return 0;
}

// The HDF5 library can crash (out-of-bounds reads in its heap and B-tree code) on some damaged
// files instead of reporting an error. Before a file is read, a forked child process reads every
// object of it once; when that child dies from a signal or hangs, the file is refused with an
// IOError, and the reads in this process — the same library on the same bytes — are safe.
void check_readable_in_child(const std::string& filename) {
  const pid_t pid = fork();
  if (pid < 0) return;  // cannot fork: read directly
  if (pid == 0) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fopen(filename.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, touch_object, nullptr, H5O_INFO_BASIC);
    _exit(0);
  }
  int status = 0;
  const timespec pause{0, 2'000'000};
  for (int waited_ms = 0;; waited_ms += 2) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return;
    if (waited_ms > 120'000) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw IOError(filename + ": corrupt HDF5 file (reading its objects did not finish in 120 s)");
    }
    nanosleep(&pause, nullptr);
  }
  if (WIFSIGNALED(status))
    throw IOError(filename + ": corrupt HDF5 file (the HDF5 library crashes reading it, signal " +
                  std::to_string(WTERMSIG(status)) + ")");
}

}  // namespace

// ---------------------------------------------------------------- File

File File::open_impl(const std::string& filename, unsigned flags, bool create) {
  silence_hdf5_errors();
  hid_t f;
  if (create) {
    f = H5Fcreate(filename.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) throw_io(filename, "cannot create HDF5 file", "");
  } else {
    std::error_code ec;
    if (!std::filesystem::exists(filename, ec)) throw IOError(filename + ": no such file");
    if (std::filesystem::is_directory(filename, ec))
      throw IOError(filename + ": is a directory, not an HDF5 file");
    check_readable_in_child(filename);
    f = H5Fopen(filename.c_str(), flags, H5P_DEFAULT);
    if (f < 0)
      throw_io(filename, "cannot open as an HDF5 file (not HDF5, truncated or corrupt)", "");
  }
  auto ref = std::make_shared<detail::FileRef>();
  ref->name = filename;
  ref->id = f;
  hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
  if (root < 0) throw_io(filename, "cannot open the root group", "/");
  return File(std::move(ref), std::make_shared<detail::Handle>(root, H5Gclose), "/");
}

File File::open(const std::string& filename) {
  return open_impl(filename, H5F_ACC_RDONLY, false);
}

File File::open_rw(const std::string& filename) { return open_impl(filename, H5F_ACC_RDWR, false); }

File File::create(const std::string& filename) { return open_impl(filename, 0, true); }

void File::close() {
  if (!file_ || file_->id < 0) return;
  if (handle_ && handle_->id >= 0) {
    H5Gclose(handle_->id);
    handle_->id = -1;
  }
  const hid_t id = file_->id;
  file_->id = -1;
  if (H5Fflush(id, H5F_SCOPE_LOCAL) < 0) {
    H5Fclose(id);
    throw_io(file_->name, "cannot flush the file", "");
  }
  if (H5Fclose(id) < 0) throw_io(file_->name, "cannot close the file", "");
}

}  // namespace strata::h5
