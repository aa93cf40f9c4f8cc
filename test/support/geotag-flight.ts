// Shared by the geotagging end-to-end tests: the sample flight's survey line, a `fieldeye run` with a given position config, footprint checks.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import { distanceM } from './nmea-track.js';
import { REPO_ROOT, runCli } from './run-cli.js';

export const SAMPLE_FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');

export interface ExpectedTrack {
  track: { startLatDeg: number; startLonDeg: number; headingDeg: number; speedMps: number; groundMslM: number; altAglM: number; startUtcMs: number };
  frames: Array<{ file: string; capturedAt: string; latDeg: number; lonDeg: number }>;
}

export function loadExpectedTrack(): ExpectedTrack {
  return JSON.parse(readFileSync(join(SAMPLE_FLIGHT, 'expected-track.json'), 'utf8')) as ExpectedTrack;
}

/** Where the sample flight's straight survey line is at time t (the frames' EXIF follow the same line). */
export function surveyLineAt(track: ExpectedTrack['track'], t: number): { latDeg: number; lonDeg: number } {
  const h = (track.headingDeg * Math.PI) / 180;
  const d = ((t - track.startUtcMs) / 1000) * track.speedMps;
  return {
    latDeg: track.startLatDeg + (d * Math.cos(h)) / 111_132,
    lonDeg: track.startLonDeg + (d * Math.sin(h)) / (111_320 * Math.cos((track.startLatDeg * Math.PI) / 180)),
  };
}

/** `fieldeye run` over the sample flight with these `position:` lines (paths relative to `work`); the validated results. */
export async function runSampleFlight(work: string, positionLines: string[]): Promise<Result[]> {
  const config = join(work, 'flight.yaml');
  writeFileSync(
    config,
    [
      'log: { level: warn }',
      `source: { type: images, dir: ${SAMPLE_FLIGHT} }`,
      'position:',
      ...positionLines.map((l) => `  ${l}`),
      'sinks: { mqtt: { enabled: false } }',
    ].join('\n') + '\n',
  );
  const out = join(work, 'results.jsonl');
  const run = await runCli(['run', '--config', config, '--out', out]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => ResultSchema.parse(JSON.parse(l)));
}

/** Nadir camera in level flight: the target is under the drone and the crop's side is the analytic one (Camera Module 3). */
export function expectNadirFootprint(r: Result, altAglM: number): void {
  const side = 2 * altAglM * Math.tan((20.5 * Math.PI) / 180) * (224 / 256);
  expect(r.footprintReason).toBeNull();
  expect(distanceM(r.target!, r.position!)).toBeLessThan(0.01);
  const ring = r.footprint!.coordinates[0]!;
  const edge = distanceM({ lonDeg: ring[0]![0], latDeg: ring[0]![1] }, { lonDeg: ring[1]![0], latDeg: ring[1]![1] });
  expect(Math.abs(edge / side - 1)).toBeLessThan(0.01);
}
