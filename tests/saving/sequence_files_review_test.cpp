// Sequence-model files: a model mixing Embedding(mask_zero), Bidirectional,
// MultiHeadAttention with an attention_mask input and Attention with return_attention_scores
// must reload bit-for-bit from every format, and hostile files must fail naming file and layer.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "strata/functional/graph_node.hpp"
#include "strata/io/hdf5.hpp"
#include "strata/serialization/keras3_config.hpp"
#include "strata/serialization/model_config.hpp"
#include "strata/strata.hpp"
#include "support/model_files.hpp"

namespace strata {
namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  fs::path d = fs::temp_directory_path() /
               ("strata_seq_review_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::shared_ptr<Model> mixed_model() {
  SymbolicTensor ids = Input({5}, {.name = "ids", .dtype = DType::int32});
  SymbolicTensor am = Input({5, 5}, {.name = "am"});
  SymbolicTensor e = Embedding({.input_dim = 9, .output_dim = 4, .mask_zero = true, .name = "emb"})(ids);
  SymbolicTensor h =
      Bidirectional(LSTM({.units = 3, .return_sequences = true, .name = "enc"}), {.name = "bi"})(e);
  SymbolicTensor a =
      MultiHeadAttention({.num_heads = 2, .key_dim = 3, .name = "mha"})({h, h, h, am});
  auto att = std::make_shared<Attention>(
      AttentionOptions{.use_scale = true, .return_attention_scores = true, .name = "att"});
  auto outs = call_symbolic(att, {a, h});
  SymbolicTensor y = Dense({.units = 2, .name = "head"})(outs[0]);
  return std::make_shared<Model>(std::vector<SymbolicTensor>{ids, am},
                                 std::vector<SymbolicTensor>{y, outs[1]}, "mixed");
}

std::vector<Tensor> mixed_inputs() {
  Tensor ids = Tensor::from_vector({3, 5}, std::vector<int32_t>{3, 1, 4, 0, 0, 5, 2, 8, 7, 6,
                                                                 1, 0, 0, 0, 0});
  std::vector<float> m(75, 1.f);
  for (size_t i = 2; i < m.size(); i += 7) m[i] = 0.f;
  return {ids, Tensor::from_vector(Shape{3, 5, 5}, m)};
}

TEST(SequenceFilesReview, MixedModelRoundTripsBitwiseThroughEveryFormat) {
  const fs::path dir = scratch();
  auto model = mixed_model();
  test::randomize_weights(*model, 17);
  const auto x = mixed_inputs();
  const auto want = model->predict(x);
  ASSERT_EQ(want.size(), 2u);
  for (const char* file : {"m.keras", "m.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir / file);
    auto loaded = load_model(dir / file);
    const auto got = loaded->predict(x);
    ASSERT_EQ(got.size(), 2u);
    test::expect_bitwise_equal(got[0], want[0]);
    test::expect_bitwise_equal(got[1], want[1]);
    test::expect_same_weights(*loaded, *model);
  }
  for (const char* file : {"w.weights.h5", "w.h5"}) {
    SCOPED_TRACE(file);
    save_weights(*model, dir / file);
    auto fresh = mixed_model();
    load_weights(*fresh, dir / file);
    const auto got = fresh->predict(x);
    test::expect_bitwise_equal(got[0], want[0]);
    test::expect_bitwise_equal(got[1], want[1]);
  }
  for (const auto& c : {model_to_config(*model), model_to_keras3_config(*model)}) {
    auto copy = model_from_json(c.dump());
    copy->set_weights(model->get_weights());
    const auto got = copy->predict(x);
    test::expect_bitwise_equal(got[0], want[0]);
    test::expect_bitwise_equal(got[1], want[1]);
  }
  fs::remove_all(dir);
}


// A weights file whose layer_names repeat one name while another layer's group is never listed
// must not pair the same group with two layers and leave the other layer unloaded.
TEST(SequenceFilesReview, LegacyH5RepeatedLayerNamesAreRefused) {
  const fs::path dir = scratch();
  auto build = [] {
    SymbolicTensor x = Input({3}, {.name = "x"});
    SymbolicTensor h = Dense({.units = 3, .name = "d1"})(x);
    return std::make_shared<Model>(x, Dense({.units = 3, .name = "d2"})(h));
  };
  auto model = build();
  test::randomize_weights(*model, 3);
  save_weights(*model, dir / "w.h5");
  {
    h5::File f = h5::File::open_rw((dir / "w.h5").string());
    f.write_keras_string_list("layer_names", {"d1", "d1"});
  }
  auto fresh = build();
  const std::string msg = test::error_of<ValueError>([&] { load_weights(*fresh, dir / "w.h5"); });
  EXPECT_NE(msg.find("w.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'d1' twice"), std::string::npos) << msg;
  fs::remove_all(dir);
}

// A .keras archive whose MultiHeadAttention key projection has the wrong shape, or lacks the
// group entirely, fails naming the file and the layer.
TEST(SequenceFilesReview, HostileKerasMhaWeightsNameFileAndLayer) {
  const fs::path dir = scratch();
  auto build = [](int64_t key_features) {
    SymbolicTensor q = Input({3, 4}, {.name = "q"}), k = Input({3, key_features}, {.name = "k"});
    SymbolicTensor y =
        MultiHeadAttention({.num_heads = 2, .key_dim = 3, .name = "mha"})({q, q, k});
    return std::make_shared<Model>(std::vector<SymbolicTensor>{q, k}, y);
  };
  save_weights(*build(6), dir / "w.weights.h5");
  auto fresh = build(4);
  std::string msg = test::error_of<ValueError>([&] { load_weights(*fresh, dir / "w.weights.h5"); });
  EXPECT_NE(msg.find("w.weights.h5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'mha'"), std::string::npos) << msg;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strata
