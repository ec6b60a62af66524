#!/usr/bin/env bash
# Builds and runs the Fashion-MNIST CNN example (the README's demo command).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target fashion_mnist_cnn
exec build/examples/fashion_mnist_cnn "$@"
