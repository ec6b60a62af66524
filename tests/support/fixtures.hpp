// Access to the Keras fixture files in ../shared/fixtures (see its README): the folder, and the
// whitespace-separated float tables (one sample per line) that hls4ml records inputs and outputs in.
//
//   auto dir = test::fixture_path("keras/hls4ml/relu");
//   if (!std::filesystem::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
//   auto rows = test::read_rows(dir / "tb_input_features.dat");
#pragma once

#include <filesystem>
#include <vector>

namespace strata::test {

std::filesystem::path fixture_path(const std::string& relative);
std::vector<std::vector<float>> read_rows(const std::filesystem::path& file);

}  // namespace strata::test
