// End to end: `fieldeye run` with position.type nmea (a log file) interpolates each frame's position at its capture
// time and publishes the ground target and footprint; results validate against the strict result schema.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNadirFootprint, loadExpectedTrack, runSampleFlight, surveyLineAt } from '../support/geotag-flight.js';
import { distanceM, nmeaFor, type TrackPoint } from '../support/nmea-track.js';

describe('fieldeye run with an NMEA log as the position source', () => {
  it('geotags every frame by interpolation at its capture time, with fix quality, target and footprint', async () => {
    const expected = loadExpectedTrack();
    const { track } = expected;
    // The same survey line as the frames' EXIF, as a 1 Hz receiver on whole seconds would log it (frames fall between fixes).
    const first = Math.floor(track.startUtcMs / 1000) * 1000 - 3000;
    const points: TrackPoint[] = [];
    for (let t = first; t <= track.startUtcMs + expected.frames.length * 2000 + 3000; t += 1000) {
      points.push({ timeMs: t, ...surveyLineAt(track, t), altMslM: track.groundMslM + track.altAglM });
    }
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-nmea-e2e-'));
    writeFileSync(join(work, 'flight.nmea'), nmeaFor(points, { courseDeg: track.headingDeg, speedKn: track.speedMps / (1852 / 3600) }));
    const results = await runSampleFlight(work, [
      'type: nmea',
      'nmea: { input: file, path: flight.nmea }',
      `camera: { module: camera-module-3, groundElevationMslM: ${track.groundMslM} }`,
    ]);
    expect(results).toHaveLength(expected.frames.length);
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
      expectNadirFootprint(r, track.altAglM);
    }
  });
});
