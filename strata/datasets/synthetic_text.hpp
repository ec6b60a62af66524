// Synthetic movie reviews for text-classification examples and tests: short English-like
// sentences whose sentiment label depends on word order, so a bag of words cannot reach 100 %
// but a sequence model can. Deterministic in the seed on every platform (own generator).
//
//   auto train = datasets::synthetic_text::reviews(4000, /*seed=*/1);
//   train.texts[0];   // "honestly the plot was good but the acting was not great"
//   train.labels[0];  // 0 (negative): the clause after "but" decides, and "not" flips it
//   Tensor y = train.y();   // (4000,) int32
//
// The grammar: a review is one clause, or two joined by "but", optionally after an opener
// ("honestly", "i think", ...). A clause is "the <noun> was [not|never] [very|...] <adjective>".
// Its sentiment is the adjective's polarity, flipped when "not" / "never" precedes it; the label
// (1 = positive) is the sentiment of the last clause. With two clauses the same words can make
// either label ("the plot was good but the acting was not bad" vs "the plot was not good but the
// acting was bad"), which is what defeats bag-of-words models. Labels are exactly balanced
// (n even) and shuffled; reviews have at most 16 words.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/autodiff/tensor.hpp"

namespace strata::datasets::synthetic_text {

struct TextSet {
  std::vector<std::string> texts;
  std::vector<int32_t> labels;  // 0 = negative, 1 = positive
  // The labels as an (N,) int32 tensor.
  Tensor y() const;
};

// `n` reviews (n >= 1) drawn from `seed`; `two_clause_fraction` in [0, 1] of them have two
// clauses. Throws ValueError on a bad argument.
TextSet reviews(int64_t n, uint64_t seed, double two_clause_fraction = 0.6);

}  // namespace strata::datasets::synthetic_text
