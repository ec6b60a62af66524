#include "strata/core/random.hpp"

#include <cstdlib>
#include <mutex>
#include <random>

namespace strata {

namespace {

std::mutex g_mutex;

std::mt19937_64& generator() {
  static std::mt19937_64 gen = [] {
    if (const char* env = std::getenv("STRATA_SEED")) return std::mt19937_64(std::strtoull(env, nullptr, 10));
    std::random_device rd;
    return std::mt19937_64((static_cast<uint64_t>(rd()) << 32) ^ rd());
  }();
  return gen;
}

}  // namespace

void set_random_seed(uint64_t seed) {
  std::lock_guard lock(g_mutex);
  generator().seed(seed);
}

uint64_t next_seed() {
  std::lock_guard lock(g_mutex);
  return generator()();
}

}  // namespace strata
