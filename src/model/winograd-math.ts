// Winograd / Toom-Cook matrices (Lavin & Gray 2015): F(m,3) for stride-1 3x3 convs, a polyphase form for stride-2 ones, and the build-time weight transform U = G g Gᵀ for the graph rewrite in winograd-graph.ts.

/** Output tile size m: F(2,3) uses 4x4 input tiles, F(4,3) 6x6, F(7,3) 9x9. */
export type WinogradTile = 2 | 3 | 4 | 5 | 6 | 7;

export const WINOGRAD_TILES: readonly WinogradTile[] = [2, 3, 4, 5, 6, 7];

export interface WinogradMatrices {
  /** Output tile size m. */
  m: number;
  /** Input tile size, which is also the number of transformed positions per axis. */
  n: number;
  /** Kernel taps per axis: 3, or 4 for a space-to-depth stem. */
  r: number;
  /** Conv stride: consecutive tiles start stride·m input samples apart. */
  stride: 1 | 2;
  /** Bᵀ, n x n: input transform V = Bᵀ d B. */
  bt: number[][];
  /** G, n x r: weight transform U = G g Gᵀ. */
  g: number[][];
  /** Aᵀ, m x n: output transform Y = Aᵀ M A. */
  at: number[][];
}

// F(2,3): every Bᵀ and Aᵀ entry is 0 or ±1, so FP32 transforms are exact up to one rounding per add.
const F23: WinogradMatrices = {
  m: 2,
  n: 4,
  r: 3,
  stride: 1,
  bt: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  g: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  at: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

// F(4,3) with interpolation points 0, ±1, ±2, ∞ (the matrices of Lavin & Gray and of ncnn).
const F43: WinogradMatrices = {
  m: 4,
  n: 6,
  r: 3,
  stride: 1,
  bt: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  g: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  at: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/** Product of (x - r) over `roots`, coefficients in increasing powers. */
function polyFromRoots(roots: readonly number[]): number[] {
  let p = [1];
  for (const r of roots) p = [...p.map((c, i) => c * -r + (p[i - 1] ?? 0)), p[p.length - 1] ?? 0];
  return p;
}

/**
 * Toom-Cook F(m,r) from m + r - 2 finite interpolation points plus ∞ (the construction of Lavin & Gray / wincnn):
 * Aᵀ[i][j] = a_j^i, G[j] = (1, a_j, …, a_j^(r-1)) / Π_{l≠j}(a_j - a_l), Bᵀ[j] = coefficients of Π_{l≠j}(x - a_l),
 * and the ∞ point adds Aᵀ's last column, G's row (0, …, 0, 1) and Bᵀ's row Π(x - a_l).
 */
export function toomCook(points: readonly number[], m: number, r: number): { bt: number[][]; g: number[][]; at: number[][] } {
  const n = m + r - 1;
  if (points.length !== n - 1) throw new Error(`F(${m},${r}) needs ${n - 1} finite points, got ${points.length}`);
  const pad = (row: number[]): number[] => [...row, ...new Array<number>(n - row.length).fill(0)];
  const at = Array.from({ length: m }, (_, i) => [...points.map((a) => a ** i), i === m - 1 ? 1 : 0]);
  const g = points.map((a, j) => {
    const f = points.reduce((acc, b, l) => (l === j ? acc : acc * (a - b)), 1);
    return Array.from({ length: r }, (_, p) => a ** p / f);
  });
  const bt = points.map((_, j) => pad(polyFromRoots(points.filter((__, l) => l !== j))));
  return { bt: [...bt, polyFromRoots(points)], g: [...g, Array.from({ length: r }, (_, p) => (p === r - 1 ? 1 : 0))], at };
}

// Finite points by count: ±1, ±2, ±½ keep Bᵀ and Aᵀ entries small (F(6,3)'s set is NNPACK's and ncnn's). Eight points
// (F(7,3)) are the best set of bench/winograd-points.py's search, still ~4x F(6,3)'s float32 error.
const POINTS: Record<number, number[]> = {
  1: [0],
  2: [0, -1],
  3: [0, 1, -1],
  4: [0, 1, -1, 2],
  5: [0, 1, -1, 2, -2],
  6: [0, 1, -1, 2, -2, 0.5],
  7: [0, 1, -1, 2, -2, 0.5, -0.5],
  8: [0, 1, -1, 4 / 3, -4 / 3, 0.4, -0.4, -4],
};

/**
 * Stride-2 3x3 as two phases: y_i = g0·d_2i + g2·d_2i+2 (the even samples, a 2-tap F(m,2)) + g1·d_2i+1 (the odd
 * samples, one multiply each). The input tile is 2m + 1 samples and so are the positions: the F(m,2) ones, then the
 * m odd samples untransformed (unit rows of Bᵀ, which the graph passes through without arithmetic).
 */
function stride2(m: number): WinogradMatrices {
  const points = POINTS[m];
  if (!points) throw new Error(`no interpolation points for F(${m},2)`);
  const f = toomCook(points, m, 2);
  const n = 2 * m + 1;
  const even = f.bt.map((row) => Array.from({ length: n }, (_, col) => (col % 2 === 0 ? (row[col / 2] ?? 0) : 0)));
  const odd = Array.from({ length: m }, (_, j) => Array.from({ length: n }, (__, col) => (col === 2 * j + 1 ? 1 : 0)));
  return {
    m,
    n,
    r: 3,
    stride: 2,
    bt: [...even, ...odd],
    g: [...f.g.map(([g0, g2]) => [g0 ?? 0, 0, g2 ?? 0]), ...odd.map(() => [0, 1, 0])],
    at: f.at.map((row, i) => [...row, ...Array.from({ length: m }, (_, j) => (j === i ? 1 : 0))]),
  };
}

/** The matrices of F(m,r) for a stride-1 conv with r taps, or of the 3-tap polyphase form for a stride-2 one. */
export function winogradMatrices(m: WinogradTile, stride: 1 | 2 = 1, r = 3): WinogradMatrices {
  if (stride === 2) return stride2(m);
  if (r === 3 && m === 2) return F23;
  if (r === 3 && m === 4) return F43;
  const points = POINTS[m + r - 2];
  if (!points) throw new Error(`no interpolation points for F(${m},${r})`);
  return { m, n: m + r - 1, r, stride: 1, ...toomCook(points, m, r) };
}

/**
 * U[ξ][k][c] = (G g_kc Gᵀ)[i][j] with ξ = j·n + i (column index major: the graph stacks the
 * column transform outside the row transform), from a Conv weight [K, C, r, r] (row-major).
 * `order` 'ck' stores U[ξ][c][k] instead (the right-hand operand of an NHWC product).
 * Computed in float64 and rounded once, so the only FP32 error left is in the runtime transforms.
 */
export function transformWeights(w: Float32Array, k: number, c: number, mats: WinogradMatrices, order: 'kc' | 'ck' = 'kc'): Float32Array {
  const { n, g, r } = mats;
  const out = new Float32Array(n * n * k * c);
  const gg = new Float64Array(n * r);
  for (let ko = 0; ko < k; ko++) {
    for (let ci = 0; ci < c; ci++) {
      const base = (ko * c + ci) * r * r;
      // gg = G · g (n x r)
      for (let i = 0; i < n; i++) {
        for (let col = 0; col < r; col++) {
          let s = 0;
          for (let t = 0; t < r; t++) s += (g[i]?.[t] ?? 0) * (w[base + t * r + col] ?? 0);
          gg[i * r + col] = s;
        }
      }
      // U = gg · Gᵀ (n x n)
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let col = 0; col < r; col++) s += (gg[i * r + col] ?? 0) * (g[j]?.[col] ?? 0);
          out[order === 'kc' ? ((j * n + i) * k + ko) * c + ci : ((j * n + i) * c + ci) * k + ko] = s;
        }
      }
    }
  }
  return out;
}
