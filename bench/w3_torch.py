"""W3 of DESIGN.md in PyTorch: LSTM(128) over 50 steps x 32 features, Linear(10) on the last
step's output, Adam, batch 64; training samples/s on fixed random data. Run through bench/run.sh.
Prints "torch W3 samples_per_s=<v>".
"""
import sys

import torch

from torch_random_training import training_rate


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
    rate = training_rate(Model(), sample_shape=(50, 32), n=n, batch=64, warmup=640)
    print("torch W3 samples_per_s=%.0f" % rate)


if __name__ == "__main__":
    main()
