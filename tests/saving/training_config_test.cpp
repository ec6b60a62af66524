// The compile state in Keras' formats: resuming training from training_config / compile_config
// plus the optimizer variables gives bit-for-bit the weights of uninterrupted training; round
// trips of both configs; Keras 2.0-2.3, tf.keras 2.4 / 2.11 and Keras 3 literals; bad input.
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "strata/saving/training_config.hpp"
#include "strata/serialization/model_config.hpp"
#include "strata/strata.hpp"
#include "support/expect_error.hpp"

using namespace strata;
using json = nlohmann::json;
using test::expect_value_error;

namespace {

struct Data {
  Tensor x, y;
};

Data data(int n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < n; ++i) {
    float s = 0;
    for (int j = 0; j < 6; ++j) x.push_back(g(rng)), s += x.back() * static_cast<float>(j - 2);
    y.push_back(s > 1.f ? 2 : (s < -1.f ? 0 : 1));
  }
  return {Tensor::from_vector({n, 6}, x), Tensor::from_vector({n}, y)};
}

std::shared_ptr<Sequential> small_model() {
  return std::make_shared<Sequential>(std::vector<LayerRef>{
      Input({6}), Dense({.units = 8, .activation = "relu", .name = "hidden"}),
      Dense({.units = 3, .activation = "softmax", .name = "probs"})});
}

std::shared_ptr<Model> two_outputs() {
  SymbolicTensor in = Input({4}, {.name = "features"});
  SymbolicTensor h = Dense({.units = 8, .activation = "relu"})(in);
  SymbolicTensor score = Dense({.units = 1, .name = "score"})(h);
  SymbolicTensor kind = Dense({.units = 3, .activation = "softmax", .name = "kind"})(h);
  return std::make_shared<Model>(SymbolicTensors{in}, SymbolicTensors{score, kind}, "two");
}

void expect_same_weights(const Model& a, const Model& b) {
  auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i)
    EXPECT_EQ(wa[i].to_vector(), wb[i].to_vector()) << "weight " << i;
}

enum class Format { keras2_h5, keras3 };

// Trains 2 epochs straight, and 1 epoch + save (in memory, through JSON text) + rebuild + 1 epoch.
void check_resume(const std::function<OptimizerSpec()>& optimizer, Format format) {
  set_random_seed(11);
  const Data d = data(96, 5);
  const FitOptions fit{.batch_size = 16, .epochs = 1, .verbose = 0, .shuffle = false};
  const CompileOptions options{.optimizer = optimizer(), .loss = "sparse_categorical_crossentropy",
                               .metrics = {"accuracy"}};

  auto straight = small_model();
  const auto initial = straight->get_weights();
  straight->compile(options);
  FitOptions two = fit;
  two.epochs = 2;
  straight->fit(d.x, d.y, two);

  auto first = small_model();
  first->set_weights(initial);
  CompileOptions options2 = options;
  options2.optimizer = optimizer();
  first->compile(options2);
  first->fit(d.x, d.y, fit);

  // "Save": JSON text and tensors.
  const std::string model_text = to_json(*first);
  const std::string compile_text =
      (format == Format::keras2_h5 ? training_config(*first) : compile_config(*first)).dump();
  const auto weights = first->get_weights();
  const auto opt_vars = format == Format::keras2_h5 ? optimizer_weights_h5(*first)
                                                   : optimizer_variables_keras3(*first);
  first.reset();

  // "Load" into a fresh model.
  auto resumed = model_from_json(model_text);
  resumed->set_weights(weights);
  compile_from_config(*resumed, json::parse(compile_text), "memory.h5");
  std::vector<std::string> names;
  std::vector<Tensor> values;
  for (const auto& [n, v] : opt_vars) names.push_back(n), values.push_back(v);
  if (format == Format::keras2_h5)
    restore_optimizer_weights_h5(*resumed, names, values, "memory.h5");
  else
    restore_optimizer_variables_keras3(*resumed, values, "memory.keras");
  EXPECT_EQ(resumed->optimizer()->iterations(), 6);
  resumed->fit(d.x, d.y, fit);
  expect_same_weights(*straight, *resumed);
  // Sanity: the optimizer state mattered (a fresh optimizer would land elsewhere).
}

}  // namespace

TEST(TrainingConfig, ResumeAdamIsBitForBit) {
  for (Format f : {Format::keras2_h5, Format::keras3}) {
    check_resume([] { return OptimizerSpec("adam"); }, f);
    check_resume([] { return OptimizerSpec(Adam({.learning_rate = 0.01, .amsgrad = true})); }, f);
  }
}

TEST(TrainingConfig, ResumeSgdMomentumIsBitForBit) {
  for (Format f : {Format::keras2_h5, Format::keras3})
    check_resume(
        [] { return OptimizerSpec(SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true})); },
        f);
}

TEST(TrainingConfig, ResumeRmspropIsBitForBit) {
  for (Format f : {Format::keras2_h5, Format::keras3}) {
    check_resume([] { return OptimizerSpec("rmsprop"); }, f);
    check_resume(
        [] { return OptimizerSpec(RMSprop({.momentum = 0.5, .centered = true})); }, f);
  }
}

TEST(TrainingConfig, ResumeWithoutOptimizerStateDiffers) {
  // The counterpart of the tests above: dropping the optimizer variables changes the result, so
  // those tests do check that the state was restored.
  set_random_seed(11);
  const Data d = data(96, 5);
  const FitOptions fit{.batch_size = 16, .epochs = 1, .verbose = 0, .shuffle = false};
  auto a = small_model();
  a->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  a->fit(d.x, d.y, fit);
  auto b = model_from_json(to_json(*a));
  b->set_weights(a->get_weights());
  compile_from_config(*b, training_config(*a), "memory.h5");
  a->fit(d.x, d.y, fit);
  b->fit(d.x, d.y, fit);
  EXPECT_NE(a->get_weights()[0].to_vector(), b->get_weights()[0].to_vector());
}

TEST(TrainingConfig, OptimizerWeightNamesFollowTfKerasOrder) {
  auto m = small_model();
  m->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  const Data d = data(16, 1);
  m->fit(d.x, d.y, {.batch_size = 8, .verbose = 0, .shuffle = false});
  auto w = optimizer_weights_h5(*m);
  std::vector<std::string> names;
  for (const auto& [n, v] : w) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "Adam/iter:0", "Adam/hidden/kernel/m:0", "Adam/hidden/bias/m:0",
                       "Adam/probs/kernel/m:0", "Adam/probs/bias/m:0", "Adam/hidden/kernel/v:0",
                       "Adam/hidden/bias/v:0", "Adam/probs/kernel/v:0", "Adam/probs/bias/v:0"}));
  EXPECT_EQ(w[0].second.dtype(), DType::int64);
  EXPECT_EQ(w[0].second.shape(), Shape{});
  EXPECT_EQ(w[0].second.to_vector<int64_t>()[0], 2);
  EXPECT_EQ(w[1].second.shape(), (Shape{6, 8}));
  EXPECT_EQ(w[5].second.to_vector(), m->optimizer()->slots(m->trainable_weights()[0])[1].to_vector());

  auto k3 = optimizer_variables_keras3(*m);
  names.clear();
  for (const auto& [n, v] : k3) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "adam/iteration", "adam/learning_rate", "adam/hidden_kernel_momentum",
                       "adam/hidden_kernel_velocity", "adam/hidden_bias_momentum",
                       "adam/hidden_bias_velocity", "adam/probs_kernel_momentum",
                       "adam/probs_kernel_velocity", "adam/probs_bias_momentum",
                       "adam/probs_bias_velocity"}));
  EXPECT_EQ(k3[0].second.dtype(), DType::int64);
  EXPECT_EQ(k3[1].second.dtype(), DType::float32);
  EXPECT_FLOAT_EQ(k3[1].second.item(), 0.001f);

  // RMSprop: every weight's rms, then every momentum, then every mg (both formats group by kind).
  auto r = small_model();
  r->compile({.optimizer = RMSprop({.momentum = 0.5, .centered = true}),
              .loss = "sparse_categorical_crossentropy"});
  r->fit(d.x, d.y, {.batch_size = 8, .verbose = 0, .shuffle = false});
  auto rw = optimizer_weights_h5(*r);
  ASSERT_EQ(rw.size(), 13u);
  EXPECT_EQ(rw[1].first, "RMSprop/hidden/kernel/rms:0");
  EXPECT_EQ(rw[5].first, "RMSprop/hidden/kernel/momentum:0");
  EXPECT_EQ(rw[12].first, "RMSprop/probs/bias/mg:0");
  auto rk = optimizer_variables_keras3(*r);
  ASSERT_EQ(rk.size(), 14u);
  EXPECT_EQ(rk[2].first, "rmsprop/hidden_kernel_velocity");
  EXPECT_EQ(rk[6].first, "rmsprop/hidden_kernel_momentum");
  EXPECT_EQ(rk[13].first, "rmsprop/probs_bias_average_gradient");

  // SGD without momentum has only the iteration count.
  auto s = small_model();
  s->compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  s->fit(d.x, d.y, {.batch_size = 8, .verbose = 0, .shuffle = false});
  EXPECT_EQ(optimizer_weights_h5(*s).size(), 1u);
  EXPECT_EQ(optimizer_variables_keras3(*s).size(), 2u);
}

TEST(TrainingConfig, WritesTfKerasAndKeras3Layouts) {
  auto m = small_model();
  m->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy",
              .metrics = {"accuracy"}});
  const json tc = training_config(*m);
  EXPECT_EQ(tc, json::parse(R"({"loss":"sparse_categorical_crossentropy","metrics":["accuracy"],
      "weighted_metrics":null,"loss_weights":null,
      "optimizer_config":{"class_name":"Adam","config":{"name":"Adam","learning_rate":0.001,
        "decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false}}})"));
  const json cc = compile_config(*m);
  EXPECT_EQ(cc["optimizer"]["module"], "keras.optimizers");
  EXPECT_EQ(cc["optimizer"]["class_name"], "Adam");
  EXPECT_TRUE(cc["optimizer"]["registered_name"].is_null());
  EXPECT_EQ(cc["optimizer"]["config"], m->optimizer()->get_config());
  EXPECT_EQ(cc["optimizer"]["config"]["name"], "adam");
  EXPECT_EQ(cc["loss"], "sparse_categorical_crossentropy");
  EXPECT_EQ(cc["metrics"], json::parse(R"(["accuracy"])"));
  EXPECT_TRUE(cc["loss_weights"].is_null());
  EXPECT_EQ(cc["steps_per_execution"], 1);

  // Objects with non-default arguments.
  auto o = small_model();
  o->compile({.optimizer = SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true,
                                .name = "my_sgd"}),
              .loss = SparseCategoricalCrossentropy({.from_logits = true}),
              .metrics = {metrics::SparseCategoricalAccuracy({.name = "acc2"}), "mae"}});
  const json otc = training_config(*o);
  EXPECT_EQ(otc["optimizer_config"]["config"]["name"], "my_sgd");
  EXPECT_EQ(otc["optimizer_config"]["config"]["momentum"], 0.9);
  EXPECT_EQ(otc["optimizer_config"]["config"]["nesterov"], true);
  EXPECT_FALSE(otc["optimizer_config"]["config"].contains("clipnorm"));
  EXPECT_EQ(otc["loss"]["class_name"], "SparseCategoricalCrossentropy");
  EXPECT_EQ(otc["loss"]["config"]["from_logits"], true);
  EXPECT_FALSE(otc["loss"].contains("module"));
  EXPECT_EQ(otc["metrics"][0]["class_name"], "SparseCategoricalAccuracy");
  EXPECT_EQ(otc["metrics"][0]["config"]["name"], "acc2");
  EXPECT_EQ(otc["metrics"][1], "mae");
  const json occ = compile_config(*o);
  EXPECT_EQ(occ["loss"]["module"], "keras.losses");
  EXPECT_EQ(occ["metrics"][0]["module"], "keras.metrics");
}

TEST(TrainingConfig, RoundTripsSeveralCompileSetups) {
  std::vector<std::pair<std::function<std::shared_ptr<Model>()>, std::function<CompileOptions()>>>
      setups = {
          {[] { return std::shared_ptr<Model>(small_model()); },
           [] {
             return CompileOptions{.optimizer = "adam",
                                   .loss = "sparse_categorical_crossentropy",
                                   .metrics = {"accuracy"}};
           }},
          {[] { return std::shared_ptr<Model>(small_model()); },
           [] {
             return CompileOptions{
                 .optimizer = SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true,
                                   .name = "my_sgd"}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {metrics::SparseCategoricalAccuracy({.name = "acc2"}), "mae",
                             metrics::BinaryAccuracy({.threshold = 0.3f})}};
           }},
          {[] { return std::shared_ptr<Model>(small_model()); },
           [] {
             return CompileOptions{
                 .optimizer = RMSprop({.learning_rate = 0.002, .rho = 0.8, .momentum = 0.5,
                                       .epsilon = 1e-6, .centered = true}),
                 .loss = CategoricalCrossentropy({.label_smoothing = 0.1f}),
                 .metrics = {"categorical_accuracy"}};
           }},
          {two_outputs,
           [] {
             return CompileOptions{
                 .optimizer = Adam({.learning_rate = 0.01, .beta_1 = 0.8, .amsgrad = true}),
                 .loss = {{"score", "mse"}, {"kind", "sparse_categorical_crossentropy"}},
                 .loss_weights = {1.0, 0.2},
                 .metrics = {"mae"},
                 .output_metrics = {{"kind", {"accuracy"}}}};
           }},
          {two_outputs,
           [] {
             return CompileOptions{.optimizer = "rmsprop",
                                   .loss = std::vector<LossSpec>{"mse", SparseCategoricalCrossentropy()},
                                   .loss_weights = {{"kind", 0.5}}};
           }},
      };
  for (size_t i = 0; i < setups.size(); ++i) {
    SCOPED_TRACE("setup " + std::to_string(i));
    auto m = setups[i].first();
    m->compile(setups[i].second());
    const json tc = training_config(*m);
    const json cc = compile_config(*m);
    auto from_tc = setups[i].first();
    compile_from_config(*from_tc, json::parse(tc.dump()), "a.h5");
    EXPECT_EQ(training_config(*from_tc), tc);
    EXPECT_EQ(compile_config(*from_tc), cc);
    auto from_cc = setups[i].first();
    compile_from_config(*from_cc, json::parse(cc.dump()), "a.keras");
    EXPECT_EQ(compile_config(*from_cc), cc);
    EXPECT_EQ(training_config(*from_cc), tc);
    EXPECT_EQ(from_cc->loss_weights(), m->loss_weights());
    for (size_t k = 0; k < m->losses().size(); ++k) {
      ASSERT_EQ(!m->losses()[k], !from_cc->losses()[k]);
      if (m->losses()[k]) EXPECT_EQ(from_cc->losses()[k]->get_config(), m->losses()[k]->get_config());
    }
  }
  // The multi-output layout.
  auto m = setups[3].first();
  m->compile(setups[3].second());
  const json tc = training_config(*m);
  EXPECT_EQ(tc["loss"], json::parse(R"({"score":"mse","kind":"sparse_categorical_crossentropy"})"));
  EXPECT_EQ(tc["loss_weights"], json::parse("[1.0, 0.2]"));
  EXPECT_EQ(tc["metrics"], json::parse(R"({"score":["mae"],"kind":["mae","accuracy"]})"));
}

TEST(TrainingConfig, ReadsKeras2Literals) {
  // Keras 2.3.1 (keras.md 2.1), with decay 0 (its 1e-6 is refused below).
  auto a = small_model();
  compile_from_config(*a, json::parse(R"({"optimizer_config":{"class_name":"RMSprop","config":
      {"learning_rate":1e-4,"rho":0.9,"decay":0.0,"epsilon":1e-7}},"loss":"mean_squared_error",
      "metrics":["mae"],"weighted_metrics":null,"sample_weight_mode":null,"loss_weights":null})"),
                      "k231.h5");
  EXPECT_EQ(a->optimizer()->class_name(), "RMSprop");
  EXPECT_FLOAT_EQ(a->optimizer()->learning_rate(), 1e-4f);
  EXPECT_EQ(a->optimizer()->name(), "rmsprop");
  EXPECT_EQ(a->loss()->class_name(), "MeanSquaredError");
  ASSERT_EQ(a->compiled_metrics().size(), 1u);
  EXPECT_EQ(a->compiled_metrics()[0].identifier(), "mae");

  // Keras 2.0.6: "lr", "acc".
  auto b = small_model();
  compile_from_config(*b, json::parse(R"({"optimizer_config":{"class_name":"SGD","config":
      {"lr":0.009999999776482582,"momentum":0.8999999761581421,"decay":0.0,"nesterov":false}},
      "loss":"sparse_categorical_crossentropy","metrics":["acc"],"sample_weight_mode":null,
      "loss_weights":null})"), "k206.h5");
  auto* sgd = dynamic_cast<SGD*>(b->optimizer().get());
  ASSERT_NE(sgd, nullptr);
  EXPECT_FLOAT_EQ(sgd->learning_rate(), 0.01f);
  EXPECT_NEAR(sgd->options().momentum, 0.9, 1e-7);
  const Data d = data(32, 2);
  auto logs = b->evaluate(d.x, d.y, {.verbose = 0});
  EXPECT_TRUE(logs.contains("acc"));

  // Keras 2.2: epsilon null is K.epsilon() = 1e-7; a loss list for the one output.
  auto c = small_model();
  compile_from_config(*c, json::parse(R"({"optimizer_config":{"class_name":"Adam","config":
      {"lr":0.0010000000474974513,"beta_1":0.8999999761581421,"beta_2":0.9990000128746033,
       "decay":0.0,"epsilon":null,"amsgrad":false}},"loss":["sparse_categorical_crossentropy"],
      "metrics":["accuracy"],"sample_weight_mode":null,"loss_weights":null})"), "k22.h5");
  auto* adam = dynamic_cast<Adam*>(c->optimizer().get());
  ASSERT_NE(adam, nullptr);
  EXPECT_EQ(adam->options().epsilon, 1e-7);
  EXPECT_EQ(adam->options().amsgrad, false);

  // tf.keras 2.4: metric objects in per-output lists.
  auto e = small_model();
  compile_from_config(*e, json::parse(R"({"loss":"sparse_categorical_crossentropy",
      "metrics":[[{"class_name":"MeanMetricWrapper","config":{"name":"accuracy","dtype":"float32",
        "fn":"sparse_categorical_accuracy"}}]],"weighted_metrics":null,"loss_weights":null,
      "optimizer_config":{"class_name":"Adam","config":{"name":"Adam","learning_rate":0.0010000000474974513,
        "decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false}}})"), "tf24.h5");
  EXPECT_EQ(e->optimizer()->name(), "adam");
  logs = e->evaluate(d.x, d.y, {.verbose = 0});
  EXPECT_TRUE(logs.contains("accuracy"));

  // TF 2.11's new optimizer: "Custom>Adam" and its defaults.
  auto f = small_model();
  compile_from_config(*f, json::parse(R"({"loss":"sparse_categorical_crossentropy","metrics":[],
      "weighted_metrics":null,"loss_weights":null,"optimizer_config":{"class_name":"Custom>Adam",
      "config":{"name":"Adam","weight_decay":null,"clipnorm":null,"global_clipnorm":null,
        "clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,
        "jit_compile":true,"is_legacy_optimizer":false,"learning_rate":0.0010000000474974513,
        "beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false}}})"), "tf211.h5");
  EXPECT_EQ(f->optimizer()->class_name(), "Adam");

  // Several outputs: loss dict, loss_weights list, metrics dict; loss objects in tf.keras form.
  auto g = two_outputs();
  compile_from_config(*g, json::parse(R"({"optimizer_config":{"class_name":"Adam","config":
      {"lr":0.001,"beta_1":0.9,"beta_2":0.999,"decay":0.0,"epsilon":1e-07,"amsgrad":false}},
      "loss":{"score":"mse","kind":{"class_name":"SparseCategoricalCrossentropy",
        "config":{"reduction":"auto","name":"sparse_categorical_crossentropy","from_logits":false}}},
      "metrics":{"kind":["acc"]},"loss_weights":[0.5,2.0],"sample_weight_mode":null})"), "multi.h5");
  EXPECT_EQ(g->loss_weights(), (std::vector<double>{0.5, 2.0}));
  EXPECT_EQ(g->losses()[0]->class_name(), "MeanSquaredError");
  EXPECT_EQ(g->losses()[1]->class_name(), "SparseCategoricalCrossentropy");
  ASSERT_EQ(g->compiled_output_metrics().at("kind").size(), 1u);

  // Loss and metrics by position for several outputs; loss_weights by name.
  auto h = two_outputs();
  compile_from_config(*h, json::parse(R"({"optimizer_config":{"class_name":"SGD","config":{"lr":0.1}},
      "loss":["mae",null],"metrics":[["mse"],[]],"loss_weights":{"score":3.0}})"), "pos.h5");
  EXPECT_EQ(h->loss_weights(), (std::vector<double>{3.0, 1.0}));
  EXPECT_FALSE(h->losses()[1]);
}

TEST(TrainingConfig, ReadsKeras3Literals) {
  auto m = small_model();
  compile_from_config(*m, json::parse(R"({"optimizer":{"module":"keras.optimizers","class_name":"Adam",
      "config":{"name":"adam","learning_rate":0.0020000000949949026,"weight_decay":null,"clipnorm":null,
        "global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,
        "ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,
        "beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false},"registered_name":null},
      "loss":{"module":"keras.losses","class_name":"SparseCategoricalCrossentropy",
        "config":{"name":"sparse_categorical_crossentropy","reduction":"sum_over_batch_size",
          "from_logits":true,"ignore_class":null},"registered_name":null},
      "loss_weights":null,"metrics":["accuracy",{"module":"builtins","class_name":"function",
        "config":"mae","registered_name":"function"}],"weighted_metrics":null,"run_eagerly":false,
      "steps_per_execution":1,"jit_compile":false})"), "m.keras");
  EXPECT_FLOAT_EQ(m->optimizer()->learning_rate(), 0.002f);
  EXPECT_EQ(m->loss()->get_config()["from_logits"], true);
  EXPECT_EQ(m->compiled_metrics().size(), 2u);

  auto s = small_model();
  compile_from_config(*s, json::parse(R"({"optimizer":"rmsprop","loss":"mse","metrics":null,
      "loss_weights":null})"), "s.keras");
  EXPECT_EQ(s->optimizer()->class_name(), "RMSprop");
}

TEST(TrainingConfig, RefusesWhatItCannotHonour) {
  auto adam_with = [](const std::string& extra) {
    return json::parse(R"({"loss":"mse","optimizer_config":{"class_name":"Adam","config":{"learning_rate":0.001)" +
                       extra + "}}}");
  };
  auto try_compile = [](const json& c) {
    auto m = small_model();
    compile_from_config(*m, c, "bad.h5");
  };
  expect_value_error([&] { try_compile(adam_with(R"(,"clipnorm":1.0)")); }, {"bad.h5", "clipnorm=1.0"});
  expect_value_error([&] { try_compile(adam_with(R"(,"clipvalue":0.5,"weight_decay":0.01)")); },
                     {"bad.h5", "clipvalue=0.5", "weight_decay=0.01"});
  expect_value_error([&] { try_compile(adam_with(R"(,"use_ema":true)")); }, {"use_ema"});
  expect_value_error([&] { try_compile(adam_with(R"(,"decay":1e-06)")); }, {"bad.h5", "decay"});
  expect_value_error([&] { try_compile(adam_with(R"(,"global_clipnorm":2)")); }, {"global_clipnorm"});
  expect_value_error([&] { try_compile(adam_with(R"(,"gradient_accumulation_steps":4)")); },
                     {"gradient_accumulation_steps"});
  expect_value_error([&] { try_compile(adam_with(R"(,"foo":1)")); }, {"bad.h5", "foo"});
  expect_value_error([&] { try_compile(adam_with(R"(,"beta_1":"x")")); }, {"beta_1"});
  expect_value_error([&] { try_compile(adam_with(R"(,"beta_1":1.5)")); }, {"bad.h5", "beta_1"});
  // Defaults are fine.
  try_compile(adam_with(R"(,"clipnorm":null,"weight_decay":null,"use_ema":false,"decay":0.0)"));
  // The Keras 2.3.1 example with decay 1e-6.
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"optimizer_config":{"class_name":"RMSprop","config":{"learning_rate":1e-4,
          "rho":0.9,"decay":1e-6,"epsilon":1e-7}},"loss":"mean_squared_error","metrics":["mae"]})"));
      },
      {"bad.h5", "decay=1e-06"});
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"loss":"mse","optimizer":{"class_name":"Adam","config":{"learning_rate":
          {"module":"keras.optimizers.schedules","class_name":"ExponentialDecay","config":{}}}}})"));
      },
      {"bad.h5", "learning_rate", "schedule"});
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"loss":"mse","optimizer_config":{"class_name":"Adagrad","config":{}}})"));
      },
      {"bad.h5", "unknown optimizer 'Adagrad'"});
  expect_value_error(
      [&] { try_compile(json::parse(R"({"loss":"mse","optimizer":"nadam"})")); }, {"bad.h5", "nadam"});
  expect_value_error(
      [&] { try_compile(json::parse(R"({"loss":"hinge","optimizer":"adam"})")); }, {"bad.h5", "hinge"});
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"loss":{"class_name":"Huber","config":{"delta":1.0}},"optimizer":"adam"})"));
      },
      {"bad.h5", "Huber"});
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"loss":{"class_name":"MeanSquaredError","config":{"reduction":"sum"}},
          "optimizer":"adam"})"));
      },
      {"bad.h5", "reduction"});
  expect_value_error(
      [&] { try_compile(json::parse(R"({"loss":"mse","metrics":["auc"],"optimizer":"adam"})")); },
      {"bad.h5", "auc"});
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"loss":"mse","metrics":[{"class_name":"AUC","config":{}}],"optimizer":"adam"})"));
      },
      {"bad.h5", "AUC"});
  expect_value_error(
      [&] { try_compile(json::parse(R"({"loss":"mse","weighted_metrics":["mae"],"optimizer":"adam"})")); },
      {"bad.h5", "weighted_metrics"});
  expect_value_error(
      [&] {
        try_compile(json::parse(R"({"loss":"mse","sample_weight_mode":"temporal","optimizer_config":
          {"class_name":"SGD","config":{}}})"));
      },
      {"bad.h5", "sample_weight_mode"});
  expect_value_error([&] { try_compile(json::parse(R"({"loss":"mse"})")); }, {"bad.h5", "optimizer"});
  expect_value_error([&] { try_compile(json::parse(R"({"optimizer":"adam"})")); }, {"bad.h5", "loss"});
  expect_value_error(
      [&] { try_compile(json::parse(R"({"loss":{"nope":"mse"},"optimizer":"adam"})")); },
      {"bad.h5", "nope"});
  expect_value_error(
      [&] { try_compile(json::parse(R"({"loss":"mse","optimizer":"adam","metrics":{"nope":["mae"]}})")); },
      {"bad.h5", "nope"});

  // Uncompiled models have no compile state.
  auto u = small_model();
  expect_value_error([&] { training_config(*u); }, {"not compiled"});
  expect_value_error([&] { compile_config(*u); }, {"not compiled"});
  expect_value_error([&] { optimizer_weights_h5(*u); }, {"not compiled"});
  expect_value_error([&] { restore_optimizer_weights_h5(*u, {}, {}, "x.h5"); },
                     {"x.h5", "compiled"});
}

TEST(TrainingConfig, RestoreChecksCountsAndShapes) {
  auto m = small_model();
  m->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  const Data d = data(16, 1);
  m->fit(d.x, d.y, {.batch_size = 8, .verbose = 0, .shuffle = false});
  auto w = optimizer_weights_h5(*m);
  std::vector<std::string> names;
  std::vector<Tensor> values;
  for (const auto& [n, v] : w) names.push_back(n), values.push_back(v);

  auto fresh = [&] {
    auto c = small_model();
    c->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    return c;
  };
  // Too few.
  auto short_names = names;
  auto short_values = values;
  short_names.pop_back(), short_values.pop_back();
  expect_value_error([&] { restore_optimizer_weights_h5(*fresh(), short_names, short_values, "w.h5"); },
                     {"w.h5", "holds 8", "has 9"});
  // A wrong shape names the file's variable.
  auto bad = values;
  bad[3] = Tensor::zeros(Shape{4, 4});
  expect_value_error([&] { restore_optimizer_weights_h5(*fresh(), names, bad, "w.h5"); },
                     {"w.h5", "Adam/probs/kernel/m:0", "(4, 4)"});
  auto bad_iter = values;
  bad_iter[0] = Tensor::zeros(Shape{2}, DType::int64);
  expect_value_error([&] { restore_optimizer_weights_h5(*fresh(), names, bad_iter, "w.h5"); },
                     {"w.h5", "Adam/iter:0"});
  // Names and values of different lengths.
  expect_value_error([&] { restore_optimizer_weights_h5(*fresh(), short_names, values, "w.h5"); },
                     {"w.h5", "names"});
  // Only the iteration count (an unbuilt optimizer in a legacy file) is accepted.
  auto c = fresh();
  restore_optimizer_weights_h5(*c, {"iteration:0"}, {values[0]}, "w.h5");
  EXPECT_EQ(c->optimizer()->iterations(), 2);
  // A correct restore copies everything.
  auto ok = fresh();
  restore_optimizer_weights_h5(*ok, names, values, "w.h5");
  auto again = optimizer_weights_h5(*ok);
  for (size_t i = 1; i < again.size(); ++i) EXPECT_EQ(again[i].second.to_vector(), values[i].to_vector());

  // Keras 3.
  auto k3 = optimizer_variables_keras3(*m);
  std::vector<Tensor> kv;
  for (const auto& [n, v] : k3) kv.push_back(v);
  auto kshort = kv;
  kshort.pop_back();
  expect_value_error([&] { restore_optimizer_variables_keras3(*fresh(), kshort, "m.keras"); },
                     {"m.keras", "holds 9", "has 10"});
  auto kbad = kv;
  kbad[4] = Tensor::zeros(Shape{5});
  expect_value_error([&] { restore_optimizer_variables_keras3(*fresh(), kbad, "m.keras"); },
                     {"m.keras", "optimizer/vars/4", "adam/hidden_bias_momentum"});
  auto klr = kv;
  klr[1] = Tensor::from_vector(Shape{}, std::vector<int64_t>{3});
  expect_value_error([&] { restore_optimizer_variables_keras3(*fresh(), klr, "m.keras"); },
                     {"m.keras", "learning rate"});
  auto k = fresh();
  kv[1] = Tensor::scalar(0.25f);
  restore_optimizer_variables_keras3(*k, kv, "m.keras");
  EXPECT_EQ(k->optimizer()->learning_rate(), 0.25f);
  EXPECT_EQ(k->optimizer()->iterations(), 2);
}
