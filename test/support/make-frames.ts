// Test helper: writes a folder of N small, distinct JPEG frames (no EXIF: they replay in file-name order) for long flights.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** Frames frame-0000.jpg ... in `dir`; each a 96x96 image of its own colour so no two are byte-identical. */
export async function makeFrames(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `frame-${String(i).padStart(4, '0')}.jpg`;
    await sharp({
      create: { width: 96, height: 96, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 13) % 256 } },
    })
      .jpeg({ quality: 80 })
      .toFile(join(dir, name));
    names.push(name);
  }
  return names;
}
