// The HDF5 wrapper: round trips of groups, datasets and every string-attribute encoding Keras
// files use, Keras' split attributes, reading real Keras files, and clean IOErrors (never a
// crash) for missing, foreign and damaged files.
#include "strata/io/hdf5.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "strata/core/error.hpp"
#include "support/fixtures.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("strata_hdf5_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

template <class Fn>
std::string io_error(Fn f) {
  try {
    f();
  } catch (const IOError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected IOError";
  return "";
}

}  // namespace

TEST(Hdf5, GroupsDatasetsAndAttributesRoundTrip) {
  const fs::path p = temp_file("roundtrip.h5");
  {
    h5::File f = h5::File::create(p.string());
    f.write_string_attr("keras_version", "2.13.1");
    f.write_string_attr("model_config", "{\"a\": 1}", h5::StringType::vlen_ascii);
    f.write_string_attr("fixed", "abc", h5::StringType::fixed);
    h5::Group g = f.create_group("model_weights");
    g.write_string_array_attr("layer_names", {"input_1", "dense", "dense_1"});
    g.write_string_array_attr("vlen_names", {"x", "yy"}, h5::StringType::vlen_utf8);
    g.write_string_array_attr("weight_names", {});
    g.write_dataset("dense/dense/kernel:0", {2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    g.write_scalar("scalar", 2.5f);
    g.write_dataset("empty", {0}, std::vector<float>{});
    f.close();
  }
  h5::File f = h5::File::open(p.string());
  EXPECT_EQ(f.read_string_attr("keras_version"), "2.13.1");
  EXPECT_EQ(f.read_string_attr("model_config"), "{\"a\": 1}");
  EXPECT_EQ(f.read_string_attr("fixed"), "abc");
  EXPECT_TRUE(f.attr_info("keras_version").type.variable_string);
  EXPECT_TRUE(f.attr_info("keras_version").scalar);
  EXPECT_EQ(f.attr_info("fixed").type.size, 3u);
  EXPECT_EQ(f.attr_names(), (std::vector<std::string>{"fixed", "keras_version", "model_config"}));
  ASSERT_TRUE(f.has_group("model_weights"));
  h5::Group g = f.open_group("model_weights");
  EXPECT_EQ(g.path(), "/model_weights");
  EXPECT_EQ(g.read_string_array_attr("layer_names"),
            (std::vector<std::string>{"input_1", "dense", "dense_1"}));
  // numpy |S7 with NUL padding, as h5py writes byte-string arrays.
  const h5::ObjectInfo names = g.attr_info("layer_names");
  EXPECT_EQ(names.type.cls, h5::TypeClass::string);
  EXPECT_FALSE(names.type.variable_string);
  EXPECT_EQ(names.type.size, 7u);
  EXPECT_EQ(names.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(g.read_string_array_attr("vlen_names"), (std::vector<std::string>{"x", "yy"}));
  // An empty list is float64 of shape (0,), and reads back empty.
  EXPECT_EQ(g.attr_info("weight_names").type.cls, h5::TypeClass::floating);
  EXPECT_EQ(g.attr_info("weight_names").type.size, 8u);
  EXPECT_EQ(g.attr_info("weight_names").shape, (std::vector<int64_t>{0}));
  EXPECT_TRUE(g.read_string_array_attr("weight_names").empty());
  EXPECT_TRUE(g.read_keras_string_list("weight_names").empty());

  EXPECT_TRUE(g.exists("dense/dense/kernel:0"));
  EXPECT_TRUE(g.has_dataset("dense/dense/kernel:0"));
  EXPECT_FALSE(g.has_group("dense/dense/kernel:0"));
  EXPECT_TRUE(g.has_group("dense/dense"));
  EXPECT_FALSE(g.exists("dense/nope/kernel:0"));
  EXPECT_FALSE(g.exists("dense/dense/kernel:0/deeper"));
  h5::FloatArray k = g.read_dataset("dense/dense/kernel:0");
  EXPECT_EQ(k.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(k.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  const h5::ObjectInfo ki = g.dataset_info("dense/dense/kernel:0");
  EXPECT_EQ(ki.type.cls, h5::TypeClass::floating);
  EXPECT_EQ(ki.type.size, 4u);
  h5::FloatArray s = g.read_dataset("scalar");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.values, (std::vector<float>{2.5f}));
  EXPECT_TRUE(g.read_dataset("empty").values.empty());
  EXPECT_EQ(g.children(), (std::vector<std::string>{"dense", "empty", "scalar"}));
  // Untracked creation order falls back to name order.
  EXPECT_EQ(g.children(h5::Order::creation), (std::vector<std::string>{"dense", "empty", "scalar"}));
}

TEST(Hdf5, ReadsOtherNumericTypesAsFloat32AndFixedStringsWrittenByTheCApi) {
  const fs::path p = temp_file("numeric.h5");
  {
    hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {2, 2};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    const double d[4] = {0.5, -1.25, 3, 1e10};
    hid_t ds = H5Dcreate2(f, "f64", H5T_IEEE_F64BE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d);
    H5Dclose(ds);
    const int64_t i[4] = {1, -2, 3, 400000};
    ds = H5Dcreate2(f, "i64", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, i);
    H5Dclose(ds);
    const uint8_t u[4] = {0, 1, 255, 7};
    ds = H5Dcreate2(f, "u8", H5T_STD_U8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, u);
    H5Dclose(ds);
    // A one-element fixed-length string array (as Keras 1 may store model_config), space-padded.
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 8);
    H5Tset_strpad(str, H5T_STR_SPACEPAD);
    hsize_t one = 1;
    hid_t s1 = H5Screate_simple(1, &one, nullptr);
    hid_t a = H5Acreate2(f, "one", str, s1, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, str, "hello   ");
    H5Aclose(a);
    H5Sclose(s1);
    H5Tclose(str);
    // A string dataset is not numeric.
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, 4);
    ds = H5Dcreate2(f, "text", vstr, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Tclose(vstr);
    H5Sclose(space);
    H5Fclose(f);
  }
  h5::File f = h5::File::open(p.string());
  EXPECT_EQ(f.read_dataset("f64").values, (std::vector<float>{0.5f, -1.25f, 3.f, 1e10f}));
  EXPECT_EQ(f.read_dataset("i64").values, (std::vector<float>{1, -2, 3, 400000}));
  EXPECT_EQ(f.read_dataset("u8").values, (std::vector<float>{0, 1, 255, 7}));
  EXPECT_EQ(f.dataset_info("i64").type.cls, h5::TypeClass::integer);
  EXPECT_EQ(f.read_string_attr("one"), "hello");
  const std::string msg = io_error([&] { f.read_dataset("text"); });
  EXPECT_NE(msg.find("/text"), std::string::npos) << msg;
  EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
}

TEST(Hdf5, KerasSplitAttributesRoundTrip) {
  const fs::path p = temp_file("split.h5");
  std::vector<std::string> names;
  for (int i = 0; i < 3000; ++i) names.push_back("a_rather_long_layer_name_" + std::to_string(i));
  std::vector<std::string> small{"a", "b"};
  {
    h5::File f = h5::File::create(p.string());
    f.write_keras_string_list("layer_names", names);
    f.write_keras_string_list("weight_names", small);
    f.write_keras_string_list("vlen", names, h5::StringType::vlen_ascii);
  }
  h5::File f = h5::File::open(p.string());
  EXPECT_FALSE(f.has_attr("layer_names"));
  ASSERT_TRUE(f.has_attr("layer_names0"));
  EXPECT_TRUE(f.has_attr("layer_names1"));
  // numpy.array_split chunks, each within Keras' 64,512-byte limit.
  size_t total = 0;
  for (int i = 0; f.has_attr("layer_names" + std::to_string(i)); ++i) {
    const auto info = f.attr_info("layer_names" + std::to_string(i));
    EXPECT_LE(static_cast<size_t>(info.shape[0]) * info.type.size, h5::kKerasAttrLimit);
    total += static_cast<size_t>(info.shape[0]);
  }
  EXPECT_EQ(total, names.size());
  EXPECT_EQ(f.read_keras_string_list("layer_names"), names);
  EXPECT_EQ(f.read_keras_string_list("vlen"), names);
  EXPECT_TRUE(f.has_attr("weight_names"));
  EXPECT_EQ(f.read_keras_string_list("weight_names"), small);
  const std::string msg = io_error([&] { f.read_keras_string_list("missing"); });
  EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
}

TEST(Hdf5, ReadsKerasFilesInBothStringEncodings) {
  const fs::path relu = test::fixture_path("keras/hls4ml/relu/relu.h5");
  const fs::path lenet = test::fixture_path("keras/kotlindl/mnist_lenet/mnist_weights_only.h5");
  if (!fs::exists(relu) || !fs::exists(lenet)) GTEST_SKIP() << "fixtures not found (../shared absent)";
  {
    // tf.keras 2.13 / h5py 3: variable-length strings everywhere, empty lists as float64 (0,).
    h5::File f = h5::File::open(relu.string());
    EXPECT_EQ(f.read_string_attr("keras_version"), "2.13.1");
    EXPECT_NE(f.read_string_attr("model_config").find("\"Sequential\""), std::string::npos);
    h5::Group w = f.open_group("model_weights");
    EXPECT_EQ(w.read_keras_string_list("layer_names"), (std::vector<std::string>{"re_lu"}));
    EXPECT_TRUE(w.open_group("re_lu").read_keras_string_list("weight_names").empty());
    EXPECT_EQ(w.children(), (std::vector<std::string>{"re_lu", "top_level_model_weights"}));
  }
  {
    // tf.keras 2.2.4-tf: fixed-length NUL-padded |S15 arrays.
    h5::File f = h5::File::open(lenet.string());
    EXPECT_FALSE(f.attr_info("layer_names").type.variable_string);
    const auto layers = f.read_keras_string_list("layer_names");
    ASSERT_EQ(layers.size(), 8u);
    EXPECT_EQ(layers[0], "conv2d");
    EXPECT_EQ(layers[3], "max_pooling2d_1");
    EXPECT_EQ(f.open_group("conv2d").read_keras_string_list("weight_names"),
              (std::vector<std::string>{"conv2d/kernel:0", "conv2d/bias:0"}));
    h5::FloatArray k = f.open_group("conv2d").read_dataset("conv2d/kernel:0");
    EXPECT_EQ(k.shape, (std::vector<int64_t>{3, 3, 1, 32}));
    EXPECT_EQ(k.values.size(), 288u);
  }
}

TEST(Hdf5, MissingObjectsAreIOErrorsNamingFileAndPath) {
  const fs::path p = temp_file("errors.h5");
  {
    h5::File f = h5::File::create(p.string());
    h5::Group g = f.create_group("a/b");
    g.write_dataset("d", {1}, std::vector<float>{1});
    g.write_string_array_attr("nums", {});
    EXPECT_THROW(f.create_group("a/b"), IOError);
    EXPECT_THROW(g.write_dataset("d", {2}, std::vector<float>{1}), ValueError);
  }
  h5::File f = h5::File::open(p.string());
  std::string msg = io_error([&] { f.open_group("a/c"); });
  EXPECT_NE(msg.find("/a/c"), std::string::npos) << msg;
  EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
  msg = io_error([&] { f.open_group("a").read_dataset("b/missing:0"); });
  EXPECT_NE(msg.find("/a/b/missing:0"), std::string::npos) << msg;
  msg = io_error([&] { f.read_string_attr("model_config"); });
  EXPECT_NE(msg.find("model_config"), std::string::npos) << msg;
  msg = io_error([&] { f.open_group("a/b").read_string_attr("nums"); });
  EXPECT_NE(msg.find("nums"), std::string::npos) << msg;
  EXPECT_THROW(f.open_group("a/b/d"), IOError);  // a dataset, not a group

  msg = io_error([&] { h5::File::open((p.parent_path() / "missing.h5").string()); });
  EXPECT_NE(msg.find("missing.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;

  const fs::path junk = temp_file("junk.h5");
  {
    std::ofstream out(junk, std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  msg = io_error([&] { h5::File::open(junk.string()); });
  EXPECT_NE(msg.find("junk.h5"), std::string::npos) << msg;
  msg = io_error([&] { h5::File::create((p.parent_path() / "no_dir" / "x.h5").string()); });
  EXPECT_NE(msg.find("x.h5"), std::string::npos) << msg;
}
