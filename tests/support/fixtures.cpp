#include "support/fixtures.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <hdf5.h>
#include <sstream>
#include <string>

namespace strata::test {

std::filesystem::path fixture_path(const std::string& relative) {
  return std::filesystem::path(STRATA_SHARED_DIR) / "fixtures" / relative;
}

std::vector<std::vector<float>> read_rows(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<float>> rows;
  for (std::string line; std::getline(in, line);) {
    std::istringstream s(line);
    std::vector<float> row;
    for (float v; s >> v;) row.push_back(v);
    if (!row.empty()) rows.push_back(row);
  }
  return rows;
}

// Total number of values stored in every dataset of an HDF5 weights file.
int64_t h5_stored_values(const std::filesystem::path& file) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  int64_t total = 0;
  auto visit = [](hid_t root, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type != H5O_TYPE_DATASET) return 0;
    hid_t d = H5Dopen2(root, name, H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    *static_cast<int64_t*>(data) += H5Sget_simple_extent_npoints(space);
    H5Sclose(space);
    H5Dclose(d);
    return 0;
  };
  H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, visit, &total, H5O_INFO_BASIC);
  H5Fclose(f);
  return total;
}

// The root "model_config" attribute of a whole-model .h5 file (a variable-length string in every
// fixture here; fixed-length ones are read too).
std::string h5_model_config(const std::filesystem::path& file) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  hid_t a = H5Aopen(f, "model_config", H5P_DEFAULT);
  EXPECT_GE(a, 0) << file;
  hid_t type = H5Aget_type(a);
  std::string out;
  if (H5Tis_variable_str(type) > 0) {
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, H5T_VARIABLE);
    char* s = nullptr;
    H5Aread(a, mem, &s);
    if (s) out = s;
    H5free_memory(s);
    H5Tclose(mem);
  } else {
    std::string buf(H5Tget_size(type), '\0');
    H5Aread(a, type, buf.data());
    out = buf.c_str();
  }
  H5Tclose(type);
  H5Aclose(a);
  H5Fclose(f);
  return out;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string h5_root_string_attribute(const std::filesystem::path& file, const std::string& name) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  std::string out;
  if (f >= 0 && H5Aexists(f, name.c_str()) > 0) {
    hid_t a = H5Aopen(f, name.c_str(), H5P_DEFAULT);
    hid_t type = H5Aget_type(a);
    if (H5Tis_variable_str(type) > 0) {
      hid_t mem = H5Tcopy(H5T_C_S1);
      H5Tset_size(mem, H5T_VARIABLE);
      H5Tset_cset(mem, H5Tget_cset(type));  // h5py writes UTF-8 or ASCII
      char* s = nullptr;
      H5Aread(a, mem, &s);
      if (s) out = s;
      H5free_memory(s);
      H5Tclose(mem);
    } else if (H5Tget_class(type) == H5T_STRING) {
      std::string buf(H5Tget_size(type), '\0');
      H5Aread(a, type, buf.data());
      out = buf.c_str();
    }
    H5Tclose(type);
    H5Aclose(a);
  }
  if (f >= 0) H5Fclose(f);
  return out;
}

std::vector<float> h5_dataset(const std::filesystem::path& file, const std::string& path,
                              std::vector<int64_t>* dims) {
  std::vector<float> v;
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  if (f < 0) return v;
  hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << file << ": no dataset " << path;
  if (d >= 0) {
    hid_t space = H5Dget_space(d);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> ds(static_cast<size_t>(std::max(rank, 0)));
    H5Sget_simple_extent_dims(space, ds.data(), nullptr);
    if (dims) dims->assign(ds.begin(), ds.end());
    v.resize(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
    EXPECT_GE(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0) << path;
    H5Sclose(space);
    H5Dclose(d);
  }
  H5Fclose(f);
  return v;
}

}  // namespace strata::test
