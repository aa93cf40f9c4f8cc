# Float32 error of Winograd F(m,3) for interpolation point sets: the search behind `fieldeye model winograd`'s tile limit (F(7,3) stays too inaccurate). Needs numpy.
# Usage: python3 bench/winograd-points.py   (about 30 s; prints the reference sets and the best F(7,3) sets of the search)
import itertools
from fractions import Fraction as Fr

import numpy as np


def poly_from_roots(roots):
    p = [Fr(1)]
    for r in roots:
        q = [Fr(0)] * (len(p) + 1)
        for i, c in enumerate(p):
            q[i] += -r * c
            q[i + 1] += c
        p = q
    return p


def toom_cook(points, m, r=3):
    """Aᵀ, G, Bᵀ of F(m, r) from m + r - 2 finite points plus infinity, exactly (fractions), as src/model/winograd-math.ts builds them."""
    n = m + r - 1
    pts = [Fr(p) for p in points]
    assert len(pts) == n - 1
    at = [[a**i for a in pts] + [Fr(1 if i == m - 1 else 0)] for i in range(m)]
    g = []
    for j, a in enumerate(pts):
        f = Fr(1)
        for b in pts[:j] + pts[j + 1 :]:
            f *= a - b
        g.append([a**p / f for p in range(r)])
    g.append([Fr(1 if p == r - 1 else 0) for p in range(r)])
    bt = [poly_from_roots(pts[:j] + pts[j + 1 :]) + [Fr(0)] for j in range(len(pts))]
    bt.append(poly_from_roots(pts))
    as_float = lambda rows: np.array([[float(x) for x in row] for row in rows])
    return as_float(at), as_float(g), as_float(bt)


def relative_rms_error(points, m, c=256, k=64, h=14, seeds=(0, 1, 2)):
    """A 3x3 stride-1 conv (ReLU input, He-scaled weights) through F(m,3) in float32 as the ONNX graph runs it, against float64 direct."""
    at, g, bt = toom_cook(points, m)
    n = m + 2
    errs = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x = np.maximum(rng.standard_normal((c, h, h)), 0)
        w = rng.standard_normal((k, c, 3, 3)) * np.sqrt(2 / (9 * c))
        xp = np.zeros((c, h + 2, h + 2))
        xp[:, 1:-1, 1:-1] = x
        ref = sum(np.einsum("kc,chw->khw", w[:, :, a, b], xp[:, a : a + h, b : b + h]) for a in range(3) for b in range(3))
        th = -(-h // m)
        xq = np.zeros((c, m * th + 2, m * th + 2), np.float32)
        xq[:, : h + 2, : h + 2] = xp
        u = np.einsum("ia,kcab,jb->ijkc", g, w, g).astype(np.float32)  # float64, rounded once
        b32, a32 = bt.astype(np.float32), at.astype(np.float32)
        tiles = np.stack([np.stack([xq[:, i * m : i * m + n, j * m : j * m + n] for j in range(th)]) for i in range(th)])
        v = np.einsum("...ib,jb->...ij", np.einsum("ia,...ab->...ib", b32, tiles).astype(np.float32), b32).astype(np.float32)
        prod = np.matmul(v.transpose(3, 4, 0, 1, 2).reshape(n, n, th * th, c), u.transpose(0, 1, 3, 2)).astype(np.float32)
        y = np.einsum("bj,ajtk->abtk", a32, np.einsum("ai,ijtk->ajtk", a32, prod).astype(np.float32)).astype(np.float32)
        y = y.reshape(m, m, th, th, k).transpose(4, 2, 0, 3, 1).reshape(k, th * m, th * m)[:, :h, :h]
        errs.append(np.sqrt(((y - ref) ** 2).mean() / (ref**2).mean()))
    return float(np.mean(errs))


if __name__ == "__main__":
    half = Fr(1, 2)
    print("F(4,3) 0 ±1 ±2:          %.2e" % relative_rms_error([0, 1, -1, 2, -2], 4))
    print("F(6,3) 0 ±1 ±2 ±1/2:     %.2e" % relative_rms_error([0, 1, -1, 2, -2, half, -half], 6, h=12))
    print("F(7,3) 0 ±1 ±2 ±1/2 4:   %.2e" % relative_rms_error([0, 1, -1, 2, -2, half, -half, 4], 7))
    pool = [Fr(2), half, Fr(3, 2), Fr(2, 3), Fr(3), Fr(1, 3), Fr(1, 4), Fr(4), Fr(3, 4), Fr(4, 3), Fr(5, 2), Fr(2, 5), Fr(5, 4), Fr(4, 5), Fr(5, 3), Fr(3, 5)]
    found = []
    # F(7,3): 0, ±1, two more symmetric pairs and one single point from the pool, scored on one 7x7 tile first.
    for pair in itertools.combinations(pool, 2):
        base = [Fr(0), Fr(1), Fr(-1)] + [s * v for v in pair for s in (1, -1)]
        for extra in pool + [-v for v in pool]:
            if extra not in base:
                found.append((relative_rms_error(base + [extra], 7, c=64, k=16, h=7), base + [extra]))
    found.sort(key=lambda f: f[0])
    print(f"F(7,3): {len(found)} point sets searched; the best five on 14x14, 256 channels:")
    for _, pts in found[:5]:
        print("  %.2e  %s" % (relative_rms_error(pts, 7), " ".join(str(p) for p in pts)))
