// Winograd F(m,3) matrices (Lavin & Gray 2015) and the build-time weight transform U = G g Gᵀ for the graph rewrite in winograd-graph.ts.

/** Output tile size m of F(m,3): F(2,3) uses 4x4 input tiles, F(4,3) 6x6. */
export type WinogradTile = 2 | 4;

export interface WinogradMatrices {
  /** Output tile size m. */
  m: WinogradTile;
  /** Input tile size m + 2. */
  n: number;
  /** Bᵀ, n x n: input transform V = Bᵀ d B. */
  bt: number[][];
  /** G, n x 3: weight transform U = G g Gᵀ. */
  g: number[][];
  /** Aᵀ, m x n: output transform Y = Aᵀ M A. */
  at: number[][];
}

// F(2,3): every Bᵀ and Aᵀ entry is 0 or ±1, so FP32 transforms are exact up to one rounding per add.
const F23: WinogradMatrices = {
  m: 2,
  n: 4,
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

export function winogradMatrices(m: WinogradTile): WinogradMatrices {
  return m === 2 ? F23 : F43;
}

/**
 * U[ξ][k][c] = (G g_kc Gᵀ)[i][j] with ξ = j·n + i (column index major: the graph stacks the
 * column transform outside the row transform), from a Conv weight [K, C, 3, 3] (row-major).
 * `order` 'ck' stores U[ξ][c][k] instead (the right-hand operand of an NHWC product).
 * Computed in float64 and rounded once, so the only FP32 error left is in the runtime transforms.
 */
export function transformWeights(w: Float32Array, k: number, c: number, mats: WinogradMatrices, order: 'kc' | 'ck' = 'kc'): Float32Array {
  const { n, g } = mats;
  const out = new Float32Array(n * n * k * c);
  const gg = new Float64Array(n * 3);
  for (let ko = 0; ko < k; ko++) {
    for (let ci = 0; ci < c; ci++) {
      const base = (ko * c + ci) * 9;
      // gg = G · g (n x 3)
      for (let i = 0; i < n; i++) {
        for (let col = 0; col < 3; col++) {
          let s = 0;
          for (let r = 0; r < 3; r++) s += (g[i]?.[r] ?? 0) * (w[base + r * 3 + col] ?? 0);
          gg[i * 3 + col] = s;
        }
      }
      // U = gg · Gᵀ (n x n)
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let col = 0; col < 3; col++) s += (gg[i * 3 + col] ?? 0) * (g[j]?.[col] ?? 0);
          out[order === 'kc' ? ((j * n + i) * k + ko) * c + ci : ((j * n + i) * c + ci) * k + ko] = s;
        }
      }
    }
  }
  return out;
}
