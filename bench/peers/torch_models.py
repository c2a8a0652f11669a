"""PyTorch mirrors of src/Fkd.Stages/Torch/ModelFactory.cs, layer by layer (the benches compare parameter counts), and
the masked MSE of src/Fkd.Stages/Train/MaskedLoss.cs, shared by the peers torch_train.py and torch_accuracy.py.
Importing this module first also tunes glibc malloc as TorchRuntime does, before torch allocates anything."""
import ctypes
import ctypes.util
import os

# The same glibc malloc tuning as TorchRuntime: no trimming, no mmap for large blocks. Before torch allocates.
malloc_tuned = False
try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    malloc_tuned = libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1 and libc.mallopt(M_MMAP_MAX, 0) == 1
except OSError:
    pass

import torch  # noqa: E402  (after the malloc tuning, on purpose)
from torch import nn  # noqa: E402

# ModelOptions' default dropout; the models that take it (mlp, cnn-small, conv5, conv10) get it as p.
DROPOUT = 0.1


def mlp(out, p):
    return nn.Sequential(nn.Flatten(), nn.Linear(96 * 96, 256), nn.ReLU(), nn.Dropout(p), nn.Linear(256, out))


def lenet5(out, p):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 21 * 21, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, out))


def cnn_small(out, p, deeper=False, width=1):
    # deeper: cnn-medium, a stride-1 conv3x3 block after each of the last three stride-2 ones (as ModelFactory's);
    # width multiplies every conv's filters (cnn-wide: deeper, width 2).
    layers, c = [], 1
    for b, f in enumerate([16 * width, 32 * width, 64 * width, 128 * width]):
        layers += [nn.Conv2d(c, f, 3, stride=2, padding=1), nn.LeakyReLU(0.01), nn.BatchNorm2d(f)]
        if deeper and b > 0:
            layers += [nn.Conv2d(f, f, 3, padding=1), nn.LeakyReLU(0.01), nn.BatchNorm2d(f)]
        c = f
    layers += [nn.Flatten(), nn.Dropout(p), nn.Linear(c * 6 * 6, 256), nn.LeakyReLU(0.01), nn.Dropout(p), nn.Linear(256, out)]
    return nn.Sequential(*layers)


def convnet(per_block, out, p):
    layers, c = [], 1
    for f in [32, 64, 128, 256, 512]:
        for _ in range(per_block):
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.LeakyReLU(0.01), nn.BatchNorm2d(f)]
            c = f
        layers += [nn.MaxPool2d(2), nn.Dropout(p)]
    layers += [nn.Flatten(), nn.Linear(c * 3 * 3, 512), nn.LeakyReLU(0.01), nn.Dropout(p), nn.Linear(512, out)]
    return nn.Sequential(*layers)


def naimishnet(out, p):
    layers, c = [], 1
    for n, (f, k) in enumerate(zip([32, 64, 128, 256], [4, 3, 2, 1]), start=1):
        layers += [nn.Conv2d(c, f, k), nn.ELU(), nn.MaxPool2d(2), nn.Dropout(0.1 * n)]
        c = f
    layers += [nn.Flatten(), nn.Linear(c * 5 * 5, 1000), nn.ELU(), nn.Dropout(0.5), nn.Linear(1000, 1000), nn.Dropout(0.6),
               nn.Linear(1000, out)]
    return nn.Sequential(*layers)


def lenet5_seed(out, p):
    return nn.Sequential(
        nn.Conv2d(1, 6, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 3), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(16 * 22 * 22, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, out))


def conv5_seed(out, p):
    layers, c = [], 1
    for f, d in zip([16, 32, 64, 128, 256], [0.1, 0.2, 0.1, 0.25, 0.15]):
        layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(f), nn.MaxPool2d(2), nn.Dropout(d)]
        c = f
    layers += [nn.Flatten(), nn.Linear(c * 3 * 3, 1024), nn.ReLU(), nn.Dropout(0.1), nn.Linear(1024, 512), nn.ReLU(),
               nn.Dropout(0.1), nn.Linear(512, out)]
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
    def __init__(self, blocks_per_stage, out):
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
        self.fc = nn.Linear(512, out)

    def forward(self, x):
        return self.fc(self.pool(self.layers(self.stem(x))).flatten(1))


# Model name (as ModelFactory.Names spells it) -> builder(outputs, dropout).
MODELS = {"mlp": mlp, "lenet5": lenet5, "cnn-small": cnn_small, "conv5": lambda out, p: convnet(1, out, p),
          "conv10": lambda out, p: convnet(2, out, p), "naimishnet": naimishnet,
          "resnet18": lambda out, p: ResNet([2, 2, 2, 2], out), "resnet34": lambda out, p: ResNet([3, 4, 6, 3], out),
          "lenet5-seed": lenet5_seed, "conv5-seed": conv5_seed, "cnn-medium": lambda out, p: cnn_small(out, p, deeper=True),
          "cnn-wide": lambda out, p: cnn_small(out, p, deeper=True, width=2)}


def _mapped_libraries():
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if ".so" in line.rsplit("/", 1)[-1]})


def blas():
    """Which BLAS torch's linear layers (matrix products) run on, from the libraries this process has mapped.
    Debian's python3-torch calls the system libblas.so.3, which is the reference implementation (one thread, no
    vector kernels) unless an optimized one is installed (libopenblas0-pthread): on the reference one a linear
    layer runs several times slower than PyTorch can, so the bench reports it. Convolutions run on oneDNN either way.
    Returns ("openblas" | "reference" | another alternative's folder name | "mkl" | "unknown", the library or None).
    The libblas.so.3 mapped decides, not libopenblas alone: Debian's liblapack.so.3 may load OpenBLAS beside the
    reference BLAS."""
    libraries = _mapped_libraries()
    for path in libraries:
        if os.path.basename(path).startswith("libblas.so"):
            folder = os.path.basename(os.path.dirname(path))
            kind = "openblas" if folder.startswith("openblas") else "reference" if folder == "blas" else folder
            return kind, path
    openblas = [p for p in libraries if "libopenblas" in os.path.basename(p)]
    if openblas:
        return "openblas", openblas[0]
    return ("mkl", None) if torch.backends.mkl.is_available() else ("unknown", None)


def set_threads(n):
    """torch's intra-op threads, and OpenBLAS's where it is loaded: torch built against a generic BLAS does not pass
    its thread count on, and OpenBLAS would otherwise use every core."""
    torch.set_num_threads(n)
    for path in _mapped_libraries():
        if "libopenblas" in os.path.basename(path):
            ctypes.CDLL(path).openblas_set_num_threads(n)
            break


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def masked_mse(pred, target):
    """MaskedLoss.Mse: the mean squared error over the present (non-NaN) targets; missing ones give no gradient."""
    mask = ~torch.isnan(target)
    filled = torch.where(mask, target, torch.zeros_like(target))
    m = mask.to(pred.dtype)
    diff = (pred - filled) * m
    return diff.square().sum() / m.sum().clamp_min(1.0)
