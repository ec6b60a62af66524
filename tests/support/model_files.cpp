#include "support/model_files.hpp"

#include <fstream>
#include <functional>
#include <random>
#include <sstream>

namespace strata::test {

void randomize_weights(Model& m, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.5f, 1.5f);
  std::vector<Tensor> values;
  for (const auto& w : m.get_weights()) {
    std::vector<float> v(static_cast<size_t>(w.numel()));
    for (auto& x : v) x = u(rng) * ((rng() & 1) ? 1.f : -1.f);
    values.push_back(Tensor::from_vector(w.shape(), v));
  }
  m.set_weights(values);
  // Positive variances for BatchNormalization layers anywhere in the model.
  std::function<void(const Layer&)> fix = [&](const Layer& l) {
    if (const auto* mm = dynamic_cast<const Model*>(&l)) {
      for (const auto& s : mm->layers()) fix(*s);
      return;
    }
    for (const auto& e : l.weight_entries())
      if (e.name == "moving_variance") {
        Tensor t = e.value;
        t.copy_(Tensor::from_vector(e.value.shape(),
                                    std::vector<float>(static_cast<size_t>(e.value.numel()), 0.75f)));
      }
  };
  fix(m);
}

Tensor random_input(const Shape& shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (auto& x : v) x = n(rng);
  return Tensor::from_vector(shape, v);
}

void expect_bitwise_equal(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i) ASSERT_EQ(va[i], vb[i]) << "element " << i;
}

void expect_same_weights(const Model& a, const Model& b) {
  const auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) expect_bitwise_equal(wa[i], wb[i]);
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::filesystem::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

}  // namespace strata::test
