#include "strata/preprocessing/text_vectorization.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "strata/core/error.hpp"
#include "strata/layers/layer.hpp"

namespace strata {

namespace {

const char* const kMask = "";
const char* const kOov = "[UNK]";

// Keras' DEFAULT_STRIP_REGEX [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~'] — every ASCII punctuation
// character (",-\." is the range ',' .. '.').
bool is_strip_punctuation(unsigned char c) {
  static const std::string set = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'";
  return c < 128 && set.find(static_cast<char>(c)) != std::string::npos;
}

// tf.strings.split's default separator: runs of ASCII whitespace.
bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// U+FFFD, which tf.strings.unicode_split (errors="replace", as Keras calls it) puts in place of
// each malformed sequence.
const char* const kReplacement = "\xEF\xBF\xBD";

// Bytes of the UTF-8 character at s[i], or, for malformed input, minus the length of the maximal
// subpart to replace (Unicode's "U+FFFD substitution of maximal subparts", as ICU and TF do): a
// truncated sequence never swallows the characters after it.
int64_t utf8_step(const std::string& s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  if (lead < 0xC2 || lead > 0xF4) return -1;
  const size_t n = lead <= 0xDF ? 2 : lead <= 0xEF ? 3 : 4;
  // The valid range of the second byte (Unicode Table 3-7) excludes overlongs and surrogates.
  const unsigned char lo = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  size_t k = 1;
  for (; k < n && i + k < s.size(); ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) break;
  }
  return k == n ? static_cast<int64_t>(n) : -static_cast<int64_t>(k);
}

}  // namespace

TextVectorization::TextVectorization(TextVectorizationOptions o)
    : o_(std::move(o)),
      name_(o_.name.empty() ? unique_object_name("text_vectorization") : o_.name) {
  const auto& s = o_.standardize;
  if (s != "lower_and_strip_punctuation" && s != "lower" && s != "strip_punctuation" &&
      s != "none")
    throw ValueError(label() + ": standardize must be \"lower_and_strip_punctuation\", "
                     "\"lower\", \"strip_punctuation\" or \"none\", got \"" + s + "\"");
  if (o_.split != "whitespace" && o_.split != "character")
    throw ValueError(label() + ": split must be \"whitespace\" or \"character\", got \"" +
                     o_.split + "\"");
  // Keras refuses max_tokens <= 1: the padding and OOV entries alone need two.
  if (o_.max_tokens < 0 || o_.max_tokens == 1)
    throw ValueError(label() + ": max_tokens must be 0 (unlimited) or at least 2, got " +
                     std::to_string(o_.max_tokens));
  if (o_.output_sequence_length < 0)
    throw ValueError(label() + ": output_sequence_length must be >= 0 (0 = pad to the longest), "
                     "got " + std::to_string(o_.output_sequence_length));
}

std::string TextVectorization::label() const { return "TextVectorization '" + name_ + "'"; }

std::string TextVectorization::standardize_text(const std::string& text) const {
  const bool lower = o_.standardize == "lower" || o_.standardize == "lower_and_strip_punctuation";
  const bool strip =
      o_.standardize == "strip_punctuation" || o_.standardize == "lower_and_strip_punctuation";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (strip && is_strip_punctuation(c)) continue;
    out.push_back(lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
  }
  return out;
}

std::vector<std::string> TextVectorization::tokenize(const std::string& text) const {
  const std::string s = standardize_text(text);
  std::vector<std::string> tokens;
  if (o_.split == "character") {
    for (size_t i = 0; i < s.size();) {
      const int64_t n = utf8_step(s, i);
      tokens.push_back(n > 0 ? s.substr(i, static_cast<size_t>(n)) : std::string(kReplacement));
      i += static_cast<size_t>(n > 0 ? n : -n);
    }
    return tokens;
  }
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !is_space(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) tokens.push_back(s.substr(i, j - i));
    i = j;
  }
  return tokens;
}

void TextVectorization::adapt(const std::vector<std::string>& texts) {
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& t : texts)
    for (auto& tok : tokenize(t)) ++counts[std::move(tok)];
  // The special tokens are never learned (Keras removes them from the counts).
  counts.erase(kMask);
  counts.erase(kOov);
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first > b.first;
  });
  if (o_.max_tokens > 0 && static_cast<int64_t>(sorted.size()) > o_.max_tokens - 2)
    sorted.resize(static_cast<size_t>(o_.max_tokens - 2));
  std::vector<std::string> vocab{kMask, kOov};
  for (auto& [tok, n] : sorted) vocab.push_back(std::move(tok));
  set_vocabulary(vocab);
}

void TextVectorization::set_vocabulary(const std::vector<std::string>& vocabulary) {
  if (vocabulary.empty())
    throw ValueError(label() + ": cannot set an empty vocabulary");
  const bool has_special =
      vocabulary.size() >= 2 && vocabulary[0] == kMask && vocabulary[1] == kOov;
  std::vector<std::string> vocab{kMask, kOov};
  vocab.insert(vocab.end(), vocabulary.begin() + (has_special ? 2 : 0), vocabulary.end());
  std::unordered_map<std::string, int32_t> index;
  for (size_t i = 2; i < vocab.size(); ++i) {
    if (vocab[i].empty())
      throw ValueError(label() + ": the padding token \"\" may only be the first vocabulary "
                       "entry (followed by \"[UNK]\"), found it at index " +
                       std::to_string(i - (has_special ? 0 : 2)));
    if (!index.emplace(vocab[i], static_cast<int32_t>(i)).second)
      throw ValueError(label() + ": the vocabulary repeats the token \"" + vocab[i] + "\"");
  }
  if (o_.max_tokens > 0 && static_cast<int64_t>(vocab.size()) > o_.max_tokens)
    throw ValueError(label() + ": the vocabulary has " + std::to_string(vocab.size()) +
                     " entries (with \"\" and \"[UNK]\"), more than max_tokens=" +
                     std::to_string(o_.max_tokens));
  vocab_ = std::move(vocab);
  index_ = std::move(index);
}

void TextVectorization::require_vocabulary(const char* what) const {
  if (vocab_.empty())
    throw ValueError(label() + ": " + what + " needs a vocabulary: call adapt() or "
                     "set_vocabulary() first");
}

Tensor TextVectorization::operator()(const std::vector<std::string>& texts) const {
  require_vocabulary("vectorizing text");
  std::vector<std::vector<int32_t>> seqs;
  seqs.reserve(texts.size());
  size_t longest = 0;
  for (const auto& t : texts) {
    std::vector<int32_t> ids;
    for (const auto& tok : tokenize(t)) {
      const auto it = index_.find(tok);
      ids.push_back(it == index_.end() ? 1 : it->second);
    }
    longest = std::max(longest, ids.size());
    seqs.push_back(std::move(ids));
  }
  const size_t len =
      o_.output_sequence_length > 0 ? static_cast<size_t>(o_.output_sequence_length) : longest;
  // A huge output_sequence_length must not wrap N·L around into a short buffer.
  size_t total = 0;
  if (__builtin_mul_overflow(seqs.size(), len, &total) ||
      total > static_cast<size_t>(std::numeric_limits<int64_t>::max()) / sizeof(int32_t))
    throw ValueError(label() + ": " + std::to_string(seqs.size()) + " texts of " +
                     std::to_string(len) + " tokens (output_sequence_length) are too many "
                     "token ids to hold");
  std::vector<int32_t> flat(total, 0);
  for (size_t i = 0; i < seqs.size(); ++i)
    std::copy_n(seqs[i].begin(), std::min(len, seqs[i].size()), flat.begin() + i * len);
  return Tensor::from_vector(Shape{static_cast<int64_t>(seqs.size()), static_cast<int64_t>(len)},
                             flat);
}

std::vector<std::string> TextVectorization::get_vocabulary() const {
  require_vocabulary("get_vocabulary()");
  return vocab_;
}

int64_t TextVectorization::vocabulary_size() const {
  require_vocabulary("vocabulary_size()");
  return static_cast<int64_t>(vocab_.size());
}

void TextVectorization::save_vocabulary(const std::string& path) const {
  require_vocabulary("save_vocabulary()");
  for (const auto& tok : vocab_)
    if (tok.find_first_of("\n\r") != std::string::npos)
      throw ValueError(label() + ": cannot save the vocabulary one token per line: a token "
                       "holds a line break (character split of multi-line text)");
  std::ofstream f(path, std::ios::binary);
  for (size_t i = 0; i < vocab_.size(); ++i) f << (i ? "\n" : "") << vocab_[i];
  f.close();
  if (!f) throw IOError(label() + ": cannot write the vocabulary file '" + path + "'");
}

void TextVectorization::load_vocabulary(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError(label() + ": cannot open the vocabulary file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  // Python's splitlines() for the line ends a vocabulary file can hold.
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == '\r') {
      if (i < text.size() || start < text.size()) lines.push_back(text.substr(start, i - start));
      if (i + 1 < text.size() && text[i] == '\r' && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty())
    throw ValueError(label() + ": the vocabulary file '" + path + "' holds no tokens");
  set_vocabulary(lines);
}

}  // namespace strata
