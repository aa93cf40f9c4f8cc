// Calibration and held-out frame sets: image files from a folder, an evenly spread selection, a content hash, and preprocessing through the pipeline's own code.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { preprocessImage } from '../vision/preprocess.js';
import type { PreprocessOptions } from '../vision/preprocess-types.js';
import type { FrameInputs } from './calibrate.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff'];

export interface FrameSet {
  /** Absolute or as-given paths, sorted by name. */
  files: string[];
  /** sha256 over every file's name and sha256, in order: names the exact set in a model card. */
  sha256: string;
}

/** Image files (by extension) directly in `dir`, sorted by name; a clear error when there is no such folder. */
export async function listImageFiles(dir: string, what: string): Promise<string[]> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`${what}: ${dir} is not a folder; pass a folder of JPEG/PNG frames`);
  const names = (await readdir(dir)).filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
  return names.map((n) => join(dir, n));
}

/** `count` of `files`, evenly spread (a flight's frames change along the track; the first N would all look alike). */
export function spreadSelection<T>(items: readonly T[], count: number): { chosen: T[]; rest: T[] } {
  if (count >= items.length) return { chosen: [...items], rest: [] };
  const picked = new Set<number>();
  for (let k = 0; k < count; k++) picked.add(Math.floor(((k + 0.5) * items.length) / count));
  return { chosen: items.filter((_, i) => picked.has(i)), rest: items.filter((_, i) => !picked.has(i)) };
}

/** Hash of a frame set: names (without folders) and contents, in order. */
export async function hashFrameSet(files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const bytes = await readFile(f);
    h.update(`${f.split(/[\\/]/).pop() ?? f}\0${createHash('sha256').update(bytes).digest('hex')}\n`);
  }
  return h.digest('hex');
}

/**
 * Decode every file once to find the usable ones (a corrupt frame is skipped and reported, not
 * fatal), then serve their tensors on demand through `preprocessImage`, exactly as the pipeline feeds them.
 */
export async function preprocessedFrames(
  files: readonly string[],
  options: PreprocessOptions,
): Promise<{ inputs: FrameInputs; usable: string[]; skipped: { file: string; reason: string }[] }> {
  const usable: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const cache = new Map<number, Float32Array>();
  for (const f of files) {
    try {
      const pre = await preprocessImage(await readFile(f), options);
      // Keep the first few tensors: small sets (tests, quick runs) then skip decoding twice.
      if (cache.size < 64) cache.set(usable.length, pre.input);
      usable.push(f);
    } catch (err) {
      skipped.push({ file: f, reason: (err as Error).message });
    }
  }
  const inputs: FrameInputs = {
    count: usable.length,
    dims: [1, 3, options.cropPx, options.cropPx],
    load: async (i) => {
      const cached = cache.get(i);
      if (cached) return cached;
      const file = usable[i];
      if (file === undefined) throw new RangeError(`frame ${i} of ${usable.length}`);
      return (await preprocessImage(await readFile(file), options)).input;
    },
  };
  return { inputs, usable, skipped };
}
