// MJPEG and I420 stream splitters: real JPEGs and raw frames, chunked at random and at every offset, come out whole and in order.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { MjpegSplitter } from '../../src/capture/mjpeg-splitter.js';
import { I420Splitter, i420FrameBytes } from '../../src/capture/i420-splitter.js';
import type { FrameSplitter } from '../../src/capture/frame-splitter.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';

/** Feeds `stream` in chunks cut at the given offsets, then ends it. */
function splitAt(splitter: FrameSplitter, stream: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...splitter.push(stream.subarray(from, cut)));
    from = cut;
  }
  splitter.end();
  return out;
}

/** Byte equality of two frame lists; vitest's deep equality walks Buffers element by element, far too slowly here. */
function same(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i] as Buffer));
}

function randomCuts(rng: SeededRandom, length: number, maxChunk: number): number[] {
  const cuts: number[] = [];
  for (let at = 1 + rng.int(maxChunk); at < length; at += 1 + rng.int(maxChunk)) cuts.push(at);
  return cuts;
}

/** An APP1 segment holding a whole JPEG, as EXIF does with its thumbnail: FF D8 ... FF D9 inside a frame. */
function withThumbnailSegment(jpeg: Buffer, thumbnail: Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0II*\0', 'latin1'), thumbnail]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

type JpegOptions = NonNullable<Parameters<ReturnType<typeof sharp>['jpeg']>[0]>;

let jpegs: Buffer[];

beforeAll(async () => {
  const make = (i: number, options: JpegOptions) =>
    sharp({
      create: { width: 64 + 8 * i, height: 48, channels: 3, background: { r: (i * 53) % 256, g: 90, b: (i * 17) % 256 } },
    })
      .jpeg(options)
      .toBuffer();
  // Noise makes real entropy-coded data (with FF 00 stuffing), not a flat run of zeros.
  const noisy = async (i: number, options: JpegOptions) => {
    const rng = new SeededRandom(i, 'pixels');
    const w = 40 + 8 * i;
    const px = Buffer.alloc(w * 32 * 3);
    for (let k = 0; k < px.length; k++) px[k] = rng.int(256);
    return sharp(px, { raw: { width: w, height: 32, channels: 3 } })
      .jpeg(options)
      .toBuffer();
  };
  const thumb = await make(9, { quality: 50 });
  jpegs = [
    await noisy(0, { quality: 90 }),
    await noisy(1, { quality: 70, progressive: true }),
    withThumbnailSegment(await noisy(2, { quality: 80 }), thumb),
    await make(3, { quality: 95 }),
    await noisy(4, { quality: 60, chromaSubsampling: '4:4:4' }),
  ];
});

describe('MjpegSplitter', () => {
  it('the test frames are real JPEGs, one with a thumbnail inside, and contain FF 00 stuffing', async () => {
    for (const j of jpegs) expect((await sharp(j).metadata()).format).toBe('jpeg');
    expect(jpegs[2]?.subarray(2).indexOf(Buffer.from([0xff, 0xd9]))).toBeLessThan((jpegs[2]?.length ?? 0) - 4);
    expect(jpegs.some((j) => j.includes(Buffer.from([0xff, 0x00])))).toBe(true);
  });

  it('splits back-to-back JPEGs cut at every single offset', () => {
    const stream = Buffer.concat(jpegs);
    for (let cut = 0; cut <= stream.length; cut++) {
      const s = new MjpegSplitter();
      const out = splitAt(s, stream, [cut]);
      expect(same(out, jpegs), `cut at ${cut}`).toBe(true);
      expect(s.drops).toEqual({ garbage: 0, corrupt: 0, truncated: 0, oversize: 0 });
    }
  });

  it('splits random chunkings (1 byte to 4 KB) with garbage between frames and a truncated last frame', () => {
    for (let trial = 0; trial < 200; trial++) {
      const rng = new SeededRandom(trial, 'mjpeg-chunks');
      const parts: Buffer[] = [];
      const expected: Buffer[] = [];
      let garbageBytes = 0;
      const count = 1 + rng.int(8);
      for (let i = 0; i < count; i++) {
        const j = jpegs[rng.int(jpegs.length)] as Buffer;
        // Garbage without FF: bytes a writer might leave between frames (a log line, padding).
        const garbage = Buffer.from('x'.repeat(rng.int(3) === 0 ? rng.int(40) : 0));
        garbageBytes += garbage.length;
        parts.push(garbage, j);
        expected.push(j);
      }
      const truncate = rng.int(2) === 1;
      const last = jpegs[0] as Buffer;
      if (truncate) parts.push(last.subarray(0, 2 + rng.int(last.length - 4)));
      const stream = Buffer.concat(parts);
      const s = new MjpegSplitter();
      const out = splitAt(s, stream, randomCuts(rng, stream.length, rng.int(2) ? 16 : 4096));
      expect(same(out, expected), `trial ${trial}`).toBe(true);
      expect(s.drops.truncated, `trial ${trial}`).toBe(truncate ? 1 : 0);
      expect(s.drops.garbage).toBe(garbageBytes);
    }
  });

  it('counts a frame cut short by a new SOI (a writer restart) as truncated and keeps the next frame', () => {
    const [a, b, c] = jpegs as [Buffer, Buffer, Buffer];
    const s = new MjpegSplitter();
    const out = splitAt(s, Buffer.concat([a, b.subarray(0, Math.floor(b.length / 2)), c]), [7, 300]);
    expect(same(out, [a, c])).toBe(true);
    expect(s.drops.truncated).toBe(1);
  });

  it('skips a frame whose structure is broken and resynchronises on the next SOI', () => {
    const [a, b] = jpegs as [Buffer, Buffer];
    const broken = Buffer.from(a);
    broken[2] = 0x12; // where the first marker after SOI must be
    const s = new MjpegSplitter();
    expect(same(splitAt(s, Buffer.concat([broken, b]), []), [b])).toBe(true);
    expect(s.drops.corrupt).toBe(1);
  });

  it('gives up on a frame larger than the limit and finds the next one', () => {
    const [big, small] = [...jpegs].sort((x, y) => y.length - x.length) as [Buffer, Buffer];
    for (const cuts of [[], randomCuts(new SeededRandom(1), big.length + small.length, 64)]) {
      const s = new MjpegSplitter(big.length - 1);
      expect(same(splitAt(s, Buffer.concat([big, Buffer.from('zz'), small]), cuts), [small])).toBe(true);
      expect(s.drops.oversize).toBe(1);
    }
  });
});

describe('I420Splitter', () => {
  it('frame size is stride x height x 3/2, stride included', () => {
    expect(i420FrameBytes({ width: 448, height: 256, stride: 512 })).toBe(512 * 256 * 1.5);
    expect(() => new I420Splitter({ width: 450, height: 256, stride: 448 })).toThrow(/stride: expected at least the width/);
    expect(() => new I420Splitter({ width: 451, height: 256, stride: 512 })).toThrow(/width: expected an even integer/);
  });

  it('splits random chunkings into whole frames in order; a partial last frame is counted as truncated', () => {
    const layout = { width: 20, height: 6, stride: 32 };
    const size = i420FrameBytes(layout);
    for (let trial = 0; trial < 200; trial++) {
      const rng = new SeededRandom(trial, 'i420-chunks');
      const frames = Array.from({ length: 1 + rng.int(6) }, () => Buffer.from(Array.from({ length: size }, () => rng.int(256))));
      const tail = rng.int(2) === 1 ? rng.int(size - 1) + 1 : 0;
      const stream = Buffer.concat([...frames, Buffer.alloc(tail, 7)]);
      const s = new I420Splitter(layout);
      const out = splitAt(s, stream, randomCuts(rng, stream.length, rng.int(2) ? 5 : 2 * size));
      expect(same(out, frames), `trial ${trial}`).toBe(true);
      expect(s.drops.truncated).toBe(tail > 0 ? 1 : 0);
    }
  });

  it('hands out a separate buffer per frame, so a held frame is never overwritten', () => {
    const layout = { width: 2, height: 2, stride: 2 };
    const s = new I420Splitter(layout);
    const [first] = s.push(Buffer.from([1, 1, 1, 1, 1, 1]));
    s.push(Buffer.from([2, 2, 2, 2, 2, 2]));
    expect([...(first as Buffer)]).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
