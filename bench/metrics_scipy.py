"""The official-style LiTS metrics with numpy + scipy, timed, for bench/metrics.ts.

Usage: /usr/bin/python3 bench/metrics_scipy.py PRED.bin REF.bin NX NY NZ SX SY SZ
(uint8 labels, x fastest). Prints one JSON object: seconds and the metric values.
Contours: mask ^ binary_erosion(mask, generate_binary_structure(3, 2)) (18-neighbourhood),
distances with cKDTree, components with ndimage.label (6-connectivity), on the full volume
as the official scoring does.
"""
import json
import sys
import time

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

S18 = ndimage.generate_binary_structure(3, 2)
S6 = ndimage.generate_binary_structure(3, 1)


def contour_points(m, spacing):
    c = m ^ ndimage.binary_erosion(m, structure=S18, border_value=0)
    return np.argwhere(c) * spacing


def pair_metrics(a, b, spacing):
    na, nb = int(a.sum()), int(b.sum())
    if na == 0 or nb == 0:
        return dict(dice=0, jaccard=0, voe=1, rvd=9001, assd=9001, rmsd=9001, msd=9001)
    both = int(np.logical_and(a, b).sum())
    dice = 2 * both / (na + nb)
    jac = dice / (2 - dice)
    pa, pb = contour_points(a, spacing), contour_points(b, spacing)
    da = cKDTree(pb).query(pa)[0]
    db = cKDTree(pa).query(pb)[0]
    d = np.concatenate([da, db])
    return dict(dice=dice, jaccard=jac, voe=1 - jac, rvd=(nb - na) / na, assd=float(d.mean()),
                rmsd=float(np.sqrt((d ** 2).mean())), msd=float(d.max()))


def lesions(pred, ref, spacing):
    lp, n_p = ndimage.label(pred, S6)
    lr, n_r = ndimage.label(ref, S6)
    parent = list(range(n_p + n_r))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    both = (lp > 0) & (lr > 0)
    pairs = np.unique(np.stack([lp[both], lr[both]]), axis=1) if both.any() else np.zeros((2, 0), int)
    linked = set()
    for i, j in pairs.T:
        a, b = find(i - 1), find(n_p + j - 1)
        linked.update([i - 1, n_p + j - 1])
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups = {}
    for n in linked:
        groups.setdefault(find(n), []).append(n)
    tp, metrics = 0, []
    for members in groups.values():
        pids = [n + 1 for n in members if n < n_p]
        rids = [n - n_p + 1 for n in members if n >= n_p]
        a, b = np.isin(lp, pids), np.isin(lr, rids)
        inter = int((a & b).sum())
        iou = inter / int((a | b).sum())
        if iou > 0.5:
            tp += 1
            metrics.append(pair_metrics(a, b, spacing))
    un_p = n_p - len([n for n in linked if n < n_p])
    un_r = n_r - len([n for n in linked if n >= n_p])
    po, ro = len(groups) + un_p, len(groups) + un_r
    return dict(tp=tp, fp=po - tp, fn=ro - tp, detected=metrics)


def main():
    pred_path, ref_path = sys.argv[1], sys.argv[2]
    nx, ny, nz = (int(v) for v in sys.argv[3:6])
    spacing = np.array([float(v) for v in sys.argv[6:9]])[::-1]  # arrays are [z, y, x]
    pred = np.fromfile(pred_path, np.uint8).reshape(nz, ny, nx)
    ref = np.fromfile(ref_path, np.uint8).reshape(nz, ny, nx)
    t0 = time.perf_counter()
    liver = pair_metrics(pred >= 1, ref >= 1, spacing)
    les = lesions(pred == 2, ref == 2, spacing)
    seconds = time.perf_counter() - t0
    print(json.dumps(dict(seconds=seconds, liver=liver, lesion=les)))


if __name__ == "__main__":
    main()
