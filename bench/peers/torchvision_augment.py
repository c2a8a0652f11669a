"""Peer of `fkd bench augment`: torchvision functional flip / rotate / brightness on 96x96 uint8 tensors,
keypoints moved with numpy. Usage: torchvision_augment.py PLAN.json FACES REPEATS, where PLAN is a list of
[flip, rotation degrees or null, brightness factor or null]. One process, 2 torch threads. Prints one JSON object."""
import json
import sys
import time

try:
    import numpy as np
    import torch
    import torchvision
    import torchvision.transforms.functional as F
    from torchvision.transforms import InterpolationMode
except ImportError as e:  # reported as an absent peer
    print(json.dumps({"error": f"{e} (install python3-torchvision)"}))
    sys.exit(3)

plan_file, faces, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
plan = json.load(open(plan_file))
torch.set_num_threads(2)

# Kaggle column order: x, y per keypoint; left/right pairs swap on a horizontal flip.
FLIP_PAIRS = [(0, 1), (2, 4), (3, 5), (6, 8), (7, 9), (11, 12)]
perm = list(range(15))
for l, r in FLIP_PAIRS:
    perm[l], perm[r] = r, l
C = 47.5

rng = np.random.default_rng(1)
images = [torch.from_numpy(rng.integers(0, 256, (1, 96, 96), dtype=np.uint8)) for _ in range(faces)]
coords = [rng.uniform(25, 71, (15, 2)) for _ in range(faces)]


def apply(img, kp, flip, rot, bright):
    if flip:
        img = F.hflip(img)
        kp = kp[perm].copy()
        kp[:, 0] = 95.0 - kp[:, 0]
    if rot is not None:
        img = F.rotate(img, rot, interpolation=InterpolationMode.BILINEAR)
        # torchvision: positive angle = counter-clockwise as displayed (y down)
        t = np.deg2rad(rot)
        c, s = np.cos(t), np.sin(t)
        dx, dy = kp[:, 0] - C, kp[:, 1] - C
        kp = np.stack([C + c * dx + s * dy, C - s * dx + c * dy], axis=1)
    if bright is not None:
        img = F.adjust_brightness(img, bright)
    if rot is None and not flip and bright is None:
        img = img.clone()
    inside = bool(np.all((kp >= -0.5) & (kp <= 95.5)))
    return img, kp, inside


def once(n):
    kept = 0
    t0 = time.perf_counter()
    for i in range(n):
        for flip, rot, bright in plan:
            _, _, ok = apply(images[i], coords[i], flip, rot, bright)
            kept += ok
    return time.perf_counter() - t0, kept


once(min(5, faces))  # warm-up
times = []
for _ in range(repeats):
    t, kept = once(faces)
    times.append(t)
times.sort()
median = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
jobs = faces * len(plan)
print(json.dumps({
    "images_per_s": jobs / median,
    "median_seconds": median,
    "seconds": times,
    "variant_images": jobs,
    "kept": kept,
    "torch": torch.__version__,
    "torchvision": torchvision.__version__,
    "threads": torch.get_num_threads(),
}))
