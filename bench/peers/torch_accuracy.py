"""Peer of `fkd bench accuracy`: trains the same architecture as ours (torch_models.py) with our train stage's recipe on
the very images our run trained and validated on, then scores the holdout. Usage: torch_accuracy.py FOLDER, the folder
the bench exported (src/Fkd.Cli/Bench/PeerData.cs): peer-data.json (the recipe, the set files, the flip map) and per
set NAME.pixels (uint8, 9,216 bytes an image, row-major 96x96) and NAME.targets (little-endian float32, outputs
values an image, normalised as the trainer takes them: (y - 48) / 48, NaN = missing).

What Trainer.Train and Predictor do, step for step: pixels / 255; the masked MSE; Adam with the recipe's lr, betas,
eps and weight decay (L2 added to the gradient, as ours); the learning rate set per epoch (cosine:
lr * 0.5 * (1 + cos(pi * (epoch - 1) / epochs))); a new shuffle every epoch; validation RMSE after every epoch in
eval mode without flip TTA; the best-validation epoch's weights kept (strictly lower RMSE; the last epoch's without
validation); the holdout predicted with flip TTA when the recipe has it (mirror the image, swap left and right
keypoints, x -> 95 - x, average with the plain prediction). Timing: each epoch's batch loop plus its validation pass,
as our train stage's epoch_seconds; copying the best weights is outside it, as our checkpoint writes are.
Prints one JSON object."""
import copy
import json
import math
import os
import sys
import time

try:
    # First: it tunes glibc malloc before torch allocates (see torch_models).
    from torch_models import MODELS, blas, malloc_tuned, masked_mse, parameter_count, set_threads
    import numpy as np
    import torch
except ImportError as e:  # reported as an absent peer
    print(json.dumps({"error": f"{e} (install python3-torch)"}))
    sys.exit(3)


def fail(why):
    print(json.dumps({"error": why}))
    sys.exit(3)


folder = sys.argv[1]
with open(os.path.join(folder, "peer-data.json")) as f:
    meta = json.load(f)
if meta.get("format") != "fkd-peer-data-1":
    fail(f"peer-data.json: format {meta.get('format')!r}, expected 'fkd-peer-data-1'")
r = meta["recipe"]
name, outputs, side, centre = r["model"], meta["outputs"], meta["side"], float(meta["centre"])
if name not in MODELS:
    fail(f"no PyTorch mirror of model '{name}'")
if r["schedule"] not in ("cosine", "plateau", "none"):
    fail(f"unknown learning-rate schedule {r['schedule']!r}")

set_threads(r["threads"])
torch.manual_seed(r["seed"])
model = MODELS[name](outputs, r["dropout"])
parameters = parameter_count(model)
if parameters != r["parameters"]:
    fail(f"its {name} has {parameters:,} parameters, ours {r['parameters']:,}: not the same architecture")


def load(set_name):
    s = meta["sets"][set_name]
    pixels = np.fromfile(os.path.join(folder, s["pixels"]), dtype=np.uint8)
    targets = np.fromfile(os.path.join(folder, s["targets"]), dtype="<f4")
    n = s["rows"]
    if pixels.size != n * side * side or targets.size != n * outputs:
        fail(f"{set_name}: {pixels.size} pixels and {targets.size} targets for {n} rows")
    return pixels.reshape(n, side * side), targets.reshape(n, outputs)


train_px, train_t = load("train")
val_px, val_t = load("val")
hold_px, hold_t = load("holdout")
n = len(train_px)
if n == 0:
    fail("no training images")
SCALE = np.float32(1.0 / 255.0)  # ModelInputs.ScalePixels: grey * (1f / 255f), in float32


def images(px):
    return torch.from_numpy(px.astype(np.float32) * SCALE).reshape(-1, 1, side, side)


def validation_rmse(px, t):
    """Trainer.ValidationRmse: RMSE in pixels over the present coordinates, eval mode, no flip TTA."""
    bs = max(1, min(max(r["batch_size"], 128), len(px)))
    sq, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(px), bs):
            y = torch.from_numpy(t[start:start + bs])
            mask = ~torch.isnan(y)
            diff = torch.where(mask, model(images(px[start:start + bs])) - y, torch.zeros_like(y))
            sq += float(diff.square().sum())
            count += int(mask.sum())
    return math.sqrt(sq / count) * centre if count else None


epochs, batch, lr0 = r["epochs"], r["batch_size"], r["learning_rate"]
opt = torch.optim.Adam(model.parameters(), lr=lr0, betas=(r["beta1"], r["beta2"]), eps=r["eps"], weight_decay=r["weight_decay"])
rng = np.random.default_rng(r["seed"])
plateau_lr, plateau_best, plateau_bad = lr0, math.inf, 0
best_epoch, best_score, best_state = 0, math.inf, None
epoch_seconds, loop_seconds, val_by_epoch = [], [], []
for epoch in range(1, epochs + 1):
    if r["schedule"] == "cosine":
        lr = lr0 * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
    else:
        lr = plateau_lr if r["schedule"] == "plateau" else lr0
    for g in opt.param_groups:
        g["lr"] = lr
    order = rng.permutation(n)
    model.train()
    t0 = time.perf_counter()
    loss_sum = 0.0
    for start in range(0, n, batch):
        idx = order[start:start + batch]
        x = images(train_px[idx])
        y = torch.from_numpy(train_t[idx])
        opt.zero_grad()
        loss = masked_mse(model(x), y)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
    t1 = time.perf_counter()
    val = validation_rmse(val_px, val_t) if len(val_px) else None
    t2 = time.perf_counter()
    loop_seconds.append(t1 - t0)
    epoch_seconds.append(t2 - t0)
    val_by_epoch.append(val)
    print(f"epoch {epoch}/{epochs} loss {loss_sum / n:.5f} val RMSE {val if val is not None else float('nan'):.3f} px "
          f"{n / (t1 - t0):.0f} img/s", file=sys.stderr, flush=True)
    score = val if val is not None else loss_sum / n
    if best_epoch == 0 or score < best_score:
        best_epoch, best_score = epoch, score
        if val is not None:
            best_state = copy.deepcopy(model.state_dict())
    if r["schedule"] == "plateau":  # Trainer: halve after 2 epochs without improvement, not below 1e-6
        if score < plateau_best - 1e-12:
            plateau_best, plateau_bad = score, 0
        else:
            plateau_bad += 1
            if plateau_bad >= 2:
                plateau_lr, plateau_bad = max(1e-6, plateau_lr * 0.5), 0
    if r["patience"] > 0 and val is not None and epoch - best_epoch >= r["patience"]:
        break
if best_state is not None:
    model.load_state_dict(best_state)

# The holdout, as Predictor does it: batches of 256, pixel units, flip TTA with the exported slot map.
flip = meta["flip_map"] if r["flip_tta"] else None
mirror_x = float(meta["mirror_x"])
preds = []
model.eval()
with torch.no_grad():
    for start in range(0, len(hold_px), 256):
        x = images(hold_px[start:start + 256])
        plain = model(x).numpy() * np.float32(centre) + np.float32(centre)
        if flip is None:
            preds.append(plain)
            continue
        mirrored = model(x.flip(3)).numpy() * np.float32(centre) + np.float32(centre)
        back = np.empty_like(mirrored)
        for k, src in enumerate(flip):
            back[:, 2 * k] = np.float32(mirror_x) - mirrored[:, 2 * src]
            back[:, 2 * k + 1] = mirrored[:, 2 * src + 1]
        preds.append((plain + back) / np.float32(2))
pred = np.concatenate(preds) if preds else np.zeros((0, outputs), np.float32)
truth = hold_t.astype(np.float64) * centre + centre
present = ~np.isnan(truth)
count = int(present.sum())
holdout_rmse = math.sqrt(float(np.square(pred.astype(np.float64)[present] - truth[present]).sum()) / count) if count else None

rates = sorted(n / s for s in loop_seconds)
print(json.dumps({
    "holdout_rmse": holdout_rmse,
    "holdout_rows": len(hold_px),
    "holdout_coordinates": count,
    "val_rmse": best_score if best_state is not None else None,
    "best_epoch": best_epoch,
    "epochs_run": len(epoch_seconds),
    "val_rmse_by_epoch": val_by_epoch,
    "train_seconds": sum(epoch_seconds),
    "loop_seconds": sum(loop_seconds),
    "epoch_seconds": epoch_seconds,
    "images": n,
    "images_per_s": rates[len(rates) // 2],
    "parameters": parameters,
    "model": name,
    "flip_tta": flip is not None,
    "threads": torch.get_num_threads(),
    "malloc_tuned": malloc_tuned,
    "blas": blas()[0],
    "blas_library": blas()[1],
    "torch": torch.__version__,
}))
