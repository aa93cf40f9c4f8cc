// End to end: `fieldeye run` with position.type nmea (a log file) interpolates each frame's position at its capture
// time and publishes the ground target and footprint; results validate against the strict result schema.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';
import { distanceM, nmeaFor, type TrackPoint } from '../support/nmea-track.js';

const FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');

interface ExpectedTrack {
  track: { startLatDeg: number; startLonDeg: number; headingDeg: number; speedMps: number; groundMslM: number; altAglM: number; startUtcMs: number };
  frames: Array<{ file: string; capturedAt: string; latDeg: number; lonDeg: number }>;
}

describe('fieldeye run with an NMEA log as the position source', () => {
  it('geotags every frame by interpolation at its capture time, with fix quality, target and footprint', async () => {
    const expected = JSON.parse(readFileSync(join(FLIGHT, 'expected-track.json'), 'utf8')) as ExpectedTrack;
    const { track } = expected;
    // The same survey line as the frames' EXIF, as a 1 Hz receiver on whole seconds would log it (frames fall between fixes).
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
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-nmea-e2e-'));
    writeFileSync(join(work, 'flight.nmea'), nmeaFor(points, { courseDeg: track.headingDeg, speedKn: track.speedMps / (1852 / 3600) }));
    const config = join(work, 'flight.yaml');
    writeFileSync(
      config,
      [
        'log: { level: warn }',
        `source: { type: images, dir: ${FLIGHT} }`,
        'position:',
        '  type: nmea',
        '  nmea: { input: file, path: flight.nmea }',
        `  camera: { module: camera-module-3, groundElevationMslM: ${track.groundMslM} }`,
        'sinks: { mqtt: { enabled: false } }',
      ].join('\n') + '\n',
    );
    const out = join(work, 'results.jsonl');
    const run = await runCli(['run', '--config', config, '--out', out]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => ResultSchema.parse(JSON.parse(l)));
    expect(results).toHaveLength(expected.frames.length);
    const side = 2 * track.altAglM * Math.tan((20.5 * Math.PI) / 180) * (224 / 256);
    for (const r of results) {
      const frame = expected.frames.find((f) => f.file === r.frame.name);
      expect(r.positionReason).toBeNull();
      expect(r.position?.source).toBe('nmea');
      expect(r.position?.fixType).toBe(3);
      expect(r.position?.satellites).toBe(10);
      expect(r.position?.hdop).toBe(0.9);
      // Frames are at .250 s, fixes on whole seconds.
      expect(r.position?.sampleAgeMs).toBe(250);
      expect(distanceM(r.position!, frame!)).toBeLessThan(0.5);
      // Nadir camera, level flight (heading from the course over ground): the target is under the drone.
      expect(r.footprintReason).toBeNull();
      expect(distanceM(r.target!, r.position!)).toBeLessThan(0.01);
      const ring = r.footprint!.coordinates[0]!;
      const edge = distanceM({ lonDeg: ring[0]![0], latDeg: ring[0]![1] }, { lonDeg: ring[1]![0], latDeg: ring[1]![1] });
      expect(Math.abs(edge / side - 1)).toBeLessThan(0.01);
    }
  });
});
