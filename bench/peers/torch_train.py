"""Peer of `fkd bench train`: PyTorch training of the same architectures as src/Fkd.Stages/Training/ModelFactory.cs
(Adam + masked MSE). Usage: torch_train.py MODEL IMAGES BATCH EPOCHS THREADS. Times each epoch's batch loop and
reports the median images/s over the epochs after the first. Prints one JSON object."""
import ctypes
import ctypes.util
import json
import sys
import time

# The same glibc malloc tuning as TorchRuntime: no trimming, no mmap for large blocks. Before torch allocates.
malloc_tuned = False
try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    malloc_tuned = libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1 and libc.mallopt(M_MMAP_MAX, 0) == 1
except OSError:
    pass

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:  # reported as an absent peer
    print(json.dumps({"error": f"{e} (install python3-torch)"}))
    sys.exit(3)

name, images, batch, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(1)
OUT, P = 30, 0.1


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(96 * 96, 256), nn.ReLU(), nn.Dropout(P), nn.Linear(256, OUT))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 21 * 21, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, OUT))


def cnn_small():
    layers, c = [], 1
    for f in [16, 32, 64, 128]:
        layers += [nn.Conv2d(c, f, 3, stride=2, padding=1), nn.LeakyReLU(0.01), nn.BatchNorm2d(f)]
        c = f
    layers += [nn.Flatten(), nn.Dropout(P), nn.Linear(c * 6 * 6, 256), nn.LeakyReLU(0.01), nn.Dropout(P), nn.Linear(256, OUT)]
    return nn.Sequential(*layers)


def convnet(per_block):
    layers, c = [], 1
    for f in [32, 64, 128, 256, 512]:
        for _ in range(per_block):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.LeakyReLU(0.01), nn.BatchNorm2d(f)]
            c = f
        layers += [nn.MaxPool2d(2), nn.Dropout(P)]
    layers += [nn.Flatten(), nn.Linear(c * 3 * 3, 512), nn.LeakyReLU(0.01), nn.Dropout(P), nn.Linear(512, OUT)]
    return nn.Sequential(*layers)


def naimishnet():
    layers, c = [], 1
    for n, (f, k) in enumerate(zip([32, 64, 128, 256], [4, 3, 2, 1]), start=1):
        layers += [nn.Conv2d(c, f, k), nn.ELU(), nn.MaxPool2d(2), nn.Dropout(0.1 * n)]
        c = f
    layers += [nn.Flatten(), nn.Linear(c * 5 * 5, 1000), nn.ELU(), nn.Dropout(0.5), nn.Linear(1000, 1000), nn.Dropout(0.6),
               nn.Linear(1000, OUT)]
    return nn.Sequential(*layers)


def lenet5_seed():
    return nn.Sequential(
        nn.Conv2d(1, 6, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 22 * 22, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, OUT))


def conv5_seed():
    layers, c = [], 1
    for f, d in zip([16, 32, 64, 128, 256], [0.1, 0.2, 0.1, 0.25, 0.15]):
        layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f), nn.MaxPool2d(2), nn.Dropout(d)]
        c = f
    layers += [nn.Flatten(), nn.Linear(c * 3 * 3, 1024), nn.ReLU(), nn.Dropout(0.1), nn.Linear(1024, 512), nn.ReLU(),
               nn.Dropout(0.1), nn.Linear(512, OUT)]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        main = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(main + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks_per_stage):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, stride=2, padding=1))
        blocks, c = [], 64
        for s, (w, n) in enumerate(zip([64, 128, 256, 512], blocks_per_stage)):
            for b in range(n):
                blocks.append(BasicBlock(c, w, (1 if s == 0 else 2) if b == 0 else 1))
                c = w
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, OUT)

    def forward(self, x):
        return self.fc(self.pool(self.layers(self.stem(x))).flatten(1))


MODELS = {"mlp": mlp, "lenet5": lenet5, "cnn-small": cnn_small, "conv5": lambda: convnet(1),
          "conv10": lambda: convnet(2), "naimishnet": naimishnet, "resnet18": lambda: ResNet([2, 2, 2, 2]),
          "resnet34": lambda: ResNet([3, 4, 6, 3]), "lenet5-seed": lenet5_seed, "conv5-seed": conv5_seed}
if name not in MODELS:
    print(json.dumps({"error": f"no PyTorch mirror of model '{name}'"}))
    sys.exit(3)
model = MODELS[name]()


def masked_mse(pred, target):
    mask = ~torch.isnan(target)
    filled = torch.where(mask, target, torch.zeros_like(target))
    m = mask.to(pred.dtype)
    diff = (pred - filled) * m
    return diff.square().sum() / m.sum().clamp_min(1.0)


# Random images; 70% of rows labelled with only 4 keypoints (the rest NaN), like the synthetic set.
rng = np.random.default_rng(1)
pixels = rng.random((images, 1, 96, 96), dtype=np.float32)
targets = rng.uniform(-0.5, 0.5, (images, OUT)).astype(np.float32)
four = [0, 1, 2, 3, 20, 21, 28, 29]
for i in range(images):
    if rng.random() < 0.7:
        keep = targets[i, four].copy()
        targets[i, :] = np.nan
        targets[i, four] = keep

opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
rates = []
for epoch in range(epochs):
    order = rng.permutation(images)
    model.train()
    t0 = time.perf_counter()
    for start in range(0, images, batch):
        idx = order[start:start + batch]
        x = torch.from_numpy(pixels[idx])
        y = torch.from_numpy(targets[idx])
        opt.zero_grad()
        loss = masked_mse(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
    rates.append(images / (time.perf_counter() - t0))

measured = sorted(rates[1:]) or rates
median = measured[len(measured) // 2] if len(measured) % 2 else (measured[len(measured) // 2 - 1] + measured[len(measured) // 2]) / 2
print(json.dumps({
    "images_per_s": median,
    "images_per_s_by_epoch": rates,
    "parameters": sum(p.numel() for p in model.parameters()),
    "model": name,
    "threads": torch.get_num_threads(),
    "malloc_tuned": malloc_tuned,
    "torch": torch.__version__,
}))
