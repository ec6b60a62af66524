// The `strata` tool, run as a user runs it: summary of fixture files, conversion between formats
// (checked by loading the result), and its answers to bad arguments and files.
#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "strata/strata.hpp"
#include "support/fixtures.hpp"

using namespace strata;
namespace fs = std::filesystem;

namespace {

struct CliRun {
  int status = -1;
  std::string output;  // stdout and stderr together
};

CliRun run(const std::string& args) {
  const std::string cmd = std::string(STRATA_CLI_PATH) + " " + args + " 2>&1";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) r.output.append(buf.data(), n);
  const int s = pclose(p);
  r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  return r;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

fs::path scratch() {
  fs::path d = fs::temp_directory_path() / ("strata_cli_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(StrataCli, SummaryOfAKerasH5File) {
  const fs::path h5 = test::fixture_path("keras/hls4ml/relu/relu.h5");
  if (!fs::exists(h5)) GTEST_SKIP() << "fixtures not found at " << h5;
  CliRun r = run("summary " + h5.string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r.output, "Format: Keras legacy HDF5 model (.h5)")) << r.output;
  EXPECT_TRUE(has(r.output, "Keras version: 2.")) << r.output;
  EXPECT_TRUE(has(r.output, "Backend: tensorflow")) << r.output;
  EXPECT_TRUE(has(r.output, "Total params:")) << r.output;
}

TEST(StrataCli, ConvertsBetweenFormatsKeepingPredictions) {
  const fs::path h5 = test::fixture_path("keras/kotlindl/mnist_mnist1_hdf5/mnist.h5");
  if (!fs::exists(h5)) GTEST_SKIP() << "fixtures not found at " << h5;
  const fs::path dir = scratch();
  const fs::path keras = dir / "mnist.keras", back = dir / "mnist_back.h5",
                 weights = dir / "mnist.weights.h5";
  CliRun r = run("convert " + h5.string() + " " + keras.string());
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("convert " + keras.string() + " " + back.string());
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("convert " + keras.string() + " " + weights.string());
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("summary " + keras.string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r.output, "Keras 3 archive")) << r.output;
  r = run("summary " + weights.string());
  EXPECT_TRUE(has(r.output, "weights only")) << r.output;

  auto original = load_model(h5, {.compile = false});
  Shape in = original->input_shape();
  in[0] = 4;
  Tensor x = Tensor::full(in, 0.25f);
  const auto want = original->predict(x).to_vector<float>();
  for (const fs::path& p : {keras, back}) {
    auto m = load_model(p, {.compile = false});
    EXPECT_EQ(m->predict(x).to_vector<float>(), want) << p;
  }
  fs::remove_all(dir);
}

TEST(StrataCli, BadUseIsExplained) {
  CliRun r = run("");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.output, "usage: strata summary FILE")) << r.output;
  r = run("frobnicate x");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.output, "unknown command 'frobnicate'")) << r.output;
  r = run("convert only_one.h5");
  EXPECT_EQ(r.status, 2);
  r = run("summary /nonexistent/model.h5");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.output, "/nonexistent/model.h5")) << r.output;
  const fs::path dir = scratch();
  const fs::path junk = dir / "junk.h5";
  { std::FILE* f = std::fopen(junk.c_str(), "wb"); std::fputs("not a model at all", f); std::fclose(f); }
  r = run("summary " + junk.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.output, "not a Keras model file")) << r.output;
  fs::remove_all(dir);
}
