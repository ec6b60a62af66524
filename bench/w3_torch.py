"""W3 of DESIGN.md in PyTorch: LSTM(128) over 50 steps x 32 features, Linear(10) on the last
step's output, Adam, batch 64; training samples/s on fixed random data. Run through bench/run.sh.
Prints "torch W3 samples_per_s=<v>".
"""
import os
import sys
import time

import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(32, 128, batch_first=True)
        self.head = torch.nn.Linear(128, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3200
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(0)
    x = torch.randn(n, 50, 32)
    y = torch.randint(0, 10, (n,))
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(count):
        order = torch.randperm(count)
        for i in range(0, count, 64):
            idx = order[i:i + 64]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()

    epoch(640)  # warm-up, as on the Strata side
    start = time.perf_counter()
    epoch(n)
    print("torch W3 samples_per_s=%.0f" % (n / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
