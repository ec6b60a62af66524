// A two-tower model with two inputs and two outputs: a user tower and an item tower, a relevance
// score from the cosine similarity of their projections (Dot with normalize) and a category head
// on the item tower. Trained with one loss per output, by name, and
// loss_weights; the logs show Keras' per-output names (score_loss, category_accuracy, ...).
#include <cmath>
#include <cstdio>
#include <random>

#include <strata/strata.hpp>

using namespace strata;

namespace {

// Synthetic data: the score is high when user and item point the same way; the category is the
// quadrant of the item's first two features.
struct Data {
  std::vector<Tensor> x, y;
};

Data make_data(int n, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> user, item, score;
  std::vector<int32_t> category;
  for (int i = 0; i < n; ++i) {
    float dot = 0, nu = 0, ni = 0;
    for (int j = 0; j < 8; ++j) {
      const float u = g(rng), v = g(rng);
      user.push_back(u), item.push_back(v);
      dot += u * v, nu += u * u, ni += v * v;
    }
    score.push_back(dot / std::sqrt(nu * ni));
    const float* it = &item[item.size() - 8];
    category.push_back((it[0] > 0 ? 1 : 0) + (it[1] > 0 ? 2 : 0));
  }
  return {{Tensor::from_vector({n, 8}, user), Tensor::from_vector({n, 8}, item)},
          {Tensor::from_vector({n, 1}, score), Tensor::from_vector({n}, category)}};
}

}  // namespace

int main() {
  set_random_seed(7);
  SymbolicTensor user = Input({8}, {.name = "user"});
  SymbolicTensor item = Input({8}, {.name = "item"});
  SymbolicTensor u = Dense({.units = 32, .activation = "relu", .name = "user_tower"})(user);
  SymbolicTensor v = Dense({.units = 32, .activation = "relu", .name = "item_tower"})(item);
  SymbolicTensor score = Dense({.units = 1, .name = "score"})(
      Dot({.axes = {1}, .normalize = true})({Dense(16)(u), Dense(16)(v)}));
  SymbolicTensor category =
      Dense({.units = 4, .activation = "softmax", .name = "category"})(v);
  Model model({user, item}, {score, category}, "two_tower");
  model.summary();

  model.compile({.optimizer = Adam({.learning_rate = 3e-3}),
                 .loss = {{"score", "mse"}, {"category", "sparse_categorical_crossentropy"}},
                 .loss_weights = {{"score", 1.0}, {"category", 0.5}},
                 .output_metrics = {{"category", {"accuracy"}}}});
  Data train = make_data(4000, 1), test = make_data(1000, 2);
  model.fit(train.x, train.y, {.batch_size = 64, .epochs = 10, .verbose = 2,
                               .validation_data = {test.x, test.y}});
  Logs r = model.evaluate(test.x, test.y, {.verbose = 0});
  std::printf("Test score MSE: %.4f, category accuracy: %.4f\n", r["score_loss"],
              r["category_accuracy"]);
}
