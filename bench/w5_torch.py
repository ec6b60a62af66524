"""W5 of DESIGN.md in PyTorch: one Transformer encoder block (dim 128, 4 heads, FFN 512, post-norm
residuals) on sequences of 64, then mean pooling and Linear(10), Adam, batch 32; training
samples/s on fixed random data. The block is built by hand around nn.MultiheadAttention
(batch_first) so it matches the Strata model layer for layer. Run through bench/run.sh.
Prints "torch W5 samples_per_s=<v>".
"""
import sys

import torch

from torch_random_training import training_rate


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
    rate = training_rate(Block(), sample_shape=(64, 128), n=n, batch=32, warmup=320)
    print("torch W5 samples_per_s=%.0f" % rate)


if __name__ == "__main__":
    main()
