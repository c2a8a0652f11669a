"""Peer of `fkd bench parse`: pandas read_csv + Image column to uint8 arrays, as Kaggle kernels do.
Usage: pandas_parse.py FILE REPEATS. Prints one JSON object (timing done here)."""
import json
import os
import resource
import sys
import time

try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # reported as an absent peer
    print(json.dumps({"error": f"{e} (install python3-pandas)"}))
    sys.exit(3)

path, repeats = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path)
# no warm-up read: the file is already in the page cache (ours read it just before)
times = []
for i in range(repeats):
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    images = np.stack([np.array(s.split(), dtype=np.uint8) for s in df["Image"]])
    t1 = time.perf_counter()
    times.append(t1 - t0)
    rows = len(df)
    assert images.shape == (rows, 9216)
    del df, images
times.sort()
median = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
print(json.dumps({
    "gb_per_s": size / median / 1e9,
    "median_seconds": median,
    "seconds": times,
    "rows": rows,
    "pandas": pd.__version__,
    "numpy": np.__version__,
    "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
