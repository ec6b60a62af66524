// TextVectorization: Keras' standardization, splitting and vocabulary order (ties included),
// padding/truncation, set/get/save/load of the vocabulary, and the errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "strata/core/error.hpp"
#include "strata/preprocessing/text_vectorization.hpp"
#include "support/expect_error.hpp"

using namespace strata;

namespace {

using Strings = std::vector<std::string>;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("strata_tv_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(TextVectorization, VocabularyByDescendingCountTiesByDescendingToken) {
  TextVectorization tv;
  // Counts: the 3, cat 2, dog 2, a 1, zebra 1, bird 1. Keras: np.lexsort((tokens, counts))[::-1]
  // puts equal counts in descending byte order.
  tv.adapt({"The cat, the DOG!", "a cat; the dog.", "zebra bird"});
  EXPECT_EQ(tv.get_vocabulary(), (Strings{"", "[UNK]", "the", "dog", "cat", "zebra", "bird", "a"}));
  EXPECT_EQ(tv.vocabulary_size(), 8);
}

TEST(TextVectorization, MaxTokensKeepsTheMostFrequent) {
  TextVectorization tv({.max_tokens = 5});
  tv.adapt({"x x x y y z z w"});
  EXPECT_EQ(tv.get_vocabulary(), (Strings{"", "[UNK]", "x", "z", "y"}));
  Tensor ids = tv({"w x y z q"});
  EXPECT_EQ(ids.shape(), (Shape{1, 5}));
  EXPECT_EQ(ids.dtype(), DType::int32);
  EXPECT_EQ(ids.to_vector<int32_t>(), (std::vector<int32_t>{1, 2, 4, 3, 1}));
}

TEST(TextVectorization, PadsAndTruncatesAtTheEnd) {
  TextVectorization tv({.output_sequence_length = 3});
  tv.set_vocabulary({"a", "b", "c"});  // without the special tokens: they are added
  EXPECT_EQ(tv.get_vocabulary(), (Strings{"", "[UNK]", "a", "b", "c"}));
  Tensor ids = tv({"a b c a b", "c", "", "  b\t\na  "});
  EXPECT_EQ(ids.shape(), (Shape{4, 3}));
  EXPECT_EQ(ids.to_vector<int32_t>(),
            (std::vector<int32_t>{2, 3, 4, 4, 0, 0, 0, 0, 0, 3, 2, 0}));
}

TEST(TextVectorization, ZeroLengthPadsToTheLongestInTheCall) {
  TextVectorization tv;
  tv.set_vocabulary({"", "[UNK]", "a", "b"});
  EXPECT_EQ(tv.vocabulary_size(), 4);
  Tensor ids = tv({"a", "b a b a", "q b"});
  EXPECT_EQ(ids.shape(), (Shape{3, 4}));
  EXPECT_EQ(ids.to_vector<int32_t>(),
            (std::vector<int32_t>{2, 0, 0, 0, 3, 2, 3, 2, 1, 3, 0, 0}));
}

TEST(TextVectorization, StandardizeModes) {
  const std::string text = "Hello, World! It's-fine";
  auto tokens = [&](const char* mode) {
    return TextVectorization({.standardize = mode}).tokenize(text);
  };
  EXPECT_EQ(tokens("lower_and_strip_punctuation"), (Strings{"hello", "world", "itsfine"}));
  EXPECT_EQ(tokens("lower"), (Strings{"hello,", "world!", "it's-fine"}));
  EXPECT_EQ(tokens("strip_punctuation"), (Strings{"Hello", "World", "Itsfine"}));
  EXPECT_EQ(tokens("none"), (Strings{"Hello,", "World!", "It's-fine"}));
  // Every character of Keras' DEFAULT_STRIP_REGEX goes; letters, digits and non-ASCII stay.
  TextVectorization tv;
  EXPECT_EQ(tv.tokenize("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'a1"), (Strings{"a1"}));
  // Lowercasing is ASCII-only: "É" (UTF-8 C3 89) is kept as is.
  EXPECT_EQ(tv.tokenize("CAFÉ Ünd"), (Strings{"cafÉ", "Ünd"}));
}

TEST(TextVectorization, CharacterSplitKeepsUtf8CharactersWhole) {
  TextVectorization tv({.standardize = "lower", .split = "character"});
  EXPECT_EQ(tv.tokenize("Aé b"), (Strings{"a", "é", " ", "b"}));
  tv.adapt({"abba", "é"});
  EXPECT_EQ(tv.get_vocabulary(), (Strings{"", "[UNK]", "b", "a", "é"}));
  EXPECT_EQ(tv({"bé"}).to_vector<int32_t>(), (std::vector<int32_t>{2, 4}));
}

// tf.strings.unicode_split(errors="replace"): each maximal malformed subpart becomes one U+FFFD;
// a truncated lead byte must not swallow the characters that follow it.
TEST(TextVectorization, CharacterSplitReplacesMalformedUtf8LikeTensorFlow) {
  TextVectorization tv({.standardize = "none", .split = "character"});
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(tv.tokenize("\xE4\xB8" "ab"), (Strings{fffd, "a", "b"}));
  EXPECT_EQ(tv.tokenize("x\xC3"), (Strings{"x", fffd}));
  EXPECT_EQ(tv.tokenize("\x80\xBFz"), (Strings{fffd, fffd, "z"}));
  EXPECT_EQ(tv.tokenize("\xC0\xAF"), (Strings{fffd, fffd}));          // overlong
  EXPECT_EQ(tv.tokenize("\xED\xA0\x80"), (Strings{fffd, fffd, fffd}));  // surrogate
  EXPECT_EQ(tv.tokenize("\xF0\x9F\x98\x80!"), (Strings{"\xF0\x9F\x98\x80", "!"}));
  EXPECT_EQ(tv.tokenize("\xF0\x9F\x98" "a"), (Strings{fffd, "a"}));
}

// N x output_sequence_length must not wrap around into a short buffer that the ids then overrun.
TEST(TextVectorization, HugeOutputSequenceLengthFailsCleanly) {
  TextVectorization tv({.output_sequence_length = int64_t{1} << 62});
  tv.adapt({"a b"});
  test::expect_value_error([&] { tv({"a", "b", "a b", "b a"}); },
                           {"TextVectorization", "output_sequence_length"});
}

TEST(TextVectorization, AdaptReplacesTheVocabularyAndSkipsSpecialTokens) {
  TextVectorization tv({.standardize = "none"});
  tv.adapt({"one two"});
  tv.adapt({"[UNK] three [UNK]"});
  EXPECT_EQ(tv.get_vocabulary(), (Strings{"", "[UNK]", "three"}));
  // Text without tokens leaves only the special entries, as Keras.
  tv.adapt({"", "   "});
  EXPECT_EQ(tv.get_vocabulary(), (Strings{"", "[UNK]"}));
  EXPECT_EQ(tv({"anything"}).to_vector<int32_t>(), (std::vector<int32_t>{1}));
}

TEST(TextVectorization, SaveAndLoadVocabularyAsKerasAsset) {
  TextVectorization tv({.output_sequence_length = 4});
  tv.adapt({"b a b c"});
  const std::string path = temp_path("vocab.txt");
  tv.save_vocabulary(path);
  EXPECT_EQ(read_file(path), "\n[UNK]\nb\nc\na");
  TextVectorization back({.output_sequence_length = 4});
  back.load_vocabulary(path);
  EXPECT_EQ(back.get_vocabulary(), tv.get_vocabulary());
  EXPECT_EQ(back({"a b c d"}).to_vector<int32_t>(), tv({"a b c d"}).to_vector<int32_t>());

  // Keras-written files may end with a line break or use CRLF.
  {
    std::ofstream f(path, std::ios::binary);
    f << "\r\n[UNK]\r\nx\r\ny\n\n";
  }
  back.load_vocabulary(path);
  EXPECT_EQ(back.get_vocabulary(), (Strings{"", "[UNK]", "x", "y"}));
  std::remove(path.c_str());
  EXPECT_THROW(back.load_vocabulary(temp_path("missing.txt")), IOError);
}

TEST(TextVectorization, ErrorsNameTheTokenizer) {
  TextVectorization tv({.name = "tok"});
  test::expect_value_error([&] { tv({"a"}); }, {"TextVectorization 'tok'", "adapt()"});
  test::expect_value_error([&] { tv.get_vocabulary(); }, {"tok", "set_vocabulary()"});
  test::expect_value_error([&] { tv.vocabulary_size(); }, {"tok", "adapt()"});
  test::expect_value_error([&] { tv.save_vocabulary(temp_path("x.txt")); }, {"tok"});
  test::expect_value_error([&] { tv.set_vocabulary({}); }, {"tok", "empty vocabulary"});
  test::expect_value_error([&] { tv.set_vocabulary({"a", "b", "a"}); }, {"repeats", "\"a\""});
  test::expect_value_error([&] { tv.set_vocabulary({"a", ""}); }, {"padding token", "index 1"});
  EXPECT_FALSE(tv.adapted());

  TextVectorization small({.max_tokens = 3, .name = "small"});
  test::expect_value_error([&] { small.set_vocabulary({"a", "b"}); },
                           {"small", "4 entries", "max_tokens=3"});

  test::expect_value_error([] { TextVectorization({.standardize = "upper", .name = "t1"}); },
                           {"t1", "standardize", "\"upper\""});
  test::expect_value_error([] { TextVectorization({.split = "comma", .name = "t2"}); },
                           {"t2", "split", "\"comma\""});
  test::expect_value_error([] { TextVectorization({.max_tokens = 1}); }, {"max_tokens", "got 1"});
  test::expect_value_error([] { TextVectorization({.max_tokens = -5}); }, {"max_tokens"});
  test::expect_value_error([] { TextVectorization({.output_sequence_length = -1}); },
                           {"output_sequence_length"});

  TextVectorization chars({.standardize = "none", .split = "character", .name = "chars"});
  chars.adapt({"a\nb"});
  test::expect_value_error([&] { chars.save_vocabulary(temp_path("y.txt")); },
                           {"chars", "line break"});
}
