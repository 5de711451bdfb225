"""PyTorch twin of bench/train_step.ts: one training step (forward + weighted cross-entropy +
backward + Adam with L2) of the same FC-DenseNets (no skips, ELU, bilinear x2 transition up,
SBU) at a 128x128 input, 2 threads. Run with /usr/bin/python3 (Debian python3-torch).
Prints `<network> <median ms/step>` per line."""

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT = 128
NETWORKS = [
    # name, first filters, growth, layers per block, pooling levels, batch, channels, SBU
    ("cpu", 24, 8, 3, 3, 4, 1, True),
    ("paper", 48, 16, 4, 3, 3, 1, True),
    ("tumor", 48, 16, 4, 3, 3, 3, False),
]


def bn(c):
    # Keras momentum 0.9 = PyTorch momentum 0.1.
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)


class DenseBlock(nn.Module):
    def __init__(self, cin, growth, layers):
        super().__init__()
        self.layers = nn.ModuleList()
        c = cin
        for _ in range(layers):
            self.layers.append(
                nn.Sequential(bn(c), nn.ELU(), nn.Conv2d(c, growth, 3, padding=1), nn.Dropout(0.2))
            )
            c += growth

    def forward(self, x):
        new = []
        for layer in self.layers:
            y = layer(x)
            new.append(y)
            x = torch.cat([x, y], 1)
        return torch.cat(new, 1)


class FCDenseNet(nn.Module):
    def __init__(self, first, growth, layers, levels, channels=1, sbu=True):
        super().__init__()
        self.sbu = sbu
        self.first = nn.Conv2d(channels, first, 3, padding=1)
        c = first
        self.down = nn.ModuleList()
        self.td = nn.ModuleList()
        for _ in range(levels):
            self.down.append(DenseBlock(c, growth, layers))
            c += layers * growth
            self.td.append(
                nn.Sequential(bn(c), nn.ELU(), nn.Conv2d(c, c, 1), nn.Dropout(0.2), nn.MaxPool2d(2))
            )
        self.bottleneck = DenseBlock(c, growth, layers)
        c = layers * growth
        self.tu = nn.ModuleList()
        self.up = nn.ModuleList()
        for _ in range(levels):
            self.tu.append(nn.Sequential(nn.Conv2d(c, c, 3, padding=1), bn(c)))
            self.up.append(DenseBlock(c, growth, layers))
        self.classifier = nn.Conv2d(c, 2, 1)

    def forward(self, x):
        x = self.first(x)
        for block, td in zip(self.down, self.td):
            x = td(torch.cat([x, block(x)], 1))
        x = self.bottleneck(x)
        for tu, block in zip(self.tu, self.up):
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = block(tu(x))
        if self.sbu:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return torch.softmax(self.classifier(x), 1)


def time_step(first, growth, layers, levels, batch, channels, sbu, steps, size, device):
    torch.manual_seed(1)
    model = FCDenseNet(first, growth, layers, levels, channels, sbu).train().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=5e-6)
    out = 2 * size if sbu else size
    images = torch.rand(batch, channels, size, size, device=device)
    yy, xx = torch.meshgrid(
        torch.arange(out, device=device), torch.arange(out, device=device), indexing="ij"
    )
    fg = (((yy - out / 2) ** 2 + (xx - out / 2) ** 2) < (out / 3) ** 2).float()
    fg = fg.expand(batch, out, out)
    labels = torch.stack([1 - fg, fg], 1)
    weights = fg * 4 + 1

    def step():
        opt.zero_grad()
        probs = model(images)
        ce = -(labels * probs.clamp(1e-7, 1).log()).sum(1)
        loss = (ce * weights).mean()
        loss.backward()
        opt.step()
        return loss.item()  # .item() waits for the GPU, so the timing is complete

    step()  # warm-up
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--input", type=int, default=INPUT, help="liver model input side")
    parser.add_argument("--networks", default="cpu,paper")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name, first, growth, layers, levels, batch, channels, sbu in NETWORKS:
        if name not in args.networks.split(","):
            continue
        # The tumor model sees full-resolution slices: twice the liver model's input.
        size = args.input if sbu else 2 * args.input
        ms = time_step(
            first, growth, layers, levels, batch, channels, sbu, args.steps, size, args.device
        )
        print(f"{name} {ms:.1f}", flush=True)


if __name__ == "__main__":
    main()
