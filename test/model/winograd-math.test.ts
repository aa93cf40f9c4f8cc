// Winograd matrices: every F(m,3) tile and every stride-2 polyphase tile reproduces the direct 3x3 correlation exactly in float64, and the generator rebuilds the literal F(4,3).
import { describe, expect, it } from 'vitest';
import { toomCook, winogradMatrices, WINOGRAD_TILES, type WinogradMatrices } from '../../src/model/winograd-math.js';

/** A small deterministic generator (the test must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const mul = (a: number[][], b: number[][]): number[][] => a.map((row) => (b[0] ?? []).map((_, j) => row.reduce((acc, v, k) => acc + v * (b[k]?.[j] ?? 0), 0)));
const transpose = (a: number[][]): number[][] => (a[0] ?? []).map((_, j) => a.map((row) => row[j] ?? 0));

/** Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for one input tile d and 3x3 filter g. */
function winogradTile(w: WinogradMatrices, d: number[][], g: number[][]): number[][] {
  const u = mul(mul(w.g, g), transpose(w.g));
  const v = mul(mul(w.bt, d), transpose(w.bt));
  const prod = u.map((row, i) => row.map((x, j) => x * (v[i]?.[j] ?? 0)));
  return mul(mul(w.at, prod), transpose(w.at));
}

/** Direct 3x3 correlation with the given stride over the tile (no padding: the tile already holds the halo). */
function direct(d: number[][], g: number[][], m: number, stride: number): number[][] {
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: m }, (__, j) => {
      let s = 0;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += (g[a]?.[b] ?? 0) * (d[stride * i + a]?.[stride * j + b] ?? 0);
      return s;
    }),
  );
}

describe('Winograd matrices', () => {
  for (const stride of [1, 2] as const) {
    for (const m of WINOGRAD_TILES) {
      it(`${stride === 1 ? `F(${m},3)` : `stride-2 F(${m},2) + odd phase`}: the tile equals the direct correlation in float64`, () => {
        const w = winogradMatrices(m, stride);
        expect(w.n).toBe(stride === 1 ? m + 2 : 2 * m + 1);
        expect([w.bt.length, w.g.length, w.at.length, w.at[0]?.length]).toEqual([w.n, w.n, m, w.n]);
        const rnd = lcg(1000 * stride + m);
        for (let trial = 0; trial < 5; trial++) {
          const d = Array.from({ length: w.n }, () => Array.from({ length: w.n }, rnd));
          const g = Array.from({ length: 3 }, () => Array.from({ length: 3 }, rnd));
          const want = direct(d, g, m, stride);
          const got = winogradTile(w, d, g);
          const scale = Math.max(...want.flat().map(Math.abs));
          got.flat().forEach((x, k) => expect(Math.abs(x - (want.flat()[k] ?? NaN)) / scale).toBeLessThan(1e-9));
        }
      });
    }
  }

  it('the generator gives the literal F(4,3) of Lavin & Gray from the points 0, ±1, ±2', () => {
    const f = toomCook([0, 1, -1, 2, -2], 4, 3);
    const lit = winogradMatrices(4);
    expect(f.bt).toEqual(lit.bt);
    expect(f.at).toEqual(lit.at);
    f.g.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(lit.g[i]?.[j] ?? NaN, 15)));
  });

  it('refuses a point count that does not fit the tile', () => {
    expect(() => toomCook([0, 1], 4, 3)).toThrow(/F\(4,3\) needs 5 finite points, got 2/);
  });
});
