// End to end: `fieldeye run` geotagging from an NMEA log whose checksums are right but some values impossible (-5 satellites, latitude 91) or a fix gpsd would deny (0 satellites used).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nmeaChecksum } from '../../src/geo/nmea-sentence.js';
import { runSampleFlight } from '../support/geotag-flight.js';
import { distanceM } from '../support/nmea-track.js';
import { sampleFlightExpected, sampleFlightNmea } from '../support/sample-flight-nmea.js';

describe('fieldeye run with an NMEA log that lies', () => {
  it('impossible values never reach a result, and a GGA fix with 0 satellites used is no fix', async () => {
    const expected = sampleFlightExpected();
    const { points, nmea } = sampleFlightNmea(expected);
    const lines = nmea.trim().split('\r\n');
    // Six sentences per epoch (GGA, GSA, 3 x GSV, RMC); epoch 3 + 2k is the whole second just before frame k (.250).
    const edit = (epoch: number, offset: 0 | 5, from: RegExp, to: string) => {
      const line = lines[epoch * 6 + offset] as string;
      const body = line.slice(1, line.lastIndexOf('*'));
      const changed = body.replace(from, to);
      expect(changed).not.toBe(body);
      lines[epoch * 6 + offset] = `$${changed}*${nmeaChecksum(changed)}`;
    };
    edit(3 + 2 * 1, 0, /,1,10,/, ',1,-5,'); // frame 1's nearest GGA: -5 satellites used
    edit(3 + 2 * 3 + 1, 0, /,\d{4}\.\d{5},N,/, ',9130.00000,N,'); // 750 ms after frame 3: GGA and RMC at latitude 91.5
    edit(3 + 2 * 3 + 1, 5, /,\d{4}\.\d{5},N,/, ',9130.00000,N,');
    edit(3 + 2 * 5, 0, /,1,10,/, ',1,00,'); // 250 ms before frame 5: quality 1, 0 satellites used
    expect(points.length * 6).toBe(lines.length);
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-nmea-lies-'));
    writeFileSync(join(work, 'flight.nmea'), lines.join('\r\n') + '\r\n');

    const results = await runSampleFlight(work, [
      'type: nmea',
      'nmea: { input: file, path: flight.nmea }',
      `camera: { module: camera-module-3, groundElevationMslM: ${expected.track.groundMslM} }`,
    ]);
    expect(results).toHaveLength(expected.frames.length);
    for (const [k, r] of results.entries()) {
      if (k === 5) {
        // Its nearest epoch is no fix (gpsd's rule) and the next fix is 750 ms away: no position, and why.
        expect(r.position).toBeNull();
        expect(r.positionReason).toMatch(/^no GPS fix: the receiver reported no fix at /);
        continue;
      }
      expect(r.position, `${r.frame.name}: ${r.positionReason}`).not.toBeNull();
      const p = r.position!;
      expect(p.latDeg).toBeLessThan(90);
      // Frame 1's nearest epoch kept its RMC only: no satellite count rather than -5.
      expect(p.satellites).toBe(k === 1 ? null : 10);
      expect(distanceM(p, expected.frames[k]!)).toBeLessThan(0.5);
    }
  });
});
