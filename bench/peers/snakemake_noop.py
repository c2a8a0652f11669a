"""Peer of `fkd bench rerun`: Snakemake's no-op on a chain of N rules that touch files.
Usage: snakemake_noop.py N REPEATS. Builds the chain once, then times REPEATS runs that find everything
up to date (each a child process `snakemake -c1`, as a user would type it). Prints one JSON object."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

n, repeats = int(sys.argv[1]), int(sys.argv[2])
exe = shutil.which("snakemake") or ("/usr/bin/snakemake" if os.path.exists("/usr/bin/snakemake") else None)
if exe is None:
    print(json.dumps({"error": "snakemake not found (install snakemake)"}))
    sys.exit(3)

with tempfile.TemporaryDirectory(prefix="fkd-peer-snakemake-") as d:
    rules = [f'rule all:\n    input: "f{n}"\n']
    rules.append('rule s1:\n    output: "f1"\n    shell: "touch {output}"\n')
    for i in range(2, n + 1):
        rules.append(f'rule s{i}:\n    input: "f{i - 1}"\n    output: "f{i}"\n    shell: "touch {{output}}"\n')
    with open(os.path.join(d, "Snakefile"), "w") as f:
        f.write("\n".join(rules))
    cmd = [exe, "-c1", "--quiet"]
    first = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
    if first.returncode != 0 or not os.path.exists(os.path.join(d, f"f{n}")):
        tail = (first.stderr or first.stdout).strip().splitlines()[-1:] or ["?"]
        print(json.dumps({"error": f"snakemake's first run failed ({first.returncode}): {tail[0]}"}))
        sys.exit(3)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            print(json.dumps({"error": f"snakemake no-op run failed ({r.returncode})"}))
            sys.exit(3)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()

times.sort()
median = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
print(json.dumps({"median_seconds": median, "seconds": times, "rules": n, "snakemake": version}))
