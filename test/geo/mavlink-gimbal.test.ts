// Gimbal attitude from MAVLink GIMBAL_DEVICE_ATTITUDE_STATUS (a second process streams it over UDP) drives the ground footprint.
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { computeFootprint, rotationNedFromBody, type CameraGeometry } from '../../src/geo/footprint.js';
import { gimbalEarthAttitude, type Quaternion } from '../../src/geo/gimbal-attitude.js';
import { northEastM } from '../../src/geo/local-metres.js';
import { DEFAULT_TRACK_OPTIONS } from '../../src/geo/track.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';
import { openLiveMavlink, startFlightSender, type FlightScenario } from '../support/mavlink-flight.js';

const DEG = Math.PI / 180;
/** Camera Module 3 with the mount pointing straight down: what the footprint uses when no gimbal is reported. */
const CAMERA: CameraGeometry = {
  hfovDeg: 66,
  vfovDeg: 41,
  mount: { rollDeg: 0, pitchDeg: -90, yawDeg: 0 },
  crop: { resizeShorterPx: 256, cropPx: 224 },
  groundElevationMslM: null,
};

function frameAt(capturedAtMs: number): Frame {
  return { seq: 0, capturedAtMs, timeSource: 'sensor', bytes: Buffer.alloc(0), name: 'f0' };
}

describe('gimbal attitude from MAVLink', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** Streams the scenario from a second process into a live source; answers for a frame inside the stream. */
  async function flyAndLookUp(scenario: FlightScenario, gimbalMaxAgeMs = 1_000) {
    const source = await openLiveMavlink({ type: 'udp', host: '127.0.0.1', port: 0 }, { ...DEFAULT_TRACK_OPTIONS, gimbalMaxAgeMs });
    cleanups.push(() => source.close());
    const sender = startFlightSender(`udp:${source.port}`, { phases: [{ armed: true, ms: 1_500 }], ...scenario });
    cleanups.push(async () => {
      if (sender.child.exitCode === null) sender.child.kill();
    });
    await sender.done;
    const t = (source.track.newestMs as number) - 250;
    return { got: await source.positionFor(frameAt(t)), stats: source.stats };
  }

  it('earth frame, pitched 30° forward of nadir: the target is h·tan(30°) north of the drone, whatever the vehicle heading', async () => {
    const { got, stats } = await flyAndLookUp({ altAglM: 100, yawDeg: 90, gimbal: { pitchDeg: -60, yawDeg: 0, frame: 'earth' } });
    expect(stats.gimbal).toBeGreaterThan(5);
    expect(got.position, got.reason).not.toBeNull();
    const position = got.position!;
    expect(position.gimbal?.pitchDeg).toBeCloseTo(-60, 3);
    expect(position.attitude?.yawDeg).toBeCloseTo(90, 3);
    const fp = computeFootprint(position, CAMERA);
    expect(fp.reason).toBeNull();
    const offset = northEastM(position, fp.target!);
    const expected = 100 * Math.tan(30 * DEG);
    expect(Math.abs(offset.northM / expected - 1)).toBeLessThan(0.01);
    expect(Math.abs(offset.eastM)).toBeLessThan(0.01);
  });

  it('vehicle frame: the gimbal yaw is added to the vehicle heading (east here), and a stale gimbal falls back to the mount', async () => {
    const { got } = await flyAndLookUp({ altAglM: 100, yawDeg: 90, gimbal: { pitchDeg: -60, yawDeg: 0, frame: 'vehicle' } });
    const position = got.position!;
    expect(position.gimbal?.yawDeg).toBeCloseTo(90, 3);
    const offset = northEastM(position, computeFootprint(position, CAMERA).target!);
    const expected = 100 * Math.tan(30 * DEG);
    expect(Math.abs(offset.eastM / expected - 1)).toBeLessThan(0.01);
    expect(Math.abs(offset.northM)).toBeLessThan(0.01);

    // gimbalMaxAgeMs 0: gimbal attitudes are never used, the nadir mount puts the target under the drone.
    const { got: mountOnly } = await flyAndLookUp({ altAglM: 100, yawDeg: 90, gimbal: { pitchDeg: -60, yawDeg: 0, frame: 'vehicle' } }, 0);
    expect(mountOnly.position?.gimbal).toBeUndefined();
    const under = northEastM(mountOnly.position!, computeFootprint(mountOnly.position!, CAMERA).target!);
    expect(Math.hypot(under.northM, under.eastM)).toBeLessThan(0.01);
  });

  it("property: the earth-frame angles rebuild the quaternion's rotation, looking straight down included", () => {
    const rng = new SeededRandom(5, 'gimbal');
    for (let i = 0; i < 500; i++) {
      // Every 5th case exactly at nadir, where Z-Y-X angles are singular.
      const pitch = i % 5 === 0 ? -90 : rng.range(-90, 30);
      const [r, p, y] = [rng.range(-20, 20), pitch, rng.range(-180, 180)].map((d) => (d * DEG) / 2) as [number, number, number];
      const q: Quaternion = [
        Math.cos(r) * Math.cos(p) * Math.cos(y) + Math.sin(r) * Math.sin(p) * Math.sin(y),
        Math.sin(r) * Math.cos(p) * Math.cos(y) - Math.cos(r) * Math.sin(p) * Math.sin(y),
        Math.cos(r) * Math.sin(p) * Math.cos(y) + Math.sin(r) * Math.cos(p) * Math.sin(y),
        Math.cos(r) * Math.cos(p) * Math.sin(y) - Math.sin(r) * Math.sin(p) * Math.cos(y),
      ];
      const angles = gimbalEarthAttitude(q, 'earth', null)!;
      const expected = rotationNedFromBody({ rollDeg: (2 * r) / DEG, pitchDeg: pitch, yawDeg: (2 * y) / DEG });
      const rebuilt = rotationNedFromBody(angles);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) expect(rebuilt[a]![b]!).toBeCloseTo(expected[a]![b]!, 7);
    }
  });
});
