// Properties of the Pillow bilinear reimplementation that the golden crops do not isolate: region = full resize then crop, identity, coefficient sums.
import { describe, expect, it } from 'vitest';
import { bilinearAxisCoefficients, resizeBilinearRegion } from '../../src/vision/preprocess-pil-resample.js';
import type { RgbImage } from '../../src/vision/preprocess-pil-resample.js';

/** Deterministic pseudo-random image (xorshift), busy enough that any misplaced tap shows. */
function noiseImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = s & 0xff;
  }
  return { data, width, height };
}

function cut(full: Uint8Array, fullWidth: number, left: number, top: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(full.subarray(((top + y) * fullWidth + left) * 3, ((top + y) * fullWidth + left + w) * 3), y * w * 3);
  return out;
}

describe('resizeBilinearRegion', () => {
  it.each([
    [257, 391, 256, 389],
    [1001, 333, 769, 256],
    [48, 36, 341, 256],
    [640, 480, 341, 256],
    [97, 300, 256, 791],
    [300, 300, 256, 256],
  ])('%ix%i -> %ix%i: a region equals the same pixels of the full resize', (w, h, ow, oh) => {
    const src = noiseImage(w, h, w * 7919 + h);
    const full = resizeBilinearRegion(src, ow, oh, { left: 0, top: 0, width: ow, height: oh });
    for (const [left, top, rw, rh] of [
      [0, 0, 5, 5],
      [ow - 7, oh - 3, 7, 3],
      [Math.floor(ow / 3), Math.floor(oh / 2), Math.floor(ow / 2), Math.floor(oh / 3)],
    ] as const) {
      const region = resizeBilinearRegion(src, ow, oh, { left, top, width: rw, height: rh });
      expect(Buffer.compare(Buffer.from(region), Buffer.from(cut(full, ow, left, top, rw, rh))), `${left},${top} ${rw}x${rh}`).toBe(0);
    }
  });

  it('is the identity when the size does not change', () => {
    const src = noiseImage(31, 17, 5);
    expect(Buffer.compare(Buffer.from(resizeBilinearRegion(src, 31, 17, { left: 0, top: 0, width: 31, height: 17 })), Buffer.from(src.data))).toBe(0);
  });

  it('keeps flat colour flat when shrinking and enlarging', () => {
    const flat: RgbImage = { data: new Uint8Array(50 * 40 * 3).fill(200), width: 50, height: 40 };
    for (const [ow, oh] of [
      [13, 11],
      [120, 97],
    ] as const) {
      expect(resizeBilinearRegion(flat, ow, oh, { left: 0, top: 0, width: ow, height: oh }).every((v) => v === 200)).toBe(true);
    }
  });

  it('refuses a region outside the output', () => {
    expect(() => resizeBilinearRegion(noiseImage(10, 10, 1), 8, 8, { left: 4, top: 0, width: 5, height: 8 })).toThrow(/outside the 8x8 output/);
  });
});

describe('bilinearAxisCoefficients', () => {
  it('fixed-point weights sum to 2^22 within rounding, and widen with the reduction factor', () => {
    const down = bilinearAxisCoefficients(1920, 455, 0, 455);
    expect(down.ksize).toBe(2 * Math.ceil(1920 / 455) + 1);
    for (let i = 0; i < 455; i++) {
      let sum = 0;
      for (let t = 0; t < down.count[i]!; t++) sum += down.weights[i * down.ksize + t]!;
      expect(Math.abs(sum - (1 << 22))).toBeLessThanOrEqual(down.count[i]!);
    }
    const up = bilinearAxisCoefficients(48, 341, 0, 341);
    expect(up.ksize).toBe(3);
  });
});
