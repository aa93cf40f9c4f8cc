// GpsdPositionSource drops gpsd reports with values that cannot be true (latitude 91, -5 satellites used, 30 February) and counts them as garbled.
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { GpsdPositionSource } from '../../src/geo/gpsd-position-source.js';
import { DEFAULT_TRACK_OPTIONS } from '../../src/geo/track.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const tpv = (ms: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    class: 'TPV',
    device: '/dev/ttyACM0',
    mode: 3,
    time: iso(ms),
    lat: 48.1173,
    lon: 11.516666667,
    altMSL: 545.4,
    speed: 11.5,
    track: 84.4,
    ...extra,
  });
const sky = (extra: Record<string, unknown> = {}) => JSON.stringify({ class: 'SKY', device: '/dev/ttyACM0', hdop: 0.9, uSat: 10, nSat: 12, ...extra });

// Lines as gpsd's JSON would carry them, each with one value that cannot be true.
const IMPOSSIBLE = [
  sky({ uSat: -5 }),
  sky({ uSat: 7.5 }),
  sky({ hdop: -1 }),
  tpv(T0 + 2000, { lat: 91 }),
  tpv(T0 + 2000, { lon: -200.5 }),
  tpv(T0 + 2000, { mode: 7 }),
  tpv(T0 + 2000, { speed: -3 }),
  tpv(T0 + 2000, { track: 400 }),
  tpv(T0 + 2000, { lat: '48.1' }),
  tpv(T0 + 2000, { time: '2026-02-30T12:00:02.000Z' }),
  tpv(T0 + 2000, { time: '2026-11-27T24:00:02.000Z' }),
  JSON.stringify({ class: 'ATT', time: iso(T0 + 2000), heading: 500, pitch: 1, roll: 2 }),
];

function frameAt(capturedAtMs: number): Frame {
  return { seq: 0, capturedAtMs, timeSource: 'sensor', bytes: Buffer.alloc(0), name: 'f' };
}

describe('GpsdPositionSource with impossible values in gpsd reports', () => {
  it('drops each report whole, counts it as garbled, and no value of it reaches a position', async () => {
    // Never connected: the reports are fed as recorded gpsd output.
    const source = new GpsdPositionSource({
      host: '127.0.0.1',
      port: 1,
      track: { ...DEFAULT_TRACK_OPTIONS, maxGapMs: 5_000, retentionMs: 3_600_000 },
      waitForSampleMs: 0,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
    });
    source.onLine(sky());
    source.onLine(tpv(T0));
    source.onLine(tpv(T0 + 1000));
    for (const line of IMPOSSIBLE) source.onLine(line);
    source.onLine(tpv(T0 + 3000, { lat: 48.1174 }));
    expect(source.stats).toMatchObject({ tpv: 3, att: 0, unusable: IMPOSSIBLE.length });
    expect(source.health()).toMatchObject({ garbled: IMPOSSIBLE.length, satellites: 10, hdop: 0.9 });
    expect(source.track.size).toBe(3);
    expect(source.track.attitudeAt(T0 + 2000)).toBeNull();

    for (let t = T0; t <= T0 + 3000; t += 250) {
      const got = await source.positionFor(frameAt(t));
      expect(got.position, got.reason).not.toBeNull();
      expect(got.position).toMatchObject({ satellites: 10, hdop: 0.9, fixType: 3 });
      expect(got.position!.latDeg).toBeGreaterThanOrEqual(48.1173);
      expect(got.position!.latDeg).toBeLessThanOrEqual(48.1174);
      expect(got.position!.lonDeg).toBeCloseTo(11.516666667, 9);
    }
    await source.close();
  });

  it('keeps what gpsd sends at the edges: the poles, the antimeridian, track 360, no fix without a position', () => {
    const source = new GpsdPositionSource({
      host: '127.0.0.1',
      port: 1,
      track: DEFAULT_TRACK_OPTIONS,
      waitForSampleMs: 0,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
    });
    source.onLine(sky({ uSat: 0, hdop: 0 }));
    source.onLine(tpv(T0, { lat: -90, lon: 180, track: 360, speed: 0 }));
    source.onLine(JSON.stringify({ class: 'TPV', mode: 1, time: iso(T0 + 1000) }));
    source.onLine(JSON.stringify({ class: 'ATT', time: iso(T0 + 1000), heading: 359.9, pitch: -89, roll: 179 }));
    expect(source.stats).toMatchObject({ tpv: 2, att: 1, unusable: 0 });
    expect(source.track.at(T0).fix).toMatchObject({ latDeg: -90, lonDeg: 180, satellites: 0 });
    expect(source.track.at(T0 + 1000).fix).toBeNull();
  });
});
