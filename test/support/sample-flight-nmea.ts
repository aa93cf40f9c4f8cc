// Test helper: the sample flight's survey line (test/fixtures/sample-flight/expected-track.json) as a 1 Hz NMEA log on whole seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nmeaFor, type TrackPoint } from './nmea-track.js';
import { REPO_ROOT } from './run-cli.js';

export interface ExpectedTrack {
  track: { startLatDeg: number; startLonDeg: number; headingDeg: number; speedMps: number; groundMslM: number; altAglM: number; startUtcMs: number };
  frames: Array<{ file: string; capturedAt: string; latDeg: number; lonDeg: number }>;
}

export function sampleFlightExpected(): ExpectedTrack {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/sample-flight/expected-track.json'), 'utf8')) as ExpectedTrack;
}

/** Fixes from 3 s before the first frame to 3 s after the last (frames fall between fixes), and the log's text. */
export function sampleFlightNmea(expected: ExpectedTrack = sampleFlightExpected()): { points: TrackPoint[]; nmea: string } {
  const { track } = expected;
  const h = (track.headingDeg * Math.PI) / 180;
  const first = Math.floor(track.startUtcMs / 1000) * 1000 - 3000;
  const points: TrackPoint[] = [];
  for (let t = first; t <= track.startUtcMs + expected.frames.length * 2000 + 3000; t += 1000) {
    const d = ((t - track.startUtcMs) / 1000) * track.speedMps;
    points.push({
      timeMs: t,
      latDeg: track.startLatDeg + (d * Math.cos(h)) / 111_132,
      lonDeg: track.startLonDeg + (d * Math.sin(h)) / (111_320 * Math.cos((track.startLatDeg * Math.PI) / 180)),
      altMslM: track.groundMslM + track.altAglM,
    });
  }
  return { points, nmea: nmeaFor(points, { courseDeg: track.headingDeg, speedKn: track.speedMps / (1852 / 3600) }) };
}
