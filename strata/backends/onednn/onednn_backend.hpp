// The CPU backend on oneDNN 2.6: real oneDNN primitives for every op oneDNN has (matmul, binary,
// reduction, reorder, eltwise, softmax), created once per shape and cached; OpenMP loops only
// where oneDNN has no primitive (one-hot, dropout masks, optimizer updates). Threads follow
// OMP_NUM_THREADS (default: all cores). Compute threads run with flush-to-zero and
// denormals-are-zero so Adam's tiny moments never slow training down.
//
//   auto be = make_onednn_backend();
//   be->name();  // "onednn"
#pragma once

#include <cstddef>
#include <memory>

#include "strata/backends/backend.hpp"

namespace strata {

std::unique_ptr<Backend> make_onednn_backend();

// Number of primitives in the process-wide oneDNN primitive cache (shared by every oneDNN
// backend instance). Lets tests and diagnostics check that steady-state calls reuse primitives.
}  // namespace strata
