#include "strata/datasets/csv.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "datasets/test_util.hpp"
#include "strata/core/error.hpp"

namespace strata::datasets {
namespace {

using test::expect_io_error;
using test::TempDir;

// scikit-learn's own CSV files, as shipped in sklearn/datasets/data.
std::string sklearn_file(const std::string& name) {
  return std::string(STRATA_SHARED_DIR) + "/fixtures/datasets/sklearn/" + name;
}

// Tests that read the scikit-learn files skip when the shared fixtures are absent.
class CsvSklearn : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(sklearn_file("")))
      GTEST_SKIP() << "scikit-learn fixtures not found at " << sklearn_file("")
                   << " (the shared fixtures directory should sit beside the repository)";
  }
};

std::map<int32_t, int> counts(const std::vector<int32_t>& labels) {
  std::map<int32_t, int> c;
  for (int32_t l : labels) ++c[l];
  return c;
}

TEST_F(CsvSklearn, ReadsSklearnIris) {
  CsvTable t = read_csv(sklearn_file("iris.csv"));
  EXPECT_EQ(t.rows, 150);
  EXPECT_EQ(t.features, 4);
  ASSERT_EQ(t.x.size(), 600u);
  EXPECT_EQ(std::vector<float>(t.x.begin(), t.x.begin() + 4),
            (std::vector<float>{5.1f, 3.5f, 1.4f, 0.2f}));
  EXPECT_EQ(std::vector<float>(t.x.end() - 4, t.x.end()),
            (std::vector<float>{5.9f, 3.0f, 5.1f, 1.8f}));
  EXPECT_EQ(counts(t.int_labels), (std::map<int32_t, int>{{0, 50}, {1, 50}, {2, 50}}));
  EXPECT_EQ(t.int_labels.front(), 0);
  EXPECT_EQ(t.int_labels.back(), 2);
  EXPECT_TRUE(t.float_labels.empty());
}

TEST_F(CsvSklearn, ReadsSklearnWineAndBreastCancer) {
  CsvTable wine = read_csv(sklearn_file("wine_data.csv"));
  EXPECT_EQ(wine.rows, 178);
  EXPECT_EQ(wine.features, 13);
  EXPECT_EQ(wine.x[0], 14.23f);
  EXPECT_EQ(wine.x[12], 1065.f);
  EXPECT_EQ(counts(wine.int_labels), (std::map<int32_t, int>{{0, 59}, {1, 71}, {2, 48}}));

  CsvTable cancer = read_csv(sklearn_file("breast_cancer.csv"));
  EXPECT_EQ(cancer.rows, 569);
  EXPECT_EQ(cancer.features, 30);
  EXPECT_EQ(counts(cancer.int_labels), (std::map<int32_t, int>{{0, 212}, {1, 357}}));
}

TEST_F(CsvSklearn, ReadsGzippedFileWithoutHeader) {
  CsvTable digits = read_csv(sklearn_file("digits.csv.gz"), {.skip_header = false});
  EXPECT_EQ(digits.rows, 1797);
  EXPECT_EQ(digits.features, 64);
  EXPECT_EQ(digits.x[2], 5.f);
  EXPECT_EQ(digits.int_labels.front(), 0);
  EXPECT_EQ(counts(digits.int_labels).size(), 10u);
}

TEST_F(CsvSklearn, LoadCsvMakesTensors) {
  Dataset iris = load_csv(sklearn_file("iris.csv"));
  EXPECT_EQ(iris.x.shape(), (Shape{150, 4}));
  EXPECT_EQ(iris.x.dtype(), DType::float32);
  EXPECT_EQ(iris.y.shape(), (Shape{150}));
  EXPECT_EQ(iris.y.dtype(), DType::int32);
  EXPECT_EQ(iris.x.to_vector<float>()[4], 4.9f);
  EXPECT_EQ(iris.y.to_vector<int32_t>()[149], 2);
}

TEST(Csv, LoadCsvFloatLabelsAndNoLabels) {
  TempDir dir;
  auto path = dir.write("t.csv", "a,b,c\n1,2,0.5\n3,4,-1.25\n");
  Dataset reg = load_csv(path, {.integer_labels = false});
  EXPECT_EQ(reg.y.dtype(), DType::float32);
  EXPECT_EQ(reg.y.to_vector<float>(), (std::vector<float>{0.5f, -1.25f}));
  Dataset all = load_csv(path, {.has_label = false});
  EXPECT_EQ(all.x.shape(), (Shape{2, 3}));
  EXPECT_FALSE(all.y.defined());
}

TEST(Csv, LabelColumnCountsFromEitherEnd) {
  TempDir dir;
  auto path = dir.write("t.csv", "7,1,2,3\n8,4,5,6\n");
  for (int column : {0, -4}) {
    CsvTable t = read_csv(path, {.label_column = column, .skip_header = false});
    EXPECT_EQ(t.features, 3);
    EXPECT_EQ(t.x, (std::vector<float>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(t.int_labels, (std::vector<int32_t>{7, 8}));
  }
  CsvTable t = read_csv(path, {.label_column = -2, .skip_header = false});
  EXPECT_EQ(t.x, (std::vector<float>{7, 1, 3, 8, 4, 6}));
  EXPECT_EQ(t.int_labels, (std::vector<int32_t>{2, 5}));
  CsvTable none = read_csv(path, {.has_label = false, .skip_header = false});
  EXPECT_EQ(none.features, 4);
  EXPECT_TRUE(none.int_labels.empty());
  EXPECT_THROW(read_csv(path, {.label_column = 4}), ValueError);
  EXPECT_THROW(read_csv(path, {.label_column = -5}), ValueError);
}

TEST(Csv, ToleratesSpacesCrlfBlankLinesBomAndPlusSigns) {
  TempDir dir;
  auto path = dir.write(
      "t.csv", "\xEF\xBB\xBF\r\n x , y ,label\r\n 1.5 , +2 , 1.0 \r\n\r\n  \n-3e2,4,2\n\n");
  CsvTable t = read_csv(path);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.x, (std::vector<float>{1.5f, 2, -300, 4}));
  EXPECT_EQ(t.int_labels, (std::vector<int32_t>{1, 2}));
}

TEST(Csv, OtherDelimiters) {
  TempDir dir;
  CsvTable semi =
      read_csv(dir.write("s.csv", "1;2;3\n4;5;6\n"), {.skip_header = false, .delimiter = ';'});
  EXPECT_EQ(semi.x, (std::vector<float>{1, 2, 4, 5}));
  CsvTable tab = read_csv(dir.write("t.tsv", "h\th\th\n1\t2\t3\n"), {.delimiter = '\t'});
  EXPECT_EQ(tab.x, (std::vector<float>{1, 2}));
  // In a TSV file an empty field between tabs is still a missing value.
  expect_io_error(
      [&] {
        read_csv(dir.write("gap.tsv", "1\t\t3\n"), {.skip_header = false, .delimiter = '\t'});
      },
      {"line 1, column 2", "empty field"});
}

TEST(Csv, MissingAndEmptyFiles) {
  TempDir dir;
  const std::string missing = dir.file("nope.csv");
  expect_io_error([&] { read_csv(missing); }, {missing, "not found"});
  auto empty = dir.write("empty.csv", "");
  expect_io_error([&] { read_csv(empty); }, {empty, "empty"});
  auto blank = dir.write("blank.csv", "\n  \n");
  expect_io_error([&] { read_csv(blank); }, {blank, "empty"});
  auto header_only = dir.write("header.csv", "150,4,setosa,versicolor,virginica\n");
  expect_io_error([&] { read_csv(header_only); }, {header_only, "no data rows", "header"});
}

TEST(Csv, NonNumericFieldNamesLineAndColumn) {
  TempDir dir;
  auto path = dir.write("bad.csv", "h\n1,2,0\n3,setosa,1\n");
  expect_io_error([&] { read_csv(path); }, {path, "line 3, column 2", "'setosa' is not a number"});
  auto label = dir.write("label.csv", "h\n1,2,0\n3,4,virginica\n");
  expect_io_error([&] { read_csv(label); }, {label, "line 3, column 3", "'virginica'"});
  auto partial = dir.write("partial.csv", "1.5x,2,0\n");
  expect_io_error([&] { read_csv(partial, {.skip_header = false}); },
                  {"line 1, column 1", "'1.5x'"});
  auto empty_field = dir.write("gap.csv", "h\n1,,0\n");
  expect_io_error([&] { read_csv(empty_field); }, {"line 2, column 2", "empty field"});
}

TEST(Csv, RaggedRows) {
  TempDir dir;
  auto path = dir.write("ragged.csv", "h\n1,2,0\n3,4,1\n5,1\n");
  expect_io_error([&] { read_csv(path); }, {path, "line 4 has 2 columns, expected 3 as on line 2"});
}

TEST(Csv, RejectsNonFiniteValues) {
  TempDir dir;
  for (const char* bad : {"nan", "NaN", "inf", "-Infinity"}) {
    auto path = dir.write("nf.csv", std::string("h\n1,2,0\n3,") + bad + ",1\n");
    expect_io_error([&] { read_csv(path); }, {path, "line 3, column 2", "not a finite number"});
  }
  auto huge = dir.write("huge.csv", "1e39,0\n");
  expect_io_error([&] { read_csv(huge, {.skip_header = false}); },
                  {"line 1, column 1", "range of float32"});
}

TEST(Csv, IntegerLabelsMustBeIntegral) {
  TempDir dir;
  auto path = dir.write("l.csv", "h\n1,2.0\n3,2.5\n");
  expect_io_error([&] { read_csv(path); }, {path, "line 3, column 2", "'2.5' is not an int32"});
  CsvTable t = read_csv(path, {.integer_labels = false});
  EXPECT_EQ(t.float_labels, (std::vector<float>{2.0f, 2.5f}));
  auto big = dir.write("big.csv", "1,3000000000\n");
  expect_io_error([&] { read_csv(big, {.skip_header = false}); }, {"'3000000000' is not an int32"});
}

TEST(Csv, LabelOnlyFileHasNoFeatures) {
  TempDir dir;
  auto path = dir.write("one.csv", "1\n2\n");
  expect_io_error([&] { read_csv(path, {.skip_header = false}); }, {path, "no feature columns"});
  EXPECT_EQ(read_csv(path, {.has_label = false, .skip_header = false}).x,
            (std::vector<float>{1, 2}));
}

}  // namespace
}  // namespace strata::datasets
