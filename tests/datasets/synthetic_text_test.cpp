// Synthetic reviews: determinism in the seed, exact balance, the grammar's label rule, and that
// a bag of words is ambiguous (the same words appear under both labels).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "strata/datasets/synthetic_text.hpp"
#include "support/expect_error.hpp"

using namespace strata;
namespace st = strata::datasets::synthetic_text;

namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  for (std::string t; in >> t;) w.push_back(t);
  return w;
}

// The label the grammar defines: the last clause's adjective polarity, flipped by a negator
// earlier in that clause.
int32_t rule_label(const std::string& text) {
  static const std::set<std::string> positive{"good",     "great",     "excellent", "wonderful",
                                              "amazing",  "brilliant", "fun",       "enjoyable",
                                              "charming", "superb"};
  const auto w = words(text);
  auto start = std::find(w.begin(), w.end(), "but");
  start = start == w.end() ? w.begin() : start + 1;
  const bool negated = std::find(start, w.end(), "not") != w.end() ||
                       std::find(start, w.end(), "never") != w.end();
  return (positive.count(w.back()) > 0) != negated ? 1 : 0;
}

}  // namespace

TEST(SyntheticText, DeterministicInTheSeed) {
  const auto a = st::reviews(300, 7), b = st::reviews(300, 7), c = st::reviews(300, 8);
  EXPECT_EQ(a.texts, b.texts);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_NE(a.texts, c.texts);
}

TEST(SyntheticText, ExactlyBalancedShuffledAndShort) {
  const auto d = st::reviews(1000, 3);
  ASSERT_EQ(d.texts.size(), 1000u);
  ASSERT_EQ(d.labels.size(), 1000u);
  EXPECT_EQ(std::count(d.labels.begin(), d.labels.end(), 1), 500);
  // Not simply alternating.
  int runs = 0;
  for (size_t i = 1; i < d.labels.size(); ++i) runs += d.labels[i] == d.labels[i - 1];
  EXPECT_GT(runs, 300);
  size_t longest = 0, two_clause = 0;
  for (const auto& t : d.texts) {
    longest = std::max(longest, words(t).size());
    two_clause += t.find(" but ") != std::string::npos;
  }
  EXPECT_LE(longest, 16u);
  EXPECT_NEAR(double(two_clause) / 1000, 0.6, 0.06);
  Tensor y = d.y();
  EXPECT_EQ(y.shape(), (Shape{1000}));
  EXPECT_EQ(y.dtype(), DType::int32);
  EXPECT_EQ(y.to_vector<int32_t>(), d.labels);
}

TEST(SyntheticText, LabelsFollowTheLastClauseAndDefeatBagsOfWords) {
  const auto d = st::reviews(2000, 11);
  // What a bag of words sees that matters here: how many positive / negative adjectives and
  // negators, and whether there is a "but". Many such bags occur under both labels.
  std::map<std::vector<int>, std::set<int32_t>> bags;
  std::vector<std::vector<int>> keys;
  for (size_t i = 0; i < d.texts.size(); ++i) {
    EXPECT_EQ(rule_label(d.texts[i]), d.labels[i]) << d.texts[i];
    std::vector<int> key(4, 0);
    for (const auto& w : words(d.texts[i])) {
      key[0] += w == "but";
      key[1] += w == "not" || w == "never";
      key[2] += rule_label(w) == 1 && w != "not" && w != "never";  // a positive adjective
    }
    key[3] = static_cast<int>(words(d.texts[i]).size());
    bags[key].insert(d.labels[i]);
    keys.push_back(key);
  }
  size_t ambiguous = 0;
  for (const auto& k : keys) ambiguous += bags[k].size() == 2;
  EXPECT_GT(double(ambiguous) / double(keys.size()), 0.3);
  // "not" appears under both labels about equally.
  int with_not[2] = {0, 0};
  for (size_t i = 0; i < d.texts.size(); ++i)
    with_not[d.labels[i]] += d.texts[i].find(" not ") != std::string::npos;
  EXPECT_NEAR(double(with_not[0]) / with_not[1], 1.0, 0.2);
}

TEST(SyntheticText, BadArgumentsRefused) {
  test::expect_value_error([] { st::reviews(0, 1); }, {"n must be >= 1", "got 0"});
  test::expect_value_error([] { st::reviews(10, 1, 1.5); }, {"two_clause_fraction"});
  EXPECT_EQ(st::reviews(5, 1, 0.0).texts.size(), 5u);
}
