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
# The machines are shared VMs whose speed drifts from second to second: run both sides several
# times, interleaved, and compare medians.
reps=${BENCH_REPS:-5}
value() { sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
s_runs=(); t_runs=(); g_runs=(); p_runs=()
for ((r = 0; r < reps; r++)); do
  line=$(OMP_NUM_THREADS="$threads" build/bench/w1_mlp)
  s_runs+=("$(value samples_per_s "$line")"); g_runs+=("$(value gflops "$line")")
  p_runs+=("$(value peak_gflops "$line")")
  line=$("${torch_env[@]}" /usr/bin/python3 bench/w1_torch.py)
  t_runs+=("$(value samples_per_s "$line")")
done
s=$(printf '%s\n' "${s_runs[@]}" | median); t=$(printf '%s\n' "${t_runs[@]}" | median)
g=$(printf '%s\n' "${g_runs[@]}" | median); p=$(printf '%s\n' "${p_runs[@]}" | median)
printf '%-4s %-44s %12s %12s %7s %14s\n' id workload "strata/s" "torch/s" ratio "GFLOP/s(peak)"
printf '%-4s %-44s %12s %12s %7.2f %14s\n' W1 "MLP 784-512-512-10, Adam, batch 128, train" \
  "$s" "$t" "$(echo "$s / $t" | bc -l)" "$g ($p)"
echo "threads: $threads; medians of $reps interleaved runs (strata: ${s_runs[*]}; torch: ${t_runs[*]})"
