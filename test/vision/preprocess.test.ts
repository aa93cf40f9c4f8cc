// Parity of preprocessImage with torchvision on the golden fixtures (exact: identical crops and tensors; fast: within 8 levels) and its bad-input errors.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageDecodeError, preprocessImage } from '../../src/vision/preprocess.js';
import { normalisationTable } from '../../src/vision/preprocess-normalise.js';
import type { PreprocessMode, PreprocessOptions } from '../../src/vision/preprocess-types.js';

const golden = resolve(import.meta.dirname, '../fixtures/golden');

interface GoldenFixture {
  file: string;
  sha256: string;
  pilMode: string;
  sourceWidth: number;
  sourceHeight: number;
  cropFile: string;
  tensorSha256: string;
}

interface GoldenManifest {
  resizeShorterPx: number;
  cropPx: number;
  mean: [number, number, number];
  std: [number, number, number];
  versions: Record<string, string>;
  normalisationF32: { r: string; g: string; b: string };
  fixtures: GoldenFixture[];
}

const manifest = JSON.parse(readFileSync(join(golden, 'manifest.json'), 'utf8')) as GoldenManifest;

function optionsFor(mode: PreprocessMode): PreprocessOptions {
  return {
    mode,
    resizeShorterPx: manifest.resizeShorterPx,
    cropPx: manifest.cropPx,
    norm: { mean: manifest.mean, std: manifest.std },
  };
}

function imageBytes(f: GoldenFixture): Buffer {
  return readFileSync(join(golden, 'images', f.file));
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

interface CropDiff {
  max: number;
  mean: number;
  differing: number;
  /** First differing byte as "x,y channel: ours vs torchvision", for the failure message. */
  first: string;
}

function diffCrops(ours: Uint8Array, ref: Uint8Array, cropPx: number): CropDiff {
  let max = 0;
  let sum = 0;
  let differing = 0;
  let first = 'none';
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    if (d === 0) continue;
    if (differing === 0) {
      const px = Math.floor(i / 3);
      first = `${px % cropPx},${Math.floor(px / cropPx)} ${'RGB'[i % 3]}: ${ours[i]} vs ${ref[i]}`;
    }
    differing++;
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / ref.length, differing, first };
}

describe('golden fixtures', () => {
  it('are the images the manifest was made from (else rerun make-golden.py)', () => {
    expect(manifest.fixtures.length).toBeGreaterThanOrEqual(15);
    for (const f of manifest.fixtures) expect(sha256(imageBytes(f)), f.file).toBe(f.sha256);
  });

  it('normalisation table is bit-identical to torchvision ToTensor + Normalize for every byte value', () => {
    const ours = normalisationTable({ mean: manifest.mean, std: manifest.std });
    const bits = new Uint32Array(ours.buffer, ours.byteOffset, ours.length);
    (['r', 'g', 'b'] as const).forEach((ch, c) => {
      const expected = manifest.normalisationF32[ch].split(' ');
      expect(expected).toHaveLength(256);
      for (let v = 0; v < 256; v++) {
        expect(bits[c * 256 + v]!.toString(16).padStart(8, '0'), `${ch} byte ${v}`).toBe(expected[v]);
      }
    });
  });
});

describe('exact mode against torchvision', () => {
  it.each(manifest.fixtures.map((f) => [f.file, f] as const))('%s: identical crop and tensor', async (_name, f) => {
    const ref = readFileSync(join(golden, f.cropFile));
    const out = await preprocessImage(imageBytes(f), optionsFor('exact'));
    expect(out.sourceWidth).toBe(f.sourceWidth);
    expect(out.sourceHeight).toBe(f.sourceHeight);
    expect(out.crop).toHaveLength(ref.length);
    const d = diffCrops(out.crop, ref, manifest.cropPx);
    expect(d.differing, `${f.file} (${f.pilMode}): ${d.differing} bytes differ, max ${d.max}, first at ${d.first}`).toBe(0);
    expect(out.input).toHaveLength(3 * manifest.cropPx * manifest.cropPx);
    // torchvision's tensor hashed as little-endian float32 NCHW; this host is little-endian like every target.
    expect(sha256(new Uint8Array(out.input.buffer, out.input.byteOffset, out.input.byteLength)), `${f.file} tensor`).toBe(f.tensorSha256);
  });
});

describe('fast mode against torchvision', () => {
  const figures: Array<{ file: string; max: number; mean: number; differing: number }> = [];

  afterAll(() => {
    if (figures.length === 0) return;
    const rows = figures.map(
      (r) =>
        `  ${r.file.padEnd(30)} max ${String(r.max).padStart(2)}  mean ${r.mean.toFixed(3)}  differing ${((r.differing / (3 * manifest.cropPx ** 2)) * 100).toFixed(1)}%`,
    );
    console.log(`fast mode vs torchvision ${manifest.versions['torchvision']} (abs difference per byte):\n${rows.join('\n')}`);
  });

  it.each(manifest.fixtures.map((f) => [f.file, f] as const))('%s: within 8 levels per byte', async (_name, f) => {
    const ref = readFileSync(join(golden, f.cropFile));
    const out = await preprocessImage(imageBytes(f), optionsFor('fast'));
    expect(out.sourceWidth).toBe(f.sourceWidth);
    expect(out.sourceHeight).toBe(f.sourceHeight);
    const d = diffCrops(out.crop, ref, manifest.cropPx);
    figures.push({ file: f.file, ...d });
    expect(d.max, `${f.file}: max diff ${d.max}, mean ${d.mean.toFixed(3)}, first at ${d.first}`).toBeLessThanOrEqual(8);
    expect(out.input).toHaveLength(3 * manifest.cropPx * manifest.cropPx);
  });
});

describe('EXIF orientation', () => {
  it('is ignored like PIL.Image.open: the stored 640x480 pixels are used in both modes', async () => {
    const f = manifest.fixtures.find((x) => x.file.startsWith('exif_orient6'));
    expect(f).toBeDefined();
    const bytes = imageBytes(f!);
    expect((await sharp(bytes).metadata()).orientation).toBe(6);
    for (const mode of ['exact', 'fast'] as const) {
      const out = await preprocessImage(bytes, optionsFor(mode));
      expect([out.sourceWidth, out.sourceHeight]).toEqual([640, 480]);
    }
  });
});

describe('bad input', () => {
  const jpeg = readFileSync(join(golden, 'images', 'small_200x150.jpg'));
  const png = readFileSync(join(golden, 'images', 'palette_trns_320x240.png'));
  const cases: Array<[string, Buffer, string]> = [
    ['an empty file', Buffer.alloc(0), 'frame is not a decodable image (empty input: 0 bytes): check the camera/recording'],
    [
      'a text file',
      Buffer.from('{"hello": "not an image"}\n'),
      'frame is not a decodable image (unrecognised format: 26 bytes starting 7b 22 68 65 6c 6c 6f 22): check the camera/recording',
    ],
    [
      'a JPEG cut in the middle of its scan',
      jpeg.subarray(0, jpeg.length >> 1),
      'frame is not a decodable image (JPEG data is truncated or corrupt: VipsJpeg: premature end of JPEG image): check the camera/recording',
    ],
    [
      'a JPEG cut inside its header',
      jpeg.subarray(0, 300),
      'frame is not a decodable image (JPEG data is truncated or corrupt: Input buffer has corrupt header: VipsJpeg: premature end of JPEG image): check the camera/recording',
    ],
    [
      'a truncated PNG',
      png.subarray(0, png.length >> 1),
      'frame is not a decodable image (PNG data is truncated or corrupt: vipspng: libpng read error): check the camera/recording',
    ],
  ];

  for (const mode of ['exact', 'fast'] as const) {
    it.each(cases)(`${mode}: %s throws ImageDecodeError`, async (_what, bytes, message) => {
      const err = await preprocessImage(bytes, optionsFor(mode)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageDecodeError);
      expect((err as Error).message).toBe(message);
    });
  }

  it('a JPEG missing only its EOI marker decodes, as in PIL (which also accepts it)', async () => {
    const out = await preprocessImage(jpeg.subarray(0, jpeg.length - 2), optionsFor('exact'));
    expect(out.sourceWidth).toBe(200);
  });

  it('exact mode refuses formats whose PIL decoding it does not reproduce; fast mode takes them', async () => {
    const webp = await sharp(jpeg).webp().toBuffer();
    await expect(preprocessImage(webp, optionsFor('exact'))).rejects.toThrow(
      'frame cannot be preprocessed (webp format in exact mode, which reproduces PIL\'s decoding only for JPEG and PNG): use preprocess mode "fast" or record JPEG/PNG frames',
    );
    expect((await preprocessImage(webp, optionsFor('fast'))).crop).toHaveLength(224 * 224 * 3);
  });

  it('CMYK frames are refused in both modes, since PIL converts them with its own formula', async () => {
    const cmyk = await sharp(jpeg).toColourspace('cmyk').jpeg().toBuffer();
    for (const mode of ['exact', 'fast'] as const) {
      await expect(preprocessImage(cmyk, optionsFor(mode))).rejects.toThrow(
        'frame cannot be preprocessed (CMYK image): send RGB or greyscale frames (set the camera or converter to sRGB output)',
      );
    }
  });

  it('options that would need padding are refused with the offending key', async () => {
    await expect(preprocessImage(jpeg, { ...optionsFor('exact'), cropPx: 300 })).rejects.toThrow(
      'preprocess.cropPx: expected an integer between 1 and resizeShorterPx (256), received 300; a crop larger than the resized image would need padding, which is not supported',
    );
  });
});
