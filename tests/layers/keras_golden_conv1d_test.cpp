// Golden check against real Keras: hls4ml's one-layer Conv1D model (Keras 2.13) with its
// recorded inputs and outputs; the kernel and bias are read from the model's own HDF5 file.
#include <filesystem>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "strata/layers/conv.hpp"
#include "support/fixtures.hpp"

using namespace strata;
using test::read_rows;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = test::fixture_path("keras/hls4ml/conv1d_1layer");

std::vector<float> read_dataset(const fs::path& file, const char* path, Shape& shape) {
  hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  EXPECT_GE(d, 0) << path;
  hid_t space = H5Dget_space(d);
  hsize_t dims[8];
  const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  shape = Shape{};
  for (int i = 0; i < rank; ++i) shape.push_back(static_cast<int64_t>(dims[i]));
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  EXPECT_GE(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return v;
}

}  // namespace

TEST(KerasGolden, Conv1DReproducesKeras) {
  if (!fs::exists(kDir)) GTEST_SKIP() << "fixtures not found at " << kDir << " (../shared absent)";
  Shape ks, bs;
  auto kernel = read_dataset(kDir / "conv1d_1layer_weights.h5", "/conv1d/conv1d/kernel:0", ks);
  auto bias = read_dataset(kDir / "conv1d_1layer_weights.h5", "/conv1d/conv1d/bias:0", bs);
  // The model's config: Conv1D(filters=1, kernel_size=3, valid) on (5, 5) inputs.
  Conv1D conv({.filters = 1, .kernel_size = 3});
  conv.build(Shape{-1, 5, 5});
  ASSERT_EQ(conv.kernel().shape(), ks);
  conv.kernel().copy_(Tensor::from_vector(ks, kernel));
  conv.bias().copy_(Tensor::from_vector(bs, bias));
  auto inputs = read_rows(kDir / "tb_input_features.dat");
  auto outputs = read_rows(kDir / "tb_output_predictions.dat");
  ASSERT_EQ(inputs.size(), outputs.size());
  ASSERT_FALSE(inputs.empty());
  for (size_t r = 0; r < inputs.size(); ++r) {
    auto y = conv(Tensor::from_vector({1, 5, 5}, inputs[r])).to_vector();
    ASSERT_EQ(y.size(), outputs[r].size());
    for (size_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y[i], outputs[r][i], 1e-4 * std::max(1.f, std::abs(outputs[r][i])))
          << "row " << r << " element " << i;
  }
}
