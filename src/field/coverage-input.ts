// What `fieldeye coverage` reads: the results (a file, or a flight folder's results.jsonl) and, when a recording is
// at hand, per frame the exposure time, the frame size and the telemetry ground speed for the blur check.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Pair } from 'polygon-clipping';
import { readFlight, readResults, type RecordedFlight } from '../flight/flight-reader.js';
import { FLIGHT_FILES, frameExposureUs, type FixRecord, type FrameRecord } from '../flight/recording-format.js';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import type { Result } from '../publish/result-schema.js';
import type { CoverageFrame } from './coverage-frame.js';

/** The pipeline's default crop (Resize 256, CenterCrop 224): the footprint is this share of the image's shorter side. */
const CROP_SHARE = 224 / 256;
/** A telemetry speed further than this from the frame's time is not the speed at the frame. */
const SPEED_WINDOW_MS = 1_000;

export interface CoverageInput {
  results: Result[];
  /** The recording the results came from, when known. */
  flight: RecordedFlight | null;
  problems: string[];
}

export async function readCoverageInput(path: string, flightDir: string | undefined): Promise<CoverageInput> {
  const isDir = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  if (isDir && flightDir !== undefined) throw new FieldeyeError('input', '--flight: give it only with a results file (the folder is the flight already)');
  const flight = isDir ? await readFlight(path) : flightDir !== undefined ? await readFlight(flightDir) : null;
  const resultsPath = isDir ? join(path, FLIGHT_FILES.results) : path;
  const missing = statSync(resultsPath, { throwIfNoEntry: false }) === undefined;
  if (missing && !isDir) throw new FieldeyeError('input', `${path}: no such results file`);
  const read = missing ? { items: [], problems: [] } : await readResults(resultsPath);
  if (isDir && read.items.length === 0) {
    // A simulated or imported flight has frames but no results yet.
    throw new FieldeyeError(
      'input',
      `${path}: no results in ${FLIGHT_FILES.results}; replay the flight with --out results.jsonl and give that file (with --flight ${path})`,
    );
  }
  return { results: read.items, flight, problems: [...(flight?.problems ?? []), ...read.problems] };
}

/** The nearest telemetry ground speed within SPEED_WINDOW_MS, by binary search over the time-ordered fixes. */
function speedAt(fixes: readonly FixRecord[], timeMs: number): number | null {
  let lo = 0;
  let hi = fixes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((fixes[mid] as FixRecord).timeMs < timeMs) lo = mid + 1;
    else hi = mid;
  }
  const near = [fixes[lo - 1], fixes[lo]].filter((f): f is FixRecord => f !== undefined && Math.abs(f.timeMs - timeMs) <= SPEED_WINDOW_MS);
  near.sort((a, b) => Math.abs(a.timeMs - timeMs) - Math.abs(b.timeMs - timeMs));
  return near[0]?.speedMps ?? null;
}

async function framePixels(flight: RecordedFlight, frame: FrameRecord): Promise<number | null> {
  if (frame.raw) return Math.min(frame.raw.width, frame.raw.height) * CROP_SHARE;
  try {
    // Header only: the frame size, not the pixels.
    const meta = await sharp(join(flight.dir, frame.file)).metadata();
    return meta.width && meta.height ? Math.min(meta.width, meta.height) * CROP_SHARE : null;
  } catch {
    return null;
  }
}

/** The check's view of one result: footprint and position, plus what the recording knows about its frame. */
export function resultFrame(r: Result): CoverageFrame {
  const position: Pair | null = r.position ? [r.position.lonDeg, r.position.latDeg] : null;
  const ring = r.footprint?.coordinates[0];
  return {
    seq: r.seq,
    capturedAtMs: Date.parse(r.capturedAt),
    position,
    footprint: ring ? ring.map((p): Pair => [p[0], p[1]]) : null,
    speedMps: null,
    exposureS: null,
    footprintPx: null,
  };
}

/**
 * The frames of the check. Each takes the exposure its recording says (frames.jsonl `source.exposureUs`);
 * `exposureUs`, the operator's --exposure-us, overrides it for every frame. Frame sizes are read (image headers) only
 * when some exposure is known, since only the blur check needs them.
 */
export async function coverageFrames(input: CoverageInput, exposureUs: number | undefined): Promise<CoverageFrame[]> {
  const flight = input.flight;
  const records = new Map((flight?.frames ?? []).map((f) => [f.name, f]));
  const fixes = (flight?.telemetry ?? []).filter((t): t is FixRecord => t.kind === 'fix' && t.speedMps !== null);
  const frames: CoverageFrame[] = [];
  for (const r of input.results) {
    const frame = resultFrame(r);
    const record = records.get(r.frame.name);
    const us = exposureUs ?? (record ? frameExposureUs(record.source) : null);
    frame.exposureS = us !== null ? us / 1e6 : null;
    frame.speedMps = fixes.length > 0 ? speedAt(fixes, frame.capturedAtMs) : null;
    if (frame.exposureS !== null && flight && record) frame.footprintPx = await framePixels(flight, record);
    frames.push(frame);
  }
  return frames;
}
