"""W1 of DESIGN.md in PyTorch: MLP 784-512-512-10, Adam, batch 128, Fashion-MNIST, train samples/s.

Run through bench/run.sh, which sets the OpenBLAS/OpenMP environment that makes PyTorch fast.
Prints: "torch W1 samples_per_s=<v>".
"""
import gzip
import os
import sys
import time

import numpy as np
import torch


def load(directory):
    with gzip.open(os.path.join(directory, "train-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
    with gzip.open(os.path.join(directory, "train-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(0)
    x, y = load(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    epoch()  # warm-up, as on the Strata side
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    secs = time.perf_counter() - start
    print("torch W1 samples_per_s=%.0f" % (len(x) * epochs / secs))


if __name__ == "__main__":
    main()
