// End to end: `fieldeye run` with position.type mavlink (a .tlog written by node-mavlink) geotags each frame at its
// capture time from GLOBAL_POSITION_INT mapped off time_boot_ms, with relative_alt as the height for the footprint.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MavLinkProtocolV2, common, type MavLinkData } from 'node-mavlink';
import { describe, expect, it } from 'vitest';
import { expectNadirFootprint, loadExpectedTrack, runSampleFlight, surveyLineAt } from '../support/geotag-flight.js';
import { distanceM } from '../support/nmea-track.js';

describe('fieldeye run with a MAVLink .tlog as the position source', () => {
  it('geotags every frame by interpolation on the autopilot clock mapped to receive time, with target and footprint', async () => {
    const expected = loadExpectedTrack();
    const { track } = expected;
    const h = (track.headingDeg * Math.PI) / 180;
    // The autopilot booted 100 s before the first frame; packets reach the ground 20-100 ms after they are sent.
    const bootEpochMs = track.startUtcMs - 100_000;
    const protocol = new MavLinkProtocolV2(1, 1);
    const records: Buffer[] = [];
    let seq = 0;
    const record = (atMs: number, message: MavLinkData): void => {
      const time = Buffer.alloc(8);
      time.writeBigUInt64BE(BigInt(Math.round(atMs * 1000)));
      records.push(time, protocol.serialize(message, seq++ & 0xff));
    };
    for (let t = track.startUtcMs - 3_000; t <= track.startUtcMs + expected.frames.length * 2_000 + 3_000; t += 200) {
      const timeBootMs = t - bootEpochMs;
      const received = t + 20 + ((timeBootMs * 7919) % 80);
      const at = surveyLineAt(track, t);
      const [lat, lon] = [Math.round(at.latDeg * 1e7), Math.round(at.lonDeg * 1e7)];
      record(received, Object.assign(new common.GpsRawInt(), { fixType: 3, lat, lon, eph: 90, satellitesVisible: 10 }));
      record(
        received,
        Object.assign(new common.GlobalPositionInt(), {
          timeBootMs,
          lat,
          lon,
          alt: Math.round((track.groundMslM + track.altAglM) * 1000),
          relativeAlt: Math.round(track.altAglM * 1000),
          vx: Math.round(track.speedMps * Math.cos(h) * 100),
          vy: Math.round(track.speedMps * Math.sin(h) * 100),
          hdg: track.headingDeg * 100,
        }),
      );
      record(received + 1, Object.assign(new common.Attitude(), { timeBootMs: timeBootMs + 1, roll: 0, pitch: 0, yaw: h }));
    }
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-mavlink-e2e-'));
    writeFileSync(join(work, 'flight.tlog'), Buffer.concat(records));
    // No ground elevation: MAVLink's relative_alt is the height.
    const results = await runSampleFlight(work, ['type: mavlink', 'mavlink: { input: tlog, path: flight.tlog }', 'camera: { module: camera-module-3 }']);
    expect(results).toHaveLength(expected.frames.length);
    for (const r of results) {
      const frame = expected.frames.find((f) => f.file === r.frame.name)!;
      expect(r.positionReason).toBeNull();
      expect(r.position).toMatchObject({ source: 'mavlink', fixType: 3, satellites: 10, hdop: 0.9, altAglM: 60 });
      // The smallest delay (20 ms) remains in the mapping: 0.1 m at 5 m/s.
      expect(distanceM(r.position!, frame)).toBeLessThan(0.5);
      expect(r.position!.attitude!.yawDeg).toBeCloseTo(track.headingDeg, 3);
      expectNadirFootprint(r, track.altAglM);
    }
  });
});
