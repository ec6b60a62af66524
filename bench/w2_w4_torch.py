"""W2 and W4 of DESIGN.md in PyTorch: Keras' mnist_cnn on Fashion-MNIST, training samples/s at
batch 128 (W2) and inference samples/s at batch 256 (W4). Run through bench/run.sh.
Prints "torch W2 samples_per_s=<v>" and "torch W4 samples_per_s=<v>".
"""
import gzip
import os
import sys
import time

import numpy as np
import torch


def load(directory, prefix):
    with gzip.open(os.path.join(directory, prefix + "-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    with gzip.open(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    train_samples = int(sys.argv[1]) if len(sys.argv) > 1 else 12800
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(0)
    directory = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    x, y = load(directory, "train")
    xt, _ = load(directory, "t10k")
    x, y = x[:train_samples], y[:train_samples]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(9216, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(n):
        model.train()
        order = torch.randperm(n)
        for i in range(0, n, 128):
            idx = order[i:i + 128]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()

    epoch(1280)  # warm-up, as on the Strata side
    start = time.perf_counter()
    epoch(len(x))
    print("torch W2 samples_per_s=%.0f" % (len(x) / (time.perf_counter() - start)))

    model.eval()
    with torch.no_grad():
        model(xt[:512])
        start = time.perf_counter()
        for i in range(0, len(xt), 256):
            model(xt[i:i + 256])
        print("torch W4 samples_per_s=%.0f" % (len(xt) / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
