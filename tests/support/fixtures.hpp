// Access to the Keras fixture files in ../shared/fixtures (see its README): the folder, and the
// whitespace-separated float tables (one sample per line) that hls4ml records inputs and outputs in.
//
//   auto dir = test::fixture_path("keras/hls4ml/relu");
//   if (!std::filesystem::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
//   auto rows = test::read_rows(dir / "tb_input_features.dat");
//   int64_t n = test::h5_stored_values(dir / "weights.h5");   // compare with count_params()
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace strata::test {

std::filesystem::path fixture_path(const std::string& relative);
std::vector<std::vector<float>> read_rows(const std::filesystem::path& file);
// The whole file as a string (empty when it cannot be read).
std::string read_text(const std::filesystem::path& file);
// Total number of values stored in every dataset of an HDF5 file: a weights file's parameter
// count.
int64_t h5_stored_values(const std::filesystem::path& file);
// The root "model_config" attribute of a whole-model .h5 file (variable- or fixed-length string).
std::string h5_model_config(const std::filesystem::path& file);
// A root string attribute of an HDF5 file ("keras_version", "backend"); empty when absent.
std::string h5_root_string_attribute(const std::filesystem::path& file, const std::string& name);
// The values of one dataset of an HDF5 file (e.g. "/p_re_lu/p_re_lu/alpha:0"), read as float32,
// and its dimensions in `dims` when given. Fails the current test when the dataset is missing.
std::vector<float> h5_dataset(const std::filesystem::path& file, const std::string& path,
                              std::vector<int64_t>* dims = nullptr);

}  // namespace strata::test
