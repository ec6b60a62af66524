#!/usr/bin/env bash
# Installs the Debian 12 packages Strata needs; safe to run repeatedly (installs only what is
# missing, and runs apt-get update only then).
#   scripts/install-deps.sh           build, test and example dependencies
#   scripts/install-deps.sh --bench   also what the benchmarks need (the PyTorch peer, bc)
set -euo pipefail

packages=(
  build-essential cmake g++ make pkg-config
  libdnnl-dev
  ocl-icd-opencl-dev opencl-c-headers  # oneDNN's CMake config refuses to load without them
  nlohmann-json3-dev zlib1g-dev
  libgtest-dev googletest
  libhdf5-dev  # Keras .h5 files and the weights inside .keras archives
  dataset-fashion-mnist
)
bench_packages=(python3-torch libopenblas0-openmp python3-numpy bc)  # bc: ratios in bench/run.sh

for arg in "$@"; do
  case "$arg" in
    --bench) packages+=("${bench_packages[@]}") ;;
    -h|--help) sed -n '2,5s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (expected --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "install-deps.sh: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
