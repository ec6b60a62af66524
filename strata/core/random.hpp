// The global seed. Keras' keras.utils.set_random_seed: after set_random_seed(s), weight
// initialisation, dropout masks and fit's shuffling are reproducible run to run. Without it, the
// seed comes from STRATA_SEED if set, else from std::random_device.
//
//   strata::set_random_seed(42);
//   uint64_t s = strata::next_seed();   // a fresh, reproducible seed for one consumer
#pragma once

#include <cstdint>

namespace strata {

void set_random_seed(uint64_t seed);
// Draws the next seed from the global generator (thread-safe).
uint64_t next_seed();

}  // namespace strata
