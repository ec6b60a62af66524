#!/usr/bin/env bash
# Runs the benchmark workloads with Strata and with PyTorch on this machine, same thread count,
# in one run, and prints samples/s of both and their ratio.
#   bench/run.sh [threads]      (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
bash scripts/install-deps.sh --bench
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target w1_mlp >/dev/null

# PyTorch at its best (DESIGN.md §5): OpenMP OpenBLAS with the right core type, same threads.
torch_env=(env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
           OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS="$threads")
strata_line=$(OMP_NUM_THREADS="$threads" build/bench/w1_mlp)
torch_line=$("${torch_env[@]}" /usr/bin/python3 bench/w1_torch.py)

value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
s=$(value samples_per_s "$strata_line"); t=$(value samples_per_s "$torch_line")
printf '%-4s %-44s %12s %12s %7s %14s\n' id workload "strata/s" "torch/s" ratio "GFLOP/s(peak)"
printf '%-4s %-44s %12s %12s %7.2f %14s\n' W1 "MLP 784-512-512-10, Adam, batch 128, train" \
  "$s" "$t" "$(echo "$s / $t" | bc -l)" \
  "$(value gflops "$strata_line") ($(value peak_gflops "$strata_line"))"
echo "threads: $threads"
