"""The PyTorch side of the training-speed harness for workloads on fixed random data (W3, W5),
matching bench/random_training.hpp: standard-normal samples, labels uniform over 10 classes,
Adam (Keras' eps), cross-entropy on logits, one warm-up epoch, then one timed epoch.

    rate = training_rate(Model(), sample_shape=(50, 32), n=3200, batch=64, warmup=640)
"""
import os
import time

import torch


def training_rate(model, sample_shape, n, batch, warmup):
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(0)
    x = torch.randn(n, *sample_shape)
    y = torch.randint(0, 10, (n,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(count):
        order = torch.randperm(count)
        for i in range(0, count, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()

    epoch(warmup)
    start = time.perf_counter()
    epoch(n)
    return n / (time.perf_counter() - start)
