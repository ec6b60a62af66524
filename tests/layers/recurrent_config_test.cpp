// Recurrent layers' Keras configs: tf.keras 2 keys written, Keras 1/2/3 and tfjs spellings read,
// unsupported settings refused with the layer named, and round trips through the registry.
#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/initializers/orthogonal.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/serialization/layer_registry.hpp"
#include "support/expect_error.hpp"

using namespace strata;
using nlohmann::json;

TEST(RecurrentConfig, WritesTfKeras2Keys) {
  LSTM l({.units = 8, .recurrent_activation = "hard_sigmoid_legacy", .dropout = 0.25f,
          .return_sequences = true, .name = "enc"});
  json c = l.get_config();
  EXPECT_EQ(c["name"], "enc");
  EXPECT_EQ(c["units"], 8);
  EXPECT_EQ(c["activation"], "tanh");
  EXPECT_EQ(c["recurrent_activation"], "hard_sigmoid_legacy");  // model_config renames it
  EXPECT_EQ(c["unit_forget_bias"], true);
  EXPECT_EQ(c["implementation"], 2);
  EXPECT_EQ(c["time_major"], false);
  EXPECT_EQ(c["dropout"], 0.25);
  EXPECT_EQ(c["recurrent_dropout"], 0.0);
  EXPECT_EQ(c["return_sequences"], true);
  EXPECT_EQ(c["recurrent_initializer"]["class_name"], "Orthogonal");
  EXPECT_EQ(c["kernel_initializer"]["class_name"], "GlorotUniform");
  for (const char* k : {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                        "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                        "bias_constraint"}) {
    ASSERT_TRUE(c.contains(k)) << k;
    EXPECT_TRUE(c[k].is_null()) << k;
  }
  json g = GRU({.units = 2, .reset_after = false}).get_config();
  EXPECT_EQ(g["reset_after"], false);
  EXPECT_EQ(g["implementation"], 2);
  EXPECT_FALSE(g.contains("unit_forget_bias"));
  json s = SimpleRNN({.units = 2, .activation = ""}).get_config();
  EXPECT_EQ(s["activation"], "linear");
  EXPECT_FALSE(s.contains("implementation"));
  EXPECT_FALSE(s.contains("recurrent_activation"));
}

TEST(RecurrentConfig, RoundTripsThroughTheRegistry) {
  std::vector<std::shared_ptr<Layer>> layers{
      std::make_shared<SimpleRNN>(RecurrentOptions{.units = 3, .activation = "relu",
                                                   .use_bias = false, .go_backwards = true}),
      std::make_shared<LSTM>(RecurrentOptions{.units = 4, .unit_forget_bias = false,
                                              .recurrent_dropout = 0.5f, .return_state = true,
                                              .stateful = true}),
      std::make_shared<GRU>(RecurrentOptions{.units = 5, .return_sequences = true,
                                             .reset_after = false, .unroll = true}),
      std::make_shared<GRU>(RecurrentOptions{.units = 5})};
  for (auto& l : layers) {
    SCOPED_TRACE(l->class_name());
    json c = l->get_config();
    auto back = layer_from_config({{"class_name", l->class_name()}, {"config", c}});
    EXPECT_EQ(back->class_name(), l->class_name());
    EXPECT_EQ(back->get_config(), c);
  }
}

TEST(RecurrentConfig, ReadsKeras2File) {
  // tf.keras 2 GRU from a real file (frugally-deep's temp_stateful), activation "linear".
  json c = json::parse(R"({"activation": "linear", "activity_regularizer": null,
    "bias_constraint": null, "bias_initializer": {"class_name": "Zeros", "config": {}},
    "bias_regularizer": null, "dropout": 0.0, "dtype": "float32", "go_backwards": false,
    "implementation": 2, "kernel_constraint": null,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "kernel_regularizer": null, "name": "gru_1", "recurrent_activation": "sigmoid",
    "recurrent_constraint": null, "recurrent_dropout": 0.0,
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
    "recurrent_regularizer": null, "reset_after": true, "return_sequences": true,
    "return_state": false, "stateful": true, "time_major": false, "trainable": true,
    "units": 1, "unroll": false, "use_bias": false})");
  auto g = GRU::from_config(c);
  EXPECT_EQ(g->name(), "gru_1");
  EXPECT_EQ(g->options().activation, "");
  EXPECT_EQ(g->cell(), RnnCell::gru_reset_after);
  EXPECT_TRUE(g->options().stateful);
  EXPECT_FALSE(g->options().use_bias);
  EXPECT_TRUE(g->options().return_sequences);
}

TEST(RecurrentConfig, ReadsTfjsGruWithoutResetAfter) {
  json c = json::parse(R"({"units": 4, "activation": "tanh", "recurrent_activation": "sigmoid",
    "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling",
    "config": {"scale": 1, "mode": "fan_avg", "distribution": "normal", "seed": null}},
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1, "seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
    "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
    "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null,
    "dropout": 0, "recurrent_dropout": 0, "implementation": null, "return_sequences": false,
    "return_state": false, "go_backwards": true, "stateful": false, "unroll": false,
    "name": "gru_GRU1", "trainable": true})");
  auto g = GRU::from_config(c);
  EXPECT_EQ(g->cell(), RnnCell::gru);  // no reset_after key: the original formula
  EXPECT_TRUE(g->options().go_backwards);
}

TEST(RecurrentConfig, ReadsKeras3Spellings) {
  json c = json::parse(R"({"name": "lstm", "trainable": true,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
              "registered_name": null},
    "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false,
    "unroll": false, "zero_output_for_mask": true, "units": 6, "activation": "tanh",
    "recurrent_activation": "sigmoid", "use_bias": true,
    "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                           "config": {"seed": null}, "registered_name": null},
    "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal",
                              "config": {"seed": 3, "gain": 2.0}, "registered_name": null},
    "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                         "registered_name": null},
    "unit_forget_bias": true, "kernel_regularizer": null, "recurrent_regularizer": null,
    "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
    "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.1,
    "recurrent_dropout": 0.0, "seed": 17})");
  auto l = LSTM::from_config(c);
  EXPECT_TRUE(l->zero_output_for_mask);
  EXPECT_EQ(l->options().seed, 17u);
  EXPECT_FLOAT_EQ(l->options().dropout, 0.1f);
  l->build(Shape{-1, 2, 3});
  auto r = l->recurrent_kernel();
  EXPECT_EQ(r.to_vector(), initializers::Orthogonal({.gain = 2.0, .seed = 3}).values(Shape{6, 24}));
}

TEST(RecurrentConfig, ReadsKeras1Spellings) {
  json c = json::parse(R"({"name": "lstm_1", "trainable": true, "batch_input_shape": [null, 5, 3],
    "output_dim": 7, "init": "glorot_uniform", "inner_init": "orthogonal",
    "forget_bias_init": "one", "activation": "tanh", "inner_activation": "hard_sigmoid",
    "W_regularizer": null, "U_regularizer": null, "b_regularizer": null, "dropout_W": 0.2,
    "dropout_U": 0.1, "consume_less": "gpu", "return_sequences": false, "go_backwards": false,
    "stateful": false, "unroll": false, "input_dim": 3, "input_length": 5})");
  auto l = LSTM::from_config(c);
  EXPECT_EQ(l->options().units, 7);
  EXPECT_EQ(l->options().recurrent_activation, "hard_sigmoid_legacy");
  EXPECT_TRUE(l->options().unit_forget_bias);
  EXPECT_FLOAT_EQ(l->options().dropout, 0.2f);
  EXPECT_FLOAT_EQ(l->options().recurrent_dropout, 0.1f);
  json s = json::parse(R"({"name": "s", "output_dim": 2, "activation": "relu", "dropout_W": 0.0})");
  EXPECT_EQ(SimpleRNN::from_config(s)->options().activation, "relu");
}

TEST(RecurrentConfig, RefusesWhatItCannotHonour) {
  json base = LSTM({.units = 2, .name = "lstm_x"}).get_config();
  json tm = base;
  tm["time_major"] = true;
  test::expect_value_error([&] { LSTM::from_config(tm); }, {"LSTM 'lstm_x'", "time_major"});
  json unknown = base;
  unknown["cell_clip"] = 3.0;
  test::expect_value_error([&] { LSTM::from_config(unknown); }, {"LSTM 'lstm_x'", "cell_clip"});
  json reg = base;
  reg["recurrent_regularizer"] = {{"class_name", "L2"}, {"config", {{"l2", 0.01}}}};
  test::expect_value_error([&] { LSTM::from_config(reg); }, {"recurrent_regularizer"});
  // A GRU key on an LSTM is unknown there.
  json ra = base;
  ra["reset_after"] = true;
  test::expect_value_error([&] { LSTM::from_config(ra); }, {"LSTM 'lstm_x'", "reset_after"});
  json bad = base;
  bad["recurrent_activation"] = "nope";
  test::expect_value_error([&] { LSTM::from_config(bad); }, {"LSTM 'lstm_x'", "nope"});
  json no_units = base;
  no_units.erase("units");
  test::expect_value_error([&] { LSTM::from_config(no_units); }, {"LSTM", "units"});
}
