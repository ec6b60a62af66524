// The beginner's program: an MLP on Fashion-MNIST, trained for 5 epochs, then test accuracy.
#include <strata/strata.hpp>

using namespace strata;

int main() {
  set_random_seed(42);
  auto [train, test] = datasets::fashion_mnist::load();
  Sequential model({
      Input({28, 28, 1}),
      Flatten(),
      Dense({.units = 512, .activation = "gelu"}),
      Dropout(0.2),
      Dense({.units = 256, .activation = "gelu"}),
      Dropout(0.2),
      Dense({.units = 10, .activation = "softmax"}),
  });
  model.summary();
  model.compile({.optimizer = Adam({.learning_rate = 1e-3}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  // Smaller steps for the last epochs settle the weights (Keras' LearningRateScheduler).
  auto decay = [](int epoch, double lr) { return epoch < 3 ? lr : lr * 0.3; };
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = 5,
                               .callbacks = {LearningRateScheduler(decay)},
                               .validation_split = 0.1});
  std::printf("Test accuracy: %.4f\n", model.evaluate(test.x, test.y)["accuracy"]);
}
