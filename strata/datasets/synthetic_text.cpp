#include "strata/datasets/synthetic_text.hpp"

#include <array>
#include <utility>

#include "strata/core/error.hpp"

namespace strata::datasets::synthetic_text {

namespace {

// SplitMix64: tiny, and identical on every standard library (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  template <class C>
  const auto& pick(const C& c) {
    return c[below(c.size())];
  }

 private:
  uint64_t s_;
};

const std::array<const char*, 12> kNouns{"movie", "film",  "plot",    "acting", "story",
                                         "ending", "cast", "script",  "music",  "dialogue",
                                         "pacing", "director"};
const std::array<const char*, 10> kPositive{"good",     "great",     "excellent", "wonderful",
                                            "amazing",  "brilliant", "fun",       "enjoyable",
                                            "charming", "superb"};
const std::array<const char*, 10> kNegative{"bad",   "terrible", "awful",    "boring", "dull",
                                            "weak",  "poor",     "annoying", "bland",  "messy"};
const std::array<const char*, 5> kIntensifiers{"very", "really", "quite", "so", "truly"};
const std::array<const char*, 2> kNegators{"not", "never"};
const std::array<const char*, 2> kVerbs{"was", "is"};
const std::array<const char*, 6> kOpeners{"honestly", "i think", "overall", "in my opinion",
                                          "to be fair", "well"};

// One clause with the requested sentiment; the negation is a coin flip, so "not" appears as
// often in positive clauses as in negative ones.
std::string clause(Rng& rng, bool positive) {
  const bool negated = rng.chance(0.5);
  const bool positive_word = positive != negated;
  std::string s = std::string("the ") + rng.pick(kNouns) + " " + rng.pick(kVerbs);
  if (negated) s += std::string(" ") + rng.pick(kNegators);
  if (rng.chance(0.3)) s += std::string(" ") + rng.pick(kIntensifiers);
  s += std::string(" ") + (positive_word ? rng.pick(kPositive) : rng.pick(kNegative));
  return s;
}

}  // namespace

Tensor TextSet::y() const {
  return Tensor::from_vector(Shape{static_cast<int64_t>(labels.size())}, labels);
}

TextSet reviews(int64_t n, uint64_t seed, double two_clause_fraction) {
  if (n < 1) throw ValueError("synthetic_text::reviews: n must be >= 1, got " + std::to_string(n));
  if (!(two_clause_fraction >= 0.0 && two_clause_fraction <= 1.0))
    throw ValueError("synthetic_text::reviews: two_clause_fraction must lie in [0, 1], got " +
                     std::to_string(two_clause_fraction));
  Rng rng(seed);
  TextSet out;
  // Exactly balanced labels, in a shuffled order (Fisher-Yates).
  out.labels.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < out.labels.size(); ++i) out.labels[i] = static_cast<int32_t>(i % 2);
  for (size_t i = out.labels.size(); i > 1; --i) std::swap(out.labels[i - 1], out.labels[rng.below(i)]);
  out.texts.reserve(static_cast<size_t>(n));
  for (int32_t label : out.labels) {
    std::string text;
    if (rng.chance(0.3)) text = std::string(rng.pick(kOpeners)) + " ";
    if (rng.chance(two_clause_fraction)) text += clause(rng, rng.chance(0.5)) + " but ";
    text += clause(rng, label == 1);
    out.texts.push_back(std::move(text));
  }
  return out;
}

}  // namespace strata::datasets::synthetic_text
