// A small ResNet built with the Functional API on Fashion-MNIST: residual blocks whose shortcut
// joins the main path through Add; prints the summary (with its "Connected to" column), the test
// accuracy, and writes the graph as Graphviz DOT to resnet.dot (render: dot -Tpng resnet.dot).
#include <cstdlib>
#include <fstream>

#include <strata/strata.hpp>

using namespace strata;

namespace {

// conv-BN-relu, conv-BN, plus the shortcut (a 1x1 projection when the width changes), relu.
SymbolicTensor residual_block(SymbolicTensor x, int64_t filters) {
  SymbolicTensor shortcut = x;
  if (x.shape().dim(-1) != filters)
    shortcut = Conv2D({.filters = filters, .kernel_size = 1, .use_bias = false})(x);
  SymbolicTensor h = Conv2D({.filters = filters, .kernel_size = 3, .padding = "same",
                             .use_bias = false})(x);
  h = BatchNormalization()(h);
  h = ReLU()(h);
  h = Conv2D({.filters = filters, .kernel_size = 3, .padding = "same", .use_bias = false})(h);
  h = BatchNormalization()(h);
  return ReLU()(Add()({h, shortcut}));
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 3;
  set_random_seed(42);
  auto [train, test] = datasets::fashion_mnist::load();

  SymbolicTensor in = Input({28, 28, 1}, {.name = "image"});
  SymbolicTensor x = Conv2D({.filters = 16, .kernel_size = 3, .padding = "same",
                             .activation = "relu"})(in);
  x = residual_block(x, 16);
  x = MaxPooling2D({.pool_size = 2})(x);
  x = residual_block(x, 32);
  x = GlobalAveragePooling2D()(x);
  Model model(in, Dense({.units = 10, .activation = "softmax", .name = "classes"})(x), "resnet");

  model.summary();
  std::ofstream("resnet.dot") << model.to_dot();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  model.fit(train.x, train.y, {.batch_size = 128, .epochs = epochs, .validation_split = 0.1});
  std::printf("Test accuracy: %.4f\n", model.evaluate(test.x, test.y)["accuracy"]);
}
