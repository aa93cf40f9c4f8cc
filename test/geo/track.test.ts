// Tests of the time-indexed track: interpolation, extrapolation bounds, no-fix, gaps, time resets, bounded memory.
import { describe, expect, it } from 'vitest';
import { Track, type FixSample } from '../../src/geo/track.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

function fix(timeMs: number, latDeg: number, lonDeg: number, altMslM: number | null = 100, extra: Partial<FixSample> = {}): FixSample {
  return {
    timeMs,
    fix: { latDeg, lonDeg, altMslM, altAglM: null },
    fixType: 3,
    hdop: 0.9,
    satellites: 12,
    courseDeg: null,
    speedMps: null,
    ...extra,
  };
}

function noFix(timeMs: number): FixSample {
  return { timeMs, fix: null, fixType: 0, hdop: null, satellites: 0, courseDeg: null, speedMps: null };
}

describe('Track', () => {
  it('interpolates lat, lon and altitude linearly between the bracketing samples', () => {
    const track = new Track();
    track.addFix(fix(T0, 50, 10, 100));
    track.addFix(fix(T0 + 1000, 50.001, 10.002, 110));
    const got = track.at(T0 + 250);
    expect(got.fix).not.toBeNull();
    expect(got.fix?.latDeg).toBeCloseTo(50.00025, 9);
    expect(got.fix?.lonDeg).toBeCloseTo(10.0005, 9);
    expect(got.fix?.altMslM).toBeCloseTo(102.5, 9);
    expect(got.fix?.sampleAgeMs).toBe(250);
    expect(track.at(T0 + 1000).fix?.latDeg).toBe(50.001);
  });

  it('interpolates longitude across the antimeridian and yaw across north on the circle', () => {
    const track = new Track();
    track.addFix(fix(T0, 0, 179.9));
    track.addFix(fix(T0 + 1000, 0, -179.9));
    track.addAttitude({ timeMs: T0, rollDeg: 0, pitchDeg: 0, yawDeg: 350 });
    track.addAttitude({ timeMs: T0 + 1000, rollDeg: 0, pitchDeg: 0, yawDeg: 10 });
    const mid = track.at(T0 + 500).fix;
    expect(Math.abs(Math.abs(mid?.lonDeg ?? 0) - 180)).toBeLessThan(1e-9);
    expect(mid?.attitude?.yawDeg).toBeCloseTo(0, 9);
    expect(track.at(T0 + 250).fix?.attitude?.yawDeg).toBeCloseTo(355, 9);
  });

  it('extrapolates past the newest sample along its velocity, only within the bound', () => {
    const track = new Track({ maxExtrapolationMs: 200 });
    track.addFix(fix(T0, 50, 10));
    track.addFix(fix(T0 + 1000, 50.001, 10));
    const ahead = track.at(T0 + 1200);
    expect(ahead.fix?.latDeg).toBeCloseTo(50.0012, 9);
    expect(ahead.fix?.sampleAgeMs).toBe(200);
    const stale = track.at(T0 + 1201);
    expect(stale.fix).toBeNull();
    expect(stale.reason).toMatch(/^stale: .* 201 ms before the frame/);
    expect(track.at(T0 - 201).reason).toMatch(/before the oldest position sample/);
  });

  it('gives no position across a telemetry gap, with the gap in the reason', () => {
    const track = new Track({ maxGapMs: 2000 });
    track.addFix(fix(T0, 50, 10));
    track.addFix(fix(T0 + 5000, 50.001, 10));
    const got = track.at(T0 + 2500);
    expect(got.fix).toBeNull();
    expect(got.reason).toMatch(/telemetry gap: .*5000 ms > maxGapMs 2000/);
  });

  it('reports no fix when the receiver said so, and holds a fix only within the extrapolation bound', () => {
    const track = new Track({ maxExtrapolationMs: 200 });
    track.addFix(noFix(T0));
    track.addFix(noFix(T0 + 1000));
    track.addFix(fix(T0 + 2000, 50, 10));
    expect(track.at(T0 + 500).reason).toMatch(/^no GPS fix/);
    expect(track.at(T0 + 1500).reason).toMatch(/^no GPS fix/);
    expect(track.at(T0 + 1850).fix?.latDeg).toBe(50);
    expect(track.at(T0 - 100).reason).toMatch(/^no GPS fix/);
  });

  it('starts over when time jumps backwards by more than the gap limit, and counts it', () => {
    const track = new Track({ maxGapMs: 2000 });
    track.addFix(fix(T0 + 3_600_000, 50, 10));
    track.addFix(fix(T0 + 3_601_000, 50, 10));
    track.addFix(fix(T0, 40, 20));
    expect(track.resets).toBe(1);
    expect(track.size).toBe(1);
    expect(track.at(T0).fix?.latDeg).toBe(40);
  });

  it('accepts samples that arrive slightly out of order', () => {
    const track = new Track();
    track.addFix(fix(T0, 50, 10));
    track.addFix(fix(T0 + 2000, 50.002, 10));
    track.addFix(fix(T0 + 1000, 50.001, 10));
    expect(track.resets).toBe(0);
    expect(track.at(T0 + 1500).fix?.latDeg).toBeCloseTo(50.0015, 9);
  });

  it('keeps memory bounded by time and by count', () => {
    const byTime = new Track({ retentionMs: 10_000, maxSamples: 1_000_000 });
    for (let i = 0; i < 10_000; i++) byTime.addFix(fix(T0 + i * 100, 50, 10));
    expect(byTime.size).toBe(101);
    const byCount = new Track({ retentionMs: 1e12, maxSamples: 500 });
    for (let i = 0; i < 10_000; i++) byCount.addFix(fix(T0 + i * 100, 50, 10));
    expect(byCount.size).toBe(500);
    expect(byCount.at(T0).fix).toBeNull();
  });

  it('releases a waiter when a sample at or after its time arrives', async () => {
    const track = new Track();
    track.addFix(fix(T0, 50, 10));
    let released = false;
    const wait = track.waitForSampleAfter(T0 + 500, 60_000).then(() => (released = true));
    track.addFix(fix(T0 + 400, 50, 10));
    await Promise.resolve();
    expect(released).toBe(false);
    track.addFix(fix(T0 + 600, 50, 10));
    await wait;
    expect(released).toBe(true);
  });

  describe('properties over random tracks', () => {
    const rng = new SeededRandom(5, 'track-properties');
    const cases = Array.from({ length: 200 }, (_, k) => k);

    it.each(cases)('case %i: interpolated points lie between their samples and reproduce them at sample times', () => {
      const track = new Track({ maxGapMs: 10_000, retentionMs: 1e9, maxSamples: 1e6 });
      const samples: FixSample[] = [];
      let t = T0;
      let lat = rng.range(-80, 80);
      let lon = rng.range(-180, 180);
      for (let i = 0; i < 20; i++) {
        t += 50 + rng.int(2000);
        lat = Math.max(-89, Math.min(89, lat + rng.range(-0.01, 0.01)));
        lon = ((lon + rng.range(-0.01, 0.01) + 540) % 360) - 180;
        samples.push(fix(t, lat, lon, rng.range(0, 500)));
      }
      // Reorder neighbours, as a lossy link does (a full shuffle would be a time reset, tested above).
      const shuffled = [...samples];
      for (let i = 0; i + 1 < shuffled.length; i += 2) {
        if (rng.uniform() < 0.5) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1] as FixSample, shuffled[i] as FixSample];
      }
      for (const s of shuffled) track.addFix(s);
      for (const s of samples) expect(track.at(s.timeMs).fix?.latDeg).toBe(s.fix?.latDeg);
      for (let i = 0; i + 1 < samples.length; i++) {
        const a = samples[i] as FixSample;
        const b = samples[i + 1] as FixSample;
        const q = a.timeMs + rng.uniform() * (b.timeMs - a.timeMs);
        const got = track.at(q).fix;
        expect(got).not.toBeNull();
        const [lo, hi] = [Math.min(a.fix!.latDeg, b.fix!.latDeg), Math.max(a.fix!.latDeg, b.fix!.latDeg)];
        expect(got!.latDeg).toBeGreaterThanOrEqual(lo - 1e-12);
        expect(got!.latDeg).toBeLessThanOrEqual(hi + 1e-12);
        expect(got!.sampleAgeMs).toBeLessThanOrEqual((b.timeMs - a.timeMs) / 2 + 1e-9);
        // Longitude moves less than 0.02° between samples, so the shortest arc never exceeds that.
        const dLon = Math.abs(((got!.lonDeg - a.fix!.lonDeg + 540) % 360) - 180);
        expect(dLon).toBeLessThanOrEqual(0.02);
      }
    });
  });
});
