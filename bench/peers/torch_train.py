"""Peer of `fkd bench train`: PyTorch training of the same architectures as src/Fkd.Stages/Torch/ModelFactory.cs
(their mirrors are in torch_models.py), Adam + masked MSE. Usage: torch_train.py MODEL IMAGES BATCH EPOCHS THREADS.
Times each epoch's batch loop and reports the median images/s over the epochs after the first. Prints one JSON object."""
import json
import sys
import time

try:
    # First: it tunes glibc malloc before torch allocates (see torch_models).
    from torch_models import DROPOUT, MODELS, blas, malloc_tuned, masked_mse, parameter_count, set_threads
    import numpy as np
    import torch
except ImportError as e:  # reported as an absent peer
    print(json.dumps({"error": f"{e} (install python3-torch)"}))
    sys.exit(3)

name, images, batch, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
set_threads(threads)
torch.manual_seed(1)
OUT, P = 30, DROPOUT

if name not in MODELS:
    print(json.dumps({"error": f"no PyTorch mirror of model '{name}'"}))
    sys.exit(3)
model = MODELS[name](OUT, P)

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
    "parameters": parameter_count(model),
    "model": name,
    "threads": torch.get_num_threads(),
    "malloc_tuned": malloc_tuned,
    "blas": blas()[0],
    "blas_library": blas()[1],
    "torch": torch.__version__,
}))
