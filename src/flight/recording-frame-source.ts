// Frame source over a recorded flight folder: every frame in capture order, paced at a chosen speed, never dropped.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedFlight } from './flight-reader.js';
import { FrameGeotagSchema, type FrameRecord } from './recording-format.js';
import type { Frame, FrameSource } from '../capture/frame-source.js';

export interface RecordingFrameSourceOptions {
  /** 1 = real time, N = N times faster, 'max' = as fast as the pipeline takes them. */
  speed: number | 'max';
  /** Only frames captured in [fromMs, toMs] (ms since the epoch). */
  fromMs?: number;
  toMs?: number;
  maxFrames?: number;
  /** Play the selected frames this many times back to back (default 1); seq keeps counting, capture times repeat. */
  loops?: number;
  /** Aborting ends a wait for the next frame's time at once. */
  signal?: AbortSignal;
}

export class RecordingFrameSource implements FrameSource {
  readonly #records: FrameRecord[];

  constructor(
    private readonly flight: RecordedFlight,
    private readonly options: RecordingFrameSourceOptions,
  ) {
    const from = options.fromMs ?? -Infinity;
    const to = options.toMs ?? Infinity;
    this.#records = flight.frames.filter((f) => f.capturedAtMs >= from && f.capturedAtMs <= to).slice(0, options.maxFrames ?? Infinity);
    if (options.speed !== 'max' && !(options.speed > 0)) throw new Error(`--speed: expected a number above 0 or "max", received ${options.speed}`);
    if (options.loops !== undefined && !(Number.isInteger(options.loops) && options.loops >= 1))
      throw new Error(`--loop: expected a whole number of plays, at least 1, received ${options.loops}`);
  }

  get expectedCount(): number {
    return Math.min(this.#records.length * this.#loops, this.options.maxFrames ?? Infinity);
  }

  get #loops(): number {
    return this.options.loops ?? 1;
  }

  async *frames(): AsyncIterable<Frame> {
    const { speed, signal } = this.options;
    const firstMs = this.#records[0]?.capturedAtMs ?? 0;
    for (let loop = 0; loop < this.#loops; loop++) {
      const startedMs = performance.now();
      for (const [i, r] of this.#records.entries()) {
        if (signal?.aborted || this.#closed) return;
        const seq = loop * this.#records.length + i;
        // maxFrames bounds the whole replay, loops included.
        if (seq >= this.expectedCount) return;
        if (speed !== 'max') {
          // A late frame is delivered late, never skipped: a recording is replayed whole.
          const waitMs = startedMs + (r.capturedAtMs - firstMs) / speed - performance.now();
          if (waitMs > 0) {
            try {
              await sleep(waitMs, undefined, signal ? { signal } : {});
            } catch {
              return;
            }
          }
        }
        const path = join(this.flight.dir, r.file);
        // A missing or unreadable file still becomes a frame: decoding reports it with its seq, as for live frames.
        const bytes = await readFile(path).catch(() => Buffer.alloc(0));
        yield { seq, capturedAtMs: r.capturedAtMs, timeSource: r.timeSource, bytes, name: r.name, path, ...(r.raw ? { raw: r.raw } : {}), ...ownPosition(r) };
      }
    }
  }

  /** Ends an iteration in progress after the frame it is on: nothing more is read. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #closed = false;
}

/** An imported photo's geotag from its record (`source.geotag`); nothing when absent or unreadable (then telemetry answers). */
function ownPosition(r: FrameRecord): Pick<Frame, 'ownPosition'> {
  if (!('geotag' in r.source)) return {};
  const geotag = FrameGeotagSchema.safeParse(r.source['geotag']);
  return geotag.success ? { ownPosition: geotag.data } : {};
}
