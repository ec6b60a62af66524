// Fine-tuning a pretrained Keras model: KotlinDL's LeNet (a tf.keras 2 config plus a weights-only
// .h5 file) scores 0.8553 on Fashion-MNIST as shipped. We keep its convolutional base, put a new
// head with dropout on its flattened features, train the head with the base frozen, then unfreeze
// everything and train briefly at a lower rate, and save the result as a Keras 3 .keras file.
//
//   fine_tune_lenet [FIXTURE_DIR] [OUT.keras]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <strata/strata.hpp>

using namespace strata;

int main(int argc, char** argv) {
  const std::filesystem::path dir =
      argc > 1 ? std::filesystem::path(argv[1])
               : std::filesystem::path(STRATA_SHARED_DIR) / "fixtures/keras/kotlindl/mnist_lenet";
  const std::string out = argc > 2 ? argv[2] : "lenet_finetuned.keras";
  set_random_seed(42);
  auto [train, test] = datasets::fashion_mnist::load();

  std::ifstream config(dir / "modelConfig.json");
  if (!config) {
    std::fprintf(stderr, "cannot read %s\n", (dir / "modelConfig.json").c_str());
    return 1;
  }
  auto lenet = model_from_json(std::string(std::istreambuf_iterator<char>(config), {}));
  load_weights(*lenet, dir / "mnist_weights_only.h5");
  lenet->compile({.optimizer = "adam",
                  .loss = SparseCategoricalCrossentropy({.from_logits = true}),
                  .metrics = {"accuracy"}});
  std::printf("Pretrained LeNet: test accuracy %.4f\n",
              lenet->evaluate(test.x, test.y, {.verbose = 0})["accuracy"]);

  // A new head on the flattened convolutional features.
  SymbolicTensor features = lenet->get_layer("flatten")->output();
  SymbolicTensor h = Dense({.units = 256, .activation = "relu", .name = "head_dense"})(features);
  h = Dropout(0.4)(h);
  SymbolicTensor logits = Dense({.units = 10, .name = "head_logits"})(h);
  Model model(lenet->input(), logits, "lenet_finetuned");

  // Stage 1: only the head learns.
  for (const char* name : {"conv2d", "conv2d_1"}) model.get_layer(name)->set_trainable(false);
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = 1, .verbose = 2});

  // Stage 2: everything.
  for (const char* name : {"conv2d", "conv2d_1"}) model.get_layer(name)->set_trainable(true);
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = 4, .verbose = 2});

  std::printf("Fine-tuned: test accuracy %.4f\n",
              model.evaluate(test.x, test.y, {.verbose = 0})["accuracy"]);
  save_model(model, out);
  std::printf("Saved %s\n", out.c_str());
}
