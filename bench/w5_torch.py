"""W5 of DESIGN.md in PyTorch: one Transformer encoder block (dim 128, 4 heads, FFN 512, post-norm
residuals) on sequences of 64, then mean pooling and Linear(10), Adam, batch 32; training
samples/s on fixed random data. The block is built by hand around nn.MultiheadAttention
(batch_first) so it matches the Strata model layer for layer. Run through bench/run.sh.
Prints "torch W5 samples_per_s=<v>".
"""
import os
import sys
import time

import torch


class Block(torch.nn.Module):
    def __init__(self, dim=128, heads=4, ffn=512):
        super().__init__()
        self.attention = torch.nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1 = torch.nn.LayerNorm(dim, eps=1e-3)
        self.ffn = torch.nn.Sequential(
            torch.nn.Linear(dim, ffn), torch.nn.ReLU(), torch.nn.Linear(ffn, dim))
        self.norm2 = torch.nn.LayerNorm(dim, eps=1e-3)
        self.head = torch.nn.Linear(dim, 10)

    def forward(self, x):
        a, _ = self.attention(x, x, x, need_weights=False)
        h = self.norm1(x + a)
        h = self.norm2(h + self.ffn(h))
        return self.head(h.mean(dim=1))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1600
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(0)
    x = torch.randn(n, 64, 128)
    y = torch.randint(0, 10, (n,))
    model = Block()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(count):
        order = torch.randperm(count)
        for i in range(0, count, 32):
            idx = order[i:i + 32]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()

    epoch(320)  # warm-up, as on the Strata side
    start = time.perf_counter()
    epoch(n)
    print("torch W5 samples_per_s=%.0f" % (n / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
