// Shared inputs of the port contract suites: the sample flight as photos and as a recording, temp folders, and frame reading.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, FrameSource } from '../../src/capture/frame-source.js';
import { readFlight, type RecordedFlight } from '../../src/flight/flight-reader.js';
import { importImages } from '../../src/flight/import-images.js';
import { silentLogger } from '../../src/platform/logger.js';

/** Twelve real aerial photos with EXIF GPS and capture times (see its README). */
export const SAMPLE_FLIGHT_DIR = new URL('../fixtures/sample-flight/', import.meta.url).pathname;
/** Photos a geotagger cannot place: no GPS tags, empty, not a JPEG, cut short. */
export const BAD_FRAMES_DIR = new URL('../fixtures/bad-frames/', import.meta.url).pathname;

/** Temp folders of one test file, removed together at the end. */
export class TempDirs {
  readonly #made: string[] = [];

  async make(prefix = 'fieldeye-contract-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#made.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.#made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/**
 * The sample flight imported the way `fieldeye import images` does it, then read back: a real recording (frames,
 * EXIF telemetry, per-photo geotags) without a simulator run, so every suite replays the same flight.
 */
export async function sampleRecording(dirs: TempDirs): Promise<RecordedFlight> {
  const out = join(await dirs.make('fieldeye-contract-recording-'), 'flight');
  await importImages({ dir: SAMPLE_FLIGHT_DIR, out, droneId: 'contract-drone', flightId: 'contract-sample', logger: silentLogger });
  const flight = await readFlight(out);
  if (flight.problems.length > 0) throw new Error(`sample recording ${out} reads back with problems: ${flight.problems.join('; ')}`);
  return flight;
}

/** Frames from a source until it ends or `limit` came; `pauseMs` between frames plays a busy pipeline (a live source drops). */
export async function readFrames(source: FrameSource, limit = Infinity, pauseMs = 0): Promise<Frame[]> {
  const frames: Frame[] = [];
  if (limit <= 0) return frames;
  for await (const frame of source.frames()) {
    frames.push(frame);
    if (frames.length >= limit) break;
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return frames;
}

/** A frame at a capture time, for position lookups; `bytes` matter only to sources that read the image (EXIF). */
export function frameAt(capturedAtMs: number, seq = 0, bytes: Buffer = Buffer.alloc(0), name = `contract-${seq}`): Frame {
  return { seq, capturedAtMs, timeSource: 'sensor', bytes, name };
}
