// Keras' mnist_cnn architecture on Fashion-MNIST: two convolutions, max pooling, dropout and a
// dense head; prints the test accuracy and saves the model as a Keras 3 archive.
#include <cstdlib>

#include <strata/strata.hpp>

using namespace strata;

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 8;
  set_random_seed(42);
  auto [train, test] = datasets::fashion_mnist::load();
  Sequential model({
      Input({28, 28, 1}),
      Conv2D({.filters = 32, .kernel_size = 3, .activation = "relu"}),
      Conv2D({.filters = 64, .kernel_size = 3, .activation = "relu"}),
      MaxPooling2D({.pool_size = 2}),
      Dropout(0.25),
      Flatten(),
      Dense({.units = 128, .activation = "relu"}),
      Dropout(0.5),
      Dense({.units = 10, .activation = "softmax"}),
  });
  model.summary();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = epochs, .validation_split = 0.1});
  std::printf("Test accuracy: %.4f\n", model.evaluate(test.x, test.y)["accuracy"]);
  save_model(model, "fashion_mnist_cnn.keras");  // loads in Keras 3 and in load_model()
  std::printf("Saved fashion_mnist_cnn.keras\n");
}
