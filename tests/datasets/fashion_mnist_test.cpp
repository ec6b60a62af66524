#include "strata/datasets/fashion_mnist.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "datasets/test_util.hpp"
#include "strata/core/error.hpp"

namespace strata::datasets {
namespace {

using test::idx_bytes;
using test::io_error_message;
using test::TempDir;

// Sets or unsets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The real dataset is loaded once: inflating 30 MB takes about a second.
class FashionMnistReal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::filesystem::is_directory(fashion_mnist::resolve_dir()))
      data_ = new std::pair<Dataset, Dataset>(fashion_mnist::load());
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  void SetUp() override {
    if (!data_)
      GTEST_SKIP() << "Fashion-MNIST not found at " << fashion_mnist::resolve_dir()
                   << "; install it with `sudo apt-get install dataset-fashion-mnist`";
  }
  static std::pair<Dataset, Dataset>* data_;
};
std::pair<Dataset, Dataset>* FashionMnistReal::data_ = nullptr;

TEST_F(FashionMnistReal, ShapesAndDtypes) {
  const auto& [train, test] = *data_;
  EXPECT_EQ(train.x.shape(), (Shape{60000, 28, 28, 1}));
  EXPECT_EQ(train.y.shape(), (Shape{60000}));
  EXPECT_EQ(test.x.shape(), (Shape{10000, 28, 28, 1}));
  EXPECT_EQ(test.y.shape(), (Shape{10000}));
  EXPECT_EQ(train.x.dtype(), DType::float32);
  EXPECT_EQ(train.y.dtype(), DType::int32);
  EXPECT_EQ(test.y.dtype(), DType::int32);
}

TEST_F(FashionMnistReal, PixelsAreScaledToUnitInterval) {
  const std::vector<float> x = data_->first.x.to_vector<float>();
  auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  EXPECT_EQ(*lo, 0.f);
  EXPECT_EQ(*hi, 1.f);  // the raw data reaches 255
  // The first training image's raw pixels sum to 76247 (checked with numpy).
  double first = std::accumulate(x.begin(), x.begin() + 784, 0.0);
  EXPECT_NEAR(first * 255, 76247, 0.05);
}

TEST_F(FashionMnistReal, LabelsMatchTheDataset) {
  const std::vector<int32_t> train = data_->first.y.to_vector<int32_t>();
  const std::vector<int32_t> test = data_->second.y.to_vector<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(train.begin(), train.begin() + 5),
            (std::vector<int32_t>{9, 0, 0, 3, 0}));
  EXPECT_EQ(std::vector<int32_t>(test.begin(), test.begin() + 5),
            (std::vector<int32_t>{9, 2, 1, 1, 6}));
  EXPECT_EQ(fashion_mnist::class_names()[train[0]], "Ankle boot");
  std::vector<int> counts(10);
  for (int32_t y : train) ++counts.at(y);
  EXPECT_EQ(counts, std::vector<int>(10, 6000));
}

TEST(FashionMnist, ClassNames) {
  const auto names = fashion_mnist::class_names();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[5], "Sandal");
  EXPECT_EQ(names[9], "Ankle boot");
}

TEST(FashionMnist, BogusDirectoryNamesPathAndHowToInstall) {
  const std::string dir = "/nonexistent/strata-bogus-dir";
  std::string msg = io_error_message([&] { fashion_mnist::load(dir); });
  EXPECT_NE(msg.find(dir + "/train-images-idx3-ubyte.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sudo apt-get install dataset-fashion-mnist"), std::string::npos) << msg;
  EXPECT_NE(msg.find("STRATA_DATASETS_DIR"), std::string::npos) << msg;
}

TEST(FashionMnist, DirectoryResolutionOrder) {
  {
    ScopedEnv env("STRATA_DATASETS_DIR", "/data/sets");
    EXPECT_EQ(fashion_mnist::resolve_dir("/explicit"), "/explicit");
    EXPECT_EQ(fashion_mnist::resolve_dir(), "/data/sets/fashion-mnist");
    std::string msg = io_error_message([] { fashion_mnist::load(); });
    EXPECT_NE(msg.find("/data/sets/fashion-mnist/"), std::string::npos) << msg;
  }
  {
    ScopedEnv env("STRATA_DATASETS_DIR", "");
    EXPECT_EQ(fashion_mnist::resolve_dir(), "/usr/share/datasets/fashion-mnist");
  }
  ScopedEnv env("STRATA_DATASETS_DIR", nullptr);
  EXPECT_EQ(fashion_mnist::resolve_dir(), "/usr/share/datasets/fashion-mnist");
}

// Small IDX files with the dataset's (uncompressed) names.
struct FakeDataset {
  TempDir dir;
  void images(const std::string& split, uint32_t n, uint32_t side = 28) {
    std::string pixels(n * side * side, '\0');
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>(i % 256);
    dir.write(split + "-images-idx3-ubyte", idx_bytes(0x08, {n, side, side}, pixels));
  }
  void labels(const std::string& split, const std::string& values) {
    dir.write(split + "-labels-idx1-ubyte",
              idx_bytes(0x08, {static_cast<uint32_t>(values.size())}, values));
  }
};

TEST(FashionMnist, ReadsUncompressedFiles) {
  FakeDataset fake;
  fake.images("train", 3);
  fake.labels("train", std::string("\x09\x00\x05", 3));
  fake.images("t10k", 2);
  fake.labels("t10k", std::string("\x01\x02", 2));
  auto [train, test] = fashion_mnist::load(fake.dir.path());
  EXPECT_EQ(train.x.shape(), (Shape{3, 28, 28, 1}));
  EXPECT_EQ(test.x.shape(), (Shape{2, 28, 28, 1}));
  EXPECT_EQ(train.y.to_vector<int32_t>(), (std::vector<int32_t>{9, 0, 5}));
  const std::vector<float> x = train.x.to_vector<float>();
  EXPECT_EQ(x[1], 1.f / 255);
  EXPECT_EQ(x[255], 1.f);
}

TEST(FashionMnist, ImageAndLabelCountsMustAgree) {
  FakeDataset fake;
  fake.images("train", 3);
  fake.labels("train", std::string("\x01\x02", 2));
  fake.images("t10k", 1);
  fake.labels("t10k", std::string("\x01", 1));
  std::string msg = io_error_message([&] { fashion_mnist::load(fake.dir.path()); });
  EXPECT_NE(msg.find("holds 3 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train-labels-idx1-ubyte' holds 2 labels"), std::string::npos) << msg;
}

TEST(FashionMnist, RejectsWrongImageSizeAndLabels) {
  FakeDataset fake;
  fake.images("train", 2, 27);
  fake.labels("train", std::string("\x01\x02", 2));
  fake.images("t10k", 1);
  fake.labels("t10k", std::string("\x0A", 1));
  std::string msg = io_error_message([&] { fashion_mnist::load(fake.dir.path()); });
  EXPECT_NE(msg.find("train-images-idx3-ubyte' should hold ubyte images of shape (N, 28, 28), "
                     "holds ubyte of shape (2, 27, 27)"),
            std::string::npos)
      << msg;
  fake.images("train", 2);
  msg = io_error_message([&] { fashion_mnist::load(fake.dir.path()); });
  EXPECT_NE(msg.find("t10k-labels-idx1-ubyte': label 10 at index 0 is not a class in 0..9"),
            std::string::npos)
      << msg;
}

}  // namespace
}  // namespace strata::datasets
