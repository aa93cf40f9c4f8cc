// Frame source over a folder of photos (JPEG/PNG): frames in capture order from EXIF, else by name.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Logger } from '../platform/logger.js';
import type { Frame, FrameSource } from './frame-source.js';
import { readExifCaptureTime } from './exif-capture-time.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

interface Entry {
  name: string;
  path: string;
  ms: number;
  timeSource: Frame['timeSource'];
}

const byName = new Intl.Collator('en', { numeric: true }).compare;

export class ImagesFrameSource implements FrameSource {
  private constructor(
    private readonly entries: Entry[],
    private readonly maxFrames: number,
  ) {}

  get expectedCount(): number {
    return Math.min(this.entries.length, this.maxFrames);
  }

  /** Lists and orders the folder up front so a bad folder fails at start, not mid-flight. */
  static async open(dir: string, logger: Logger, maxFrames = Infinity): Promise<ImagesFrameSource> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new Error(`source.dir ${dir}: cannot list it (${code}); point source.dir at a folder of JPEG/PNG frames`, {
        cause: err,
      });
    }
    const images = names.filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort(byName);
    if (images.length === 0) {
      throw new Error(`source.dir ${dir}: no .jpg, .jpeg or .png files in it; point source.dir at a folder of frames`);
    }
    const entries: Entry[] = [];
    let localAsUtc = 0;
    for (const name of images) {
      const path = join(dir, name);
      const exif = await readExifCaptureTime(path);
      if (exif) {
        if (exif.basis === 'local-as-utc') localAsUtc++;
        entries.push({ name, path, ms: exif.ms, timeSource: 'exif' });
      } else {
        const info = await stat(path);
        entries.push({ name, path, ms: info.mtimeMs, timeSource: 'file-mtime' });
      }
    }
    if (localAsUtc > 0) {
      logger.warn({ count: localAsUtc }, 'EXIF times without a time zone (no OffsetTimeOriginal or GPS time): taken as UTC');
    }
    // Capture order when every frame has an EXIF time; otherwise file names, which cameras number in order.
    if (entries.every((e) => e.timeSource === 'exif')) entries.sort((a, b) => a.ms - b.ms || byName(a.name, b.name));
    return new ImagesFrameSource(entries, maxFrames);
  }

  async *frames(): AsyncIterable<Frame> {
    const count = this.expectedCount;
    for (let seq = 0; seq < count; seq++) {
      if (this.#closed) return;
      const e = this.entries[seq] as Entry;
      // A file that vanished or cannot be read still becomes a frame; decoding reports it with its seq.
      const bytes = await readFile(e.path).catch(() => Buffer.alloc(0));
      yield { seq, capturedAtMs: e.ms, timeSource: e.timeSource, bytes, name: e.name, path: e.path };
    }
  }

  /** Ends an iteration in progress after the frame it is on: nothing more is read. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #closed = false;
}
