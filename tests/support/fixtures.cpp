#include "support/fixtures.hpp"

#include <fstream>
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

}  // namespace strata::test
