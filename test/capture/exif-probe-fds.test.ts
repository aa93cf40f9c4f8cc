// Probing EXIF of a 0-byte or unreadable image closes its file every time: 50 probes leave the open descriptors as they were.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readExifCaptureTime } from '../../src/capture/exif-capture-time.js';
import { ImagesFrameSource } from '../../src/capture/images-frame-source.js';
import { readPhotoMetadata } from '../../src/flight/photo-metadata.js';
import { silentLogger } from '../../src/platform/logger.js';

const work = mkdtempSync(join(tmpdir(), 'fieldeye-exif-fds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('EXIF probing of bad files', () => {
  it('a 0-byte, a garbage and a truncated JPEG file: 50 probes each by path, no descriptor left open', async () => {
    const empty = join(work, 'empty.jpg');
    const garbage = join(work, 'garbage.jpg');
    const truncated = join(work, 'truncated.jpg');
    writeFileSync(empty, '');
    writeFileSync(garbage, Buffer.from('not a picture at all, just words'));
    writeFileSync(truncated, Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 0x45, 0x78]));
    const before = openFds();
    for (let i = 0; i < 50; i++) {
      for (const file of [empty, garbage, truncated]) {
        expect(await readExifCaptureTime(file)).toBeNull();
        await readPhotoMetadata(file);
      }
    }
    expect(openFds()).toBe(before);
  });

  it('a folder source with a 0-byte frame opens without leaking and still yields that frame (decode reports it later)', async () => {
    const dir = join(work, 'frames');
    rmSync(dir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}.jpg`), '');
    const before = openFds();
    const source = await ImagesFrameSource.open(dir, silentLogger);
    expect(openFds()).toBe(before);
    let count = 0;
    for await (const frame of source.frames()) {
      expect(frame.bytes.length).toBe(0);
      count++;
    }
    expect(count).toBe(20);
    await source.close();
  });
});
