// Recurrent models in files: real Keras files (dl4j's SimpleRNN with recorded outputs,
// frugally-deep's GRU models with an initial state input and embedded test cases, Keras 2.1
// LSTM / Bidirectional / SimpleRNN model files) load and reproduce Keras; Strata's own .h5 and
// .keras files of recurrent models round-trip bit for bit with Keras' weight names and layout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "strata/io/hdf5.hpp"
#include "strata/io/zip.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/strata.hpp"
#include "support/fixtures.hpp"
#include "support/model_files.hpp"

using namespace strata;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  return fs::temp_directory_path() / ("strata_recurrent_fixtures_" + std::to_string(::getpid()));
}

fs::path temp_file(const std::string& name) {
  fs::create_directories(temp_dir());
  return temp_dir() / name;
}

// Removes the scratch folder once every test has run.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override { fs::remove_all(temp_dir()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

// frugally-deep stores tensors as base64 of little-endian float32 values.
std::vector<float> decode_floats(const std::string& b64) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : b64) {
    if (ch == '=') break;
    const auto pos = alphabet.find(ch);
    if (pos == std::string::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

Tensor decode_tensor(const json& t) {
  std::vector<int64_t> dims{1};  // frugally-deep leaves the batch axis out
  for (const auto& d : t["shape"]) dims.push_back(d.get<int64_t>());
  std::vector<float> values;
  for (const auto& chunk : t["values"]) {
    const auto part = decode_floats(chunk.get<std::string>());
    values.insert(values.end(), part.begin(), part.end());
  }
  return Tensor::from_vector(Shape(dims), values);
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

std::vector<float> values_of(const Tensor& t) { return t.to_vector(); }

}  // namespace

// ---------------------------------------------------------------- real Keras files

TEST(RecurrentFixtures, Dl4jSimpleRnnReproducesKeras) {
  const fs::path dir = test::fixture_path("keras/dl4j/simple_rnn");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto model = load_h5_model(dir / "simple_rnn_tf_keras_2_model.h5");
  auto rnn = std::dynamic_pointer_cast<SimpleRNN>(model->layers().front());
  ASSERT_NE(rnn, nullptr);
  EXPECT_EQ(rnn->options().units, 50);
  EXPECT_FLOAT_EQ(rnn->options().dropout, 0.2f);  // inactive in predict
  h5::File io = h5::File::open((dir / "simple_rnn_tf_keras_2_inputs_and_outputs.h5").string());
  const h5::FloatArray x = io.read_dataset("inputs/simple_rnn_1_input");
  const h5::FloatArray y = io.read_dataset("predictions/dense_1");
  const h5::FloatArray hidden = io.read_dataset("activations/simple_rnn_1");
  const Tensor in = Tensor::from_vector(Shape(x.shape), x.values);
  expect_close(model->predict(in).to_vector(), y.values, 1e-5);
  expect_close((*rnn)(in).to_vector(), hidden.values, 1e-5);
}

TEST(RecurrentFixtures, FrugallyDeepGruWithInitialStateReproducesKeras) {
  const fs::path dir = test::fixture_path("keras/frugally_deep");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  for (const char* name : {"temp_stateless", "temp_stateful"}) {
    SCOPED_TRACE(name);
    const json doc = json::parse(test::read_text(dir / (std::string(name) + ".json")));
    // A Keras 2 Functional config: GRU(1, linear, no bias, reset_after) on (x, h0).
    auto model = model_from_config(doc["architecture"]);
    load_weights_h5(*model, dir / (std::string(name) + ".h5"));
    auto gru = std::dynamic_pointer_cast<GRU>(model->layers().back());
    ASSERT_NE(gru, nullptr);
    EXPECT_EQ(gru->options().stateful, std::string(name) == "temp_stateful");
    // The weights the .json lists for the layer are the ones the .h5 holds.
    const json& params = doc["trainable_params"][gru->name()];
    expect_close(values_of(gru->kernel()), decode_floats(params["weights"][0].get<std::string>()),
                 0);
    expect_close(values_of(gru->recurrent_kernel()),
                 decode_floats(params["recurrent_weights"][0].get<std::string>()), 0);
    ASSERT_FALSE(doc["tests"].empty());
    for (const auto& t : doc["tests"]) {
      std::vector<Tensor> inputs;
      for (const auto& i : t["inputs"]) inputs.push_back(decode_tensor(i));
      const auto got = model->predict(inputs);
      ASSERT_EQ(got.size(), t["outputs"].size());
      for (size_t k = 0; k < got.size(); ++k)
        expect_close(got[k].to_vector(), values_of(decode_tensor(t["outputs"][k])), 1e-5);
    }
  }
}

// Keras 2.1.3 model files (dl4j's weights/ folder) hold model_config too: they rebuild, their
// weights land where the file's names say, and Strata's own .h5 of them reloads unchanged with
// tf.keras 2's names.
TEST(RecurrentFixtures, Keras21RecurrentModelFilesLoadAndRoundTrip) {
  const fs::path dir = test::fixture_path("keras/dl4j/weights");
  if (!fs::exists(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  struct Case {
    const char* file;
    Shape output;
    // dataset in the file -> (layer, which weight) it must have been loaded into
    std::vector<std::pair<std::string, std::string>> checks;
  };
  const std::vector<Case> cases{
      {"lstm_tensorflow_2.h5",
       Shape{-1, 6},
       {{"lstm_1/lstm_1/kernel:0", "lstm_1/kernel"},
        {"lstm_1/lstm_1/recurrent_kernel:0", "lstm_1/recurrent_kernel"},
        {"lstm_1/lstm_1/bias:0", "lstm_1/bias"}}},
      {"simple_rnn_tensorflow_2.h5",
       Shape{-1, 6},
       {{"simple_rnn_1/simple_rnn_1/recurrent_kernel:0", "simple_rnn_1/recurrent_kernel"}}},
      {"embedding_lstm_tensorflow_2.h5",
       Shape{-1, 10, 6},
       {{"embedding_1/embedding_1/embeddings:0", "embedding_1/embeddings"},
        {"lstm_1/lstm_1/kernel:0", "lstm_1/kernel"}}},
      {"bidirectional_lstm_tensorflow_2.h5",
       Shape{-1, 4, 20},
       {{"bidirectional_1/bidirectional_1/forward_lstm_1/kernel:0", "forward_lstm_1/kernel"},
        {"bidirectional_1/bidirectional_1/backward_lstm_1/kernel:0", "backward_lstm_1/kernel"},
        {"bidirectional_1/bidirectional_1/backward_lstm_1/bias:0", "backward_lstm_1/bias"}}},
      {"bidirectional_lstm_no_return_sequences_tensorflow_2.h5",
       Shape{-1, 20},
       {{"bidirectional_1/bidirectional_1/forward_lstm_1/recurrent_kernel:0",
         "forward_lstm_1/recurrent_kernel"},
        {"bidirectional_1/bidirectional_1/backward_lstm_1/recurrent_kernel:0",
         "backward_lstm_1/recurrent_kernel"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const fs::path file = dir / c.file;
    auto model = load_h5_model(file);
    EXPECT_EQ(model->output_shape(), c.output);
    EXPECT_EQ(model->count_params(), test::h5_stored_values(file));
    // Every recurrent layer of these files is a Keras 2 LSTM / SimpleRNN (hard_sigmoid 0.2 slope).
    std::map<std::string, std::shared_ptr<Recurrent>> recurrent;
    for (const auto& l : model->layers()) {
      if (auto r = std::dynamic_pointer_cast<Recurrent>(l)) recurrent[r->name()] = r;
      if (auto b = std::dynamic_pointer_cast<Bidirectional>(l)) {
        recurrent[b->forward_layer()->name()] = b->forward_layer();
        recurrent[b->backward_layer()->name()] = b->backward_layer();
      }
    }
    for (const auto& [dataset, target] : c.checks) {
      SCOPED_TRACE(dataset);
      const auto slash = target.find('/');
      const std::string layer = target.substr(0, slash), weight = target.substr(slash + 1);
      Tensor t;
      if (recurrent.count(layer)) {
        const auto& r = recurrent.at(layer);
        t = weight == "kernel"             ? r->kernel()
            : weight == "recurrent_kernel" ? r->recurrent_kernel()
                                           : r->bias();
        if (r->class_name() == "LSTM")
          EXPECT_EQ(r->options().recurrent_activation, "hard_sigmoid_legacy");
      } else {
        t = model->get_layer(layer)->weights().at(0);
      }
      std::vector<int64_t> dims;
      const auto want = test::h5_dataset(file, "/model_weights/" + dataset, &dims);
      EXPECT_EQ(t.shape().vec(), dims);
      expect_close(t.to_vector(), want, 0);
    }
    // Strata's .h5 of the model: same weights, bitwise-equal predictions.
    const fs::path saved = temp_file(std::string("resaved_") + c.file);
    save_h5(*model, saved);
    auto again = load_h5_model(saved);
    test::expect_same_weights(*again, *model);
    Shape in = model->input_shape();
    in[0] = 2;
    const Tensor x = c.output.rank() == 3 && std::string(c.file).rfind("embedding", 0) == 0
                         ? Tensor::from_vector(in, std::vector<float>{0, 1, 2, 3, 3, 2, 1, 0, 1, 2,
                                                                      3, 3, 0, 0, 1, 2, 2, 1, 3, 0})
                         : test::random_input(in, 5);
    test::expect_bitwise_equal(again->predict(x), model->predict(x));
  }
}

// ---------------------------------------------------------------- Strata's own files

namespace {

std::shared_ptr<Model> embedding_bilstm_dense() {
  SymbolicTensor in = Input({7});
  SymbolicTensor h =
      Embedding({.input_dim = 12, .output_dim = 5, .mask_zero = true, .name = "emb"})(in);
  h = Bidirectional(LSTM({.units = 4, .return_sequences = true, .name = "enc"}), {.name = "bi"})(h);
  h = Bidirectional(LSTM({.units = 3, .name = "enc2"}), {.merge_mode = "sum", .name = "bi_2"})(h);
  return std::make_shared<Model>(in, Dense({.units = 2, .name = "out"})(h));
}

std::shared_ptr<Model> gru_model(bool reset_after) {
  return std::make_shared<Sequential>(std::vector<LayerRef>{
      Input({6, 3}),
      GRU({.units = 4, .return_sequences = true, .reset_after = reset_after, .name = "g1"}),
      GRU({.units = 2, .go_backwards = true, .reset_after = reset_after, .name = "g2"})});
}

Tensor token_ids() {
  return Tensor::from_vector({3, 7}, std::vector<float>{1,  5, 7,  2, 0, 0, 0,  //
                                                        3,  3, 11, 4, 6, 8, 9,  //
                                                        10, 0, 0,  0, 0, 0, 0});
}

h5::File extracted_weights(const fs::path& keras_file, const std::string& name) {
  io::ZipReader z(keras_file);
  const fs::path h5p = temp_file(name + ".weights.h5");
  z.extract("model.weights.h5", h5p);
  return h5::File::open(h5p.string());
}

}  // namespace

TEST(RecurrentFiles, EmbeddingBidirectionalLstmDenseRoundTrips) {
  auto model = embedding_bilstm_dense();
  test::randomize_weights(*model, 7);
  const Tensor x = token_ids();
  const Tensor expected = model->predict(x);
  for (const char* file : {"bilstm.h5", "bilstm.keras"}) {
    SCOPED_TRACE(file);
    const fs::path p = temp_file(file);
    save_model(*model, p);
    auto loaded = load_model(p);
    test::expect_same_weights(*loaded, *model);
    test::expect_bitwise_equal(loaded->predict(x), expected);
    auto bi = std::dynamic_pointer_cast<Bidirectional>(loaded->get_layer("bi_2"));
    ASSERT_NE(bi, nullptr);
    EXPECT_EQ(bi->merge_mode(), "sum");
    EXPECT_EQ(bi->forward_layer()->name(), "forward_enc2");
  }

  // tf.keras 2's weight names: the direction's name scope, then the cell's.
  h5::File f = h5::File::open(temp_file("bilstm.h5").string());
  EXPECT_EQ(
      f.open_group("model_weights/bi").read_keras_string_list("weight_names"),
      (std::vector<std::string>{
          "bi/forward_enc/lstm_cell/kernel:0", "bi/forward_enc/lstm_cell/recurrent_kernel:0",
          "bi/forward_enc/lstm_cell/bias:0", "bi/backward_enc/lstm_cell/kernel:0",
          "bi/backward_enc/lstm_cell/recurrent_kernel:0", "bi/backward_enc/lstm_cell/bias:0"}));
  EXPECT_TRUE(f.has_dataset("model_weights/bi/bi/backward_enc/lstm_cell/bias:0"));

  // Keras 3's layout: each direction under its attribute, the weights in its cell.
  h5::File k = extracted_weights(temp_file("bilstm.keras"), "bilstm");
  EXPECT_TRUE(k.has_group("layers/bidirectional/vars"));
  for (const char* dir : {"forward_layer", "backward_layer"})
    for (const char* v : {"0", "1", "2"}) {
      EXPECT_TRUE(k.has_dataset(std::string("layers/bidirectional/") + dir + "/cell/vars/" + v));
      EXPECT_TRUE(k.has_dataset(std::string("layers/bidirectional_1/") + dir + "/cell/vars/" + v));
    }
  EXPECT_EQ(k.dataset_info("layers/bidirectional/backward_layer/cell/vars/1").shape,
            (std::vector<int64_t>{4, 16}));
  EXPECT_FALSE(k.has_dataset("layers/bidirectional/vars/0"));
}

TEST(RecurrentFiles, GruBothVariantsRoundTrip) {
  for (bool reset_after : {true, false}) {
    SCOPED_TRACE(reset_after ? "reset_after" : "reset_before");
    auto model = gru_model(reset_after);
    test::randomize_weights(*model, 11);
    const Tensor x = test::random_input(Shape{4, 6, 3}, 12);
    const Tensor expected = model->predict(x);
    const std::string stem = reset_after ? "gru_after" : "gru_before";
    for (const std::string ext : {".h5", ".keras"}) {
      SCOPED_TRACE(ext);
      const fs::path p = temp_file(stem + ext);
      save_model(*model, p);
      auto loaded = load_model(p);
      test::expect_same_weights(*loaded, *model);
      test::expect_bitwise_equal(loaded->predict(x), expected);
      auto g2 = std::dynamic_pointer_cast<GRU>(loaded->get_layer("g2"));
      ASSERT_NE(g2, nullptr);
      EXPECT_EQ(g2->options().reset_after, reset_after);
      EXPECT_TRUE(g2->options().go_backwards);
    }
    h5::File f = h5::File::open(temp_file(stem + ".h5").string());
    EXPECT_TRUE(f.has_dataset("model_weights/g1/g1/gru_cell/recurrent_kernel:0"));
    EXPECT_EQ(f.dataset_info("model_weights/g1/g1/gru_cell/bias:0").shape,
              reset_after ? (std::vector<int64_t>{2, 12}) : (std::vector<int64_t>{12}));
    h5::File k = extracted_weights(temp_file(stem + ".keras"), stem);
    EXPECT_TRUE(k.has_dataset("layers/gru/cell/vars/0"));
    EXPECT_TRUE(k.has_dataset("layers/gru_1/cell/vars/2"));
    EXPECT_EQ(k.dataset_info("layers/gru_1/cell/vars/1").shape, (std::vector<int64_t>{2, 6}));
  }
}

// Initial states as model inputs (Keras' layer(x, initial_state=[...])): half to each direction.
TEST(RecurrentFiles, BidirectionalWithInitialStateInputsRoundTrips) {
  SymbolicTensor x = Input({4, 3}, {.name = "seq"});
  std::vector<SymbolicTensor> states;
  for (const char* n : {"h_f", "c_f", "h_b", "c_b"}) states.push_back(Input({2}, {.name = n}));
  auto bi = std::make_shared<Bidirectional>(LSTM({.units = 2, .return_state = true, .name = "l"}),
                                            BidirectionalOptions{.name = "bi"});
  SymbolicTensor y = (*bi)({x, states[0], states[1], states[2], states[3]});
  EXPECT_EQ(y.shape(), (Shape{-1, 4}));
  Model model({x, states[0], states[1], states[2], states[3]}, {y, SymbolicTensor(y.node(), 4)},
              "with_states");
  test::randomize_weights(model, 21);
  std::vector<Tensor> in{test::random_input(Shape{2, 4, 3}, 1)};
  for (unsigned s = 0; s < 4; ++s) in.push_back(test::random_input(Shape{2, 2}, 2 + s));
  const auto expected = model.predict(in);
  // The backward direction's final c comes from its own initial state.
  const auto direct = bi->backward_layer()->run(in[0], Tensor(), {in[3], in[4]}, false);
  test::expect_bitwise_equal(expected[1], direct[2]);
  for (const char* file : {"states.h5", "states.keras"}) {
    SCOPED_TRACE(file);
    const fs::path p = temp_file(file);
    save_model(model, p);
    auto loaded = load_model(p);
    const auto got = loaded->predict(in);
    ASSERT_EQ(got.size(), 2u);
    test::expect_bitwise_equal(got[0], expected[0]);
    test::expect_bitwise_equal(got[1], expected[1]);
  }
}
