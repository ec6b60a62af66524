// Initializers against Keras' formulas: bounds and moments on large samples.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/core/random.hpp"
#include "strata/initializers/initializer.hpp"

using namespace strata;
using namespace strata::initializers;

namespace {

struct Moments {
  double mean, stddev, min, max;
};

Moments moments(const std::vector<float>& v) {
  double m = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double s = 0, lo = 1e30, hi = -1e30;
  for (float x : v) s += (x - m) * (x - m), lo = std::min<double>(lo, x), hi = std::max<double>(hi, x);
  return {m, std::sqrt(s / double(v.size())), lo, hi};
}

}  // namespace

TEST(Initializers, FansFollowKeras) {
  EXPECT_EQ(compute_fans(Shape{784, 512}), (std::pair<double, double>{784, 512}));
  // Conv kernel (kh, kw, in, out): receptive field 3*3.
  EXPECT_EQ(compute_fans(Shape{3, 3, 16, 32}), (std::pair<double, double>{144, 288}));
  EXPECT_EQ(compute_fans(Shape{10}), (std::pair<double, double>{10, 10}));
}

TEST(Initializers, UniformVariantsHaveKerasLimits) {
  const Shape s{400, 600};
  struct Case { InitializerPtr init; double limit; };
  std::vector<Case> cases = {
      {std::make_shared<GlorotUniform>(Seeded{1}), std::sqrt(6.0 / 1000)},
      {std::make_shared<HeUniform>(Seeded{2}), std::sqrt(6.0 / 400)},
      {std::make_shared<LecunUniform>(Seeded{3}), std::sqrt(3.0 / 400)},
  };
  for (auto& c : cases) {
    auto m = moments(c.init->values(s));
    EXPECT_LE(m.max, c.limit) << c.init->class_name();
    EXPECT_GE(m.min, -c.limit) << c.init->class_name();
    EXPECT_NEAR(m.stddev, c.limit / std::sqrt(3.0), 0.02 * c.limit) << c.init->class_name();
  }
}

TEST(Initializers, TruncatedNormalVariantsHaveKerasStddev) {
  const Shape s{400, 600};
  // Truncating at 2σ after scaling σ by 1/0.8796 restores the target variance.
  struct Case { InitializerPtr init; double stddev; };
  std::vector<Case> cases = {
      {std::make_shared<GlorotNormal>(Seeded{4}), std::sqrt(2.0 / 1000)},
      {std::make_shared<HeNormal>(Seeded{5}), std::sqrt(2.0 / 400)},
      {std::make_shared<LecunNormal>(Seeded{6}), std::sqrt(1.0 / 400)},
  };
  for (auto& c : cases) {
    auto m = moments(c.init->values(s));
    EXPECT_NEAR(m.stddev, c.stddev, 0.02 * c.stddev) << c.init->class_name();
    EXPECT_LE(m.max, 2 * c.stddev / 0.87962566103423978 + 1e-6) << c.init->class_name();
  }
}

TEST(Initializers, ConstantsAndRandoms) {
  EXPECT_EQ(Zeros().values(Shape{3}), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(Ones().values(Shape{2}), (std::vector<float>{1, 1}));
  EXPECT_EQ(Constant({.value = 2.5f}).values(Shape{1}), (std::vector<float>{2.5f}));
  auto n = moments(RandomNormal({.mean = 1.0, .stddev = 0.5, .seed = 7}).values(Shape{100000}));
  EXPECT_NEAR(n.mean, 1.0, 0.01);
  EXPECT_NEAR(n.stddev, 0.5, 0.01);
  auto u = moments(RandomUniform({.seed = 8}).values(Shape{100000}));
  EXPECT_GE(u.min, -0.05);
  EXPECT_LE(u.max, 0.05);
  auto t = moments(TruncatedNormal({.seed = 9}).values(Shape{100000}));
  EXPECT_LE(t.max, 0.1 + 1e-6);
  EXPECT_GE(t.min, -0.1 - 1e-6);
}

TEST(Initializers, SeedsMakeValuesReproducible) {
  EXPECT_EQ(GlorotUniform({.seed = 11}).values(Shape{5, 5}),
            GlorotUniform({.seed = 11}).values(Shape{5, 5}));
  set_random_seed(5);
  auto a = GlorotUniform().values(Shape{5, 5});
  set_random_seed(5);
  EXPECT_EQ(GlorotUniform().values(Shape{5, 5}), a);
  EXPECT_NE(GlorotUniform().values(Shape{5, 5}), a);
}

TEST(Initializers, NamesResolveLikeKeras) {
  for (const char* n : {"glorot_uniform", "GlorotUniform", "glorot_normal", "he_normal",
                        "he_uniform", "lecun_normal", "lecun_uniform", "zeros", "ones",
                        "constant", "random_normal", "random_uniform", "truncated_normal",
                        "uniform", "variance_scaling"})
    EXPECT_NO_THROW(get_initializer(n)) << n;
  EXPECT_EQ(get_initializer("uniform")->class_name(), "RandomUniform");
  try {
    get_initializer("glorot");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("glorot_uniform"), std::string::npos);
  }
  EXPECT_THROW(VarianceScaling({.mode = "fan_sum"}), ValueError);
}
