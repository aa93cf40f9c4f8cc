// The images frame source: capture order from EXIF times, name order without them, clear folder errors.
import { mkdtempSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImagesFrameSource } from '../../src/capture/images-frame-source.js';
import { readExifCaptureTime } from '../../src/capture/exif-capture-time.js';
import { silentLogger } from '../../src/platform/logger.js';

const FLIGHT = resolve(import.meta.dirname, '../fixtures/sample-flight');
const BAD = resolve(import.meta.dirname, '../fixtures/bad-frames');

async function collect(source: ImagesFrameSource) {
  const out = [];
  for await (const f of source.frames()) out.push(f);
  return out;
}

describe('ImagesFrameSource', () => {
  it('delivers frames in EXIF capture order with contiguous seq, whatever the file names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldeye-images-'));
    const files = readdirSync(FLIGHT)
      .filter((f) => f.endsWith('.jpg'))
      .sort();
    // Reverse the names so name order and capture order disagree.
    files.forEach((f, i) => copyFileSync(join(FLIGHT, f), join(dir, `img-${String(files.length - i).padStart(3, '0')}.jpg`)));
    const frames = await collect(await ImagesFrameSource.open(dir, silentLogger));
    expect(frames.map((f) => f.seq)).toEqual(files.map((_, i) => i));
    const times = frames.map((f) => f.capturedAtMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(frames.every((f) => f.timeSource === 'exif')).toBe(true);
    expect(frames[0]?.name).toBe(`img-${String(files.length).padStart(3, '0')}.jpg`);
  });

  it('honours maxFrames', async () => {
    const source = await ImagesFrameSource.open(FLIGHT, silentLogger, 3);
    expect(source.expectedCount).toBe(3);
    expect(await collect(source)).toHaveLength(3);
  });

  it('falls back to natural name order when frames have no EXIF time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldeye-images-'));
    for (const name of ['f10.png', 'f2.png', 'f1.png']) writeFileSync(join(dir, name), 'x');
    const frames = await collect(await ImagesFrameSource.open(dir, silentLogger));
    expect(frames.map((f) => f.name)).toEqual(['f1.png', 'f2.png', 'f10.png']);
    expect(frames.every((f) => f.timeSource === 'file-mtime')).toBe(true);
  });

  it('a missing or empty folder is a clear error', async () => {
    await expect(ImagesFrameSource.open('/nonexistent/frames', silentLogger)).rejects.toThrow(
      'source.dir /nonexistent/frames: cannot list it (ENOENT); point source.dir at a folder of JPEG/PNG frames',
    );
    const empty = mkdtempSync(join(tmpdir(), 'fieldeye-empty-'));
    await expect(ImagesFrameSource.open(empty, silentLogger)).rejects.toThrow(/no \.jpg, \.jpeg or \.png files in it/);
  });
});

describe('readExifCaptureTime', () => {
  it('reads DateTimeOriginal + SubSecTimeOriginal + OffsetTimeOriginal as UTC ms', async () => {
    const t = await readExifCaptureTime(join(FLIGHT, 'frame-001.jpg'));
    expect(t?.basis).toBe('offset');
    expect(t?.ms).toBeGreaterThan(Date.UTC(2000, 0, 1));
  });
  it('returns null for an image without EXIF and for a non-image', async () => {
    expect(await readExifCaptureTime(join(BAD, 'not-a-jpeg.jpg'))).toBeNull();
  });
});
