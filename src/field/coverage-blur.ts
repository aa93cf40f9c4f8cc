// Motion blur per frame: the ground moves speed x exposure metres while the shutter is open; more than one ground
// sampling distance (footprint width / pixels across it) smears detail the classifier needs.
import type { Pair } from 'polygon-clipping';
import { COVERAGE_MAX_SEQS, type Coverage } from '../publish/coverage-schema.js';
import type { CoverageFrame } from './coverage-frame.js';
import { ringArea } from './coverage-geometry.js';

/** Neighbouring positions further apart in time than this say nothing about the speed at the frame (a pause, a gap). */
const MAX_SPEED_BASE_MS = 10_000;

type ToMetres = (p: Pair) => Pair;

/** Ground speed from the positions of the frames before and after (each frame's own telemetry speed wins). */
function derivedSpeeds(ordered: readonly CoverageFrame[], toMetres: ToMetres): Array<number | null> {
  const placed = ordered.map((f) => (f.position ? toMetres(f.position) : null));
  const nearest = (i: number, step: -1 | 1): number | null => {
    for (let j = i + step; j >= 0 && j < ordered.length; j += step) {
      if (Math.abs((ordered[j] as CoverageFrame).capturedAtMs - (ordered[i] as CoverageFrame).capturedAtMs) > MAX_SPEED_BASE_MS) return null;
      if (placed[j]) return j;
    }
    return null;
  };
  return ordered.map((f, i) => {
    if (f.speedMps !== null) return f.speedMps;
    const a = nearest(i, -1) ?? (placed[i] ? i : null);
    const b = nearest(i, 1) ?? (placed[i] ? i : null);
    if (a === null || b === null || a === b) return null;
    const [pa, pb] = [placed[a] as Pair, placed[b] as Pair];
    const dt = ((ordered[b] as CoverageFrame).capturedAtMs - (ordered[a] as CoverageFrame).capturedAtMs) / 1000;
    return dt > 0 ? Math.hypot(pb[0] - pa[0], pb[1] - pa[1]) / dt : null;
  });
}

function note(missing: { exposure: number; speed: number; pixels: number }): string | null {
  const parts = [
    missing.exposure > 0
      ? `${missing.exposure} without a known exposure time (the recording has no source.exposureUs for them: give --exposure-us, or --flight with the recording)`
      : '',
    missing.speed > 0 ? `${missing.speed} without a ground speed (no telemetry speed and no neighbouring positions)` : '',
    missing.pixels > 0 ? `${missing.pixels} without a known frame size (give the flight folder with --flight)` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? `blur not checkable for frames: ${parts.join('; ')}` : null;
}

/** Frames with a footprint are checked when exposure, speed and frame size are all known; the rest are counted. */
export function blurCheck(frames: readonly CoverageFrame[], toMetres: ToMetres | null): Coverage['blur'] {
  const ordered = [...frames].sort((a, b) => a.capturedAtMs - b.capturedAtMs || a.seq - b.seq);
  const speeds = toMetres ? derivedSpeeds(ordered, toMetres) : ordered.map(() => null);
  const missing = { exposure: 0, speed: 0, pixels: 0 };
  const blurred: number[] = [];
  let checked = 0;
  ordered.forEach((f, i) => {
    if (!f.footprint || !toMetres) return;
    const speed = speeds[i] ?? null;
    if (f.exposureS === null) missing.exposure++;
    else if (speed === null) missing.speed++;
    else if (f.footprintPx === null || f.footprintPx <= 0) missing.pixels++;
    else {
      checked++;
      // The crop is square on the image; on the ground its side is about the square root of its area.
      const gsdM = Math.sqrt(ringArea(f.footprint.map(toMetres))) / f.footprintPx;
      if (speed * f.exposureS > gsdM) blurred.push(f.seq);
    }
  });
  blurred.sort((a, b) => a - b);
  return {
    checked,
    blurred: { count: blurred.length, seqs: blurred.slice(0, COVERAGE_MAX_SEQS) },
    notCheckable: missing.exposure + missing.speed + missing.pixels,
    note: note(missing),
  };
}
