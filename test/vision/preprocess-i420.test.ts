// The raw-camera preprocessing path: I420 (stride > width) to RGB agrees with ffmpeg's own conversion of the same bytes, and the crop/normalisation is torchvision's.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { i420ToRgb, preprocessI420, type YuvColourSpace } from '../../src/vision/preprocess-i420.js';
import { normaliseToNchw } from '../../src/vision/preprocess-normalise.js';
import type { RawFrameFormat } from '../../src/capture/frame-source.js';
import { padRows } from '../support/rpicam-standin.js';

const HELD_OUT = resolve(import.meta.dirname, '../fixtures/field-tiles/held-out');
const W = 448;
const H = 256;
const STRIDE = 512;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** ffmpeg's names for each encoding: the colour matrix and the range flag. */
const FFMPEG: Record<YuvColourSpace, { matrix: string; range: string }> = {
  sycc: { matrix: 'bt601', range: 'full' },
  smpte170m: { matrix: 'bt601', range: 'limited' },
  rec709: { matrix: 'bt709', range: 'limited' },
};

let photo: string;

/** A real field photo as a tightly packed I420 frame in the given encoding (made by ffmpeg). */
function i420Of(space: YuvColourSpace): Buffer {
  const { matrix, range } = FFMPEG[space];
  return execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', photo, '-vf', `scale=${W}:${H}:out_color_matrix=${matrix}:out_range=${range},format=yuv420p`, '-f', 'rawvideo', '-'],
    { maxBuffer: 1 << 24 },
  );
}

/**
 * ffmpeg's RGB24 conversion of those same I420 bytes, told their matrix and range explicitly, with
 * nearest-neighbour chroma (neighbor + full_chroma_int) as ours: then only the arithmetic can differ.
 * (With swscale's default chroma filter the difference is mean 0.6-2.1, max 10-13 levels: edges, not colour.)
 */
function ffmpegRgb(tight: Buffer, space: YuvColourSpace): Buffer {
  const { matrix, range } = FFMPEG[space];
  return execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      '-s',
      `${W}x${H}`,
      '-i',
      '-',
      '-vf',
      `scale=in_color_matrix=${matrix}:in_range=${range}:flags=neighbor+accurate_rnd+full_chroma_int+bitexact,format=rgb24`,
      '-f',
      'rawvideo',
      '-',
    ],
    { input: tight, maxBuffer: 1 << 24 },
  );
}

beforeAll(() => {
  photo = join(
    HELD_OUT,
    readdirSync(HELD_OUT)
      .filter((n) => n.endsWith('.jpg'))
      .sort()[0] as string,
  );
});

describe('i420ToRgb against ffmpeg', () => {
  for (const space of ['sycc', 'smpte170m', 'rec709'] as const) {
    it(`${space}: every pixel of a real photo within 1 level of ffmpeg's conversion (a wrong matrix is 10+ off)`, () => {
      const tight = i420Of(space);
      const raw: RawFrameFormat = { format: 'i420', width: W, height: H, stride: STRIDE };
      const ours = i420ToRgb(padRows(tight, W, H, STRIDE), raw, { left: 0, top: 0, width: W, height: H }, space);
      const theirs = ffmpegRgb(tight, space);
      expect(ours.length).toBe(theirs.length);
      let max = 0;
      let sum = 0;
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs((ours[i] as number) - (theirs[i] as number));
        max = Math.max(max, d);
        sum += d;
      }
      const mean = sum / ours.length;
      // Measured: sycc identical; the limited-range ones differ by 1 level on under 0.5 % of values
      // (swscale's fixed-point rounding). Decoding with the wrong one of the three is mean 2.5-11, max 10-25.
      expect(max, `max abs diff ${max}, mean ${mean}`).toBeLessThanOrEqual(1);
      expect(mean).toBeLessThan(0.01);
    });
  }

  it('reads rows through the stride: the padding never shows, and a wrong stride would shear the image', () => {
    const tight = i420Of('sycc');
    const raw: RawFrameFormat = { format: 'i420', width: W, height: H, stride: STRIDE };
    const padded = padRows(tight, W, H, STRIDE);
    const tightRaw: RawFrameFormat = { ...raw, stride: W };
    const rect = { left: 0, top: 0, width: W, height: H };
    expect(Buffer.from(i420ToRgb(padded, raw, rect)).equals(Buffer.from(i420ToRgb(tight, tightRaw, rect)))).toBe(true);
    expect(Buffer.from(i420ToRgb(padded, { ...raw, stride: 496 }, rect)).equals(Buffer.from(i420ToRgb(tight, tightRaw, rect)))).toBe(false);
  });
});

describe('preprocessI420', () => {
  it("is torchvision's CenterCrop(224) + Normalize of the converted frame (no resize at model scale)", () => {
    const tight = i420Of('sycc');
    const raw: RawFrameFormat = { format: 'i420', width: W, height: H, stride: STRIDE };
    const padded = padRows(tight, W, H, STRIDE);
    const pre = preprocessI420(padded, raw, { mode: 'fast', resizeShorterPx: 256, cropPx: 224, norm: IMAGENET });
    // torchvision: left = round((448 - 224) / 2) = 112, top = round((256 - 224) / 2) = 16.
    const full = i420ToRgb(padded, raw, { left: 0, top: 0, width: W, height: H });
    const expected = new Uint8Array(224 * 224 * 3);
    for (let y = 0; y < 224; y++) expected.set(full.subarray(((16 + y) * W + 112) * 3, ((16 + y) * W + 112 + 224) * 3), y * 224 * 3);
    expect(Buffer.from(pre.crop).equals(Buffer.from(expected))).toBe(true);
    expect(pre.input).toEqual(normaliseToNchw(expected, 224, IMAGENET));
    expect([pre.sourceWidth, pre.sourceHeight, pre.input.length]).toEqual([W, H, 3 * 224 * 224]);
  });

  it('refuses a frame that is not at model scale, saying which keys to change', () => {
    const raw: RawFrameFormat = { format: 'i420', width: 640, height: 480, stride: 640 };
    expect(() => preprocessI420(Buffer.alloc(640 * 480 * 1.5), raw, { mode: 'fast', resizeShorterPx: 256, cropPx: 224, norm: IMAGENET })).toThrow(
      /source.widthPx\/heightPx 640x480: for yuv420 the shorter side must be the model's resize size \(256\)/,
    );
  });
});
