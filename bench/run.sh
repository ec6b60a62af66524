#!/usr/bin/env bash
# Runs the benchmark workloads of DESIGN.md §5 with Strata and with PyTorch on this machine,
# same thread count, in one run, and prints samples/s of both and their ratio.
#   bench/run.sh [threads]      (default: all cores; BENCH_REPS runs per side, default 5)
# BENCH_BUILD_DIR picks the build directory (default build); BENCH_SKIP_BUILD=1 uses the programs
# already built there (when the build is shared and built under a lock elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
reps=${BENCH_REPS:-5}
build=${BENCH_BUILD_DIR:-build}
bash scripts/install-deps.sh --bench
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target w1_mlp w2_w4_cnn w3_lstm w5_transformer >/dev/null
fi

# PyTorch at its best (DESIGN.md §5): OpenMP OpenBLAS with the right core type, same threads.
torch=(env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX
       OMP_NUM_THREADS="$threads" /usr/bin/python3)
strata=(env OMP_NUM_THREADS="$threads")

# The machines are shared VMs whose speed drifts from second to second: run both sides several
# times, interleaved, and compare medians. Every program prints "<side> <id> key=value ..." lines.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((r = 0; r < reps; r++)); do
  "${strata[@]}" "$build"/bench/w1_mlp >>"$log"
  "${torch[@]}" bench/w1_torch.py >>"$log"
  "${strata[@]}" "$build"/bench/w2_w4_cnn >>"$log"
  "${torch[@]}" bench/w2_w4_torch.py >>"$log"
  "${strata[@]}" "$build"/bench/w3_lstm >>"$log"
  "${torch[@]}" bench/w3_torch.py >>"$log"
  "${strata[@]}" "$build"/bench/w5_transformer >>"$log"
  "${torch[@]}" bench/w5_torch.py >>"$log"
done

# median SIDE ID KEY
median() {
  awk -v side="$1" -v id="$2" -v key="$3" '$1 == side && $2 == id {
      for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) print kv[2] } }' "$log" |
    sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

declare -A names=(
  [W1]="MLP 784-512-512-10, Adam, batch 128, train"
  [W2]="mnist_cnn, Adam, batch 128, train"
  [W3]="LSTM(128) 50x32, Dense(10), b 64, train"
  [W4]="mnist_cnn, predict, batch 256"
  [W5]="encoder d128 4h FFN512 seq64, b 32, train")
printf '%-4s %-42s %10s %10s %7s %16s\n' id workload "strata/s" "torch/s" ratio "GFLOP/s (peak)"
for id in W1 W2 W3 W4 W5; do
  s=$(median strata "$id" samples_per_s); t=$(median torch "$id" samples_per_s)
  g=$(median strata "$id" gflops)
  flops=""
  [[ -n "$g" ]] && flops="$g ($(median strata W1 peak_gflops))"
  printf '%-4s %-42s %10s %10s %7.2f %16s\n' "$id" "${names[$id]}" "$s" "$t" \
    "$(echo "$s / $t" | bc -l)" "$flops"
done
echo "threads: $threads; medians of $reps interleaved runs per side"
