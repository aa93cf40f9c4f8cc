// torchvision's Resize/CenterCrop rounding: truncated long side, half-to-even crop offsets, checked case by case and against torchvision's own table.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resizeCropGeometry, roundHalfToEven, torchvisionCropOffset, torchvisionResizedSize } from '../../src/vision/preprocess-geometry.js';

describe('torchvisionResizedSize', () => {
  it.each([
    // [w, h, resized w, resized h, why]
    [257, 391, 256, 389, '256*391/257 = 389.47 -> 389'],
    [1001, 333, 769, 256, '256*1001/333 = 769.54 truncates to 769 (rounding gives 770)'],
    [1000, 562, 455, 256, '455.52 -> 455 (rounding gives 456)'],
    [1200, 300, 1024, 256, 'exact'],
    [48, 36, 341, 256, 'upsampling: 341.33'],
    [300, 300, 256, 256, 'square: width counts as the shorter side'],
    [391, 257, 389, 256, 'landscape mirror of the first case'],
    [1920, 1080, 455, 256, '455.11'],
    [4000, 3000, 341, 256, '341.33'],
  ])('%ix%i -> %ix%i (%s)', (w, h, rw, rh) => {
    expect(torchvisionResizedSize(w, h, 256)).toEqual({ width: rw, height: rh });
  });
});

describe('torchvisionCropOffset', () => {
  it.each([
    [256, 16],
    [389, 82], // 82.5 -> 82 (even)
    [769, 272], // 272.5 -> 272 (even)
    [257, 16], // 16.5 -> 16
    [259, 18], // 17.5 -> 18
    [225, 0], // 0.5 -> 0
    [227, 2], // 1.5 -> 2
    [455, 116], // 115.5 -> 116
    [224, 0],
  ])('size %i -> offset %i', (size, offset) => {
    expect(torchvisionCropOffset(size, 224)).toBe(offset);
  });

  it('roundHalfToEven matches Python round() on halves and non-halves', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfToEven)).toEqual([0, 2, 2, 4, 0, -2, 2, 3]);
  });
});

describe('geometry against torchvision', () => {
  const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/golden/manifest.json'), 'utf8')) as {
    geometry: Array<[number, number, number, number, number, number]>;
  };

  it('matches torchvision for every size pair in the golden table', () => {
    expect(manifest.geometry.length).toBeGreaterThan(500);
    for (const [w, h, rw, rh, left, top] of manifest.geometry) {
      const g = resizeCropGeometry(w, h, 256, 224);
      expect([g.resizedWidth, g.resizedHeight, g.cropLeft, g.cropTop], `${w}x${h}`).toEqual([rw, rh, left, top]);
    }
  });
});
