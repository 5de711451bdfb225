"""Load + preprocess one CT volume with nibabel and numpy: the Python baseline of
bench/load_volume.ts (which runs this file with /usr/bin/python3).

usage: python3 bench/load_volume.py FILE.nii.gz [REPEATS]
Prints one JSON line: best-of-REPEATS milliseconds for reading and for preprocessing
(window [-100, 300], min-max normalise over the volume, 2x2 area down-sampling of
every axial slice), and a checksum of the result.
"""
import json
import sys
import time

import nibabel as nib
import numpy as np


def preprocess(a):
    x = np.clip(a, -100, 300).astype(np.float32)
    lo, hi = x.min(), x.max()
    x = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    nx, ny, nz = x.shape
    # x is Fortran-ordered (x fastest), as NIfTI stores it.
    return x.reshape((2, nx // 2, 2, ny // 2, nz), order="F").mean(axis=(0, 2))


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    read_ms, prep_ms = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a = np.asanyarray(nib.load(path).dataobj)
        t1 = time.perf_counter()
        out = preprocess(a)
        t2 = time.perf_counter()
        read_ms.append((t1 - t0) * 1e3)
        prep_ms.append((t2 - t1) * 1e3)
    total = [r + p for r, p in zip(read_ms, prep_ms)]
    best = int(np.argmin(total))
    print(json.dumps({
        "read_ms": read_ms[best],
        "preprocess_ms": prep_ms[best],
        "total_ms": total[best],
        "shape": list(out.shape),
        "dtype": str(a.dtype),
        "checksum": float(out.astype(np.float64).sum()),
    }))


if __name__ == "__main__":
    main()
