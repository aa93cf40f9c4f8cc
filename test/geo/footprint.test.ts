// Tests of the ground footprint geometry against closed-form answers, plus property tests on random attitudes.
import { describe, expect, it } from 'vitest';
import { computeFootprint, cropHalfTangent, groundOffset, rotationNedFromBody, type CameraGeometry, type GroundPoint } from '../../src/geo/footprint.js';
import type { Position } from '../../src/geo/position-source.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';

/** Raspberry Pi Camera Module 3 (standard lens), from the Raspberry Pi camera hardware documentation. */
const CM3 = { hfovDeg: 66, vfovDeg: 41 };
const DEG = Math.PI / 180;

function camera(over: Partial<CameraGeometry> = {}): CameraGeometry {
  return {
    ...CM3,
    mount: { rollDeg: 0, pitchDeg: -90, yawDeg: 0 },
    crop: { resizeShorterPx: 256, cropPx: 224 },
    groundElevationMslM: null,
    ...over,
  };
}

function position(over: Partial<Position> = {}): Position {
  return {
    latDeg: 41.0349,
    lonDeg: -83.3052,
    altMslM: 376.2,
    altAglM: 100,
    source: 'mavlink',
    fixType: 3,
    hdop: 0.8,
    satellites: 14,
    sampleAgeMs: 0,
    courseDeg: null,
    attitude: { rollDeg: 0, pitchDeg: 0, yawDeg: 0 },
    ...over,
  };
}

/** Great-circle distance (spherical, mean radius): an independent check, about 0.3 % from the ellipsoid. */
function haversineM(a: GroundPoint, b: GroundPoint): number {
  const R = 6_371_008.8;
  const dLat = (b.latDeg - a.latDeg) * DEG;
  const dLon = (b.lonDeg - a.lonDeg) * DEG;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latDeg * DEG) * Math.cos(b.latDeg * DEG) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

function corners(fp: ReturnType<typeof computeFootprint>): GroundPoint[] {
  const ring = fp.footprint?.coordinates[0] ?? [];
  return ring.slice(0, 4).map(([lonDeg, latDeg]) => ({ latDeg, lonDeg }));
}

function contains(ring: Array<[number, number]>, p: GroundPoint): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > p.latDeg !== yj > p.latDeg && p.lonDeg < ((xj - xi) * (p.latDeg - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

describe('computeFootprint', () => {
  it('nadir at 100 m: the full frame is 2h·tan(FOV/2) wide and high, within 1 %', () => {
    const ned = rotationNedFromBody({ rollDeg: 0, pitchDeg: -90, yawDeg: 0 });
    const tx = Math.tan((CM3.hfovDeg / 2) * DEG);
    const ty = Math.tan((CM3.vfovDeg / 2) * DEG);
    const right = groundOffset(ned, tx, 0, 100)!;
    const left = groundOffset(ned, -tx, 0, 100)!;
    const top = groundOffset(ned, 0, -ty, 100)!;
    const bottom = groundOffset(ned, 0, ty, 100)!;
    const width = Math.hypot(right.northM - left.northM, right.eastM - left.eastM);
    const height = Math.hypot(top.northM - bottom.northM, top.eastM - bottom.eastM);
    // 66° x 41° at 100 m: 129.9 m x 74.8 m.
    expect(Math.abs(width / (2 * 100 * Math.tan(33 * DEG)) - 1)).toBeLessThan(0.01);
    expect(Math.abs(height / (2 * 100 * Math.tan(20.5 * DEG)) - 1)).toBeLessThan(0.01);
    expect(width).toBeCloseTo(129.88, 1);
  });

  it('nadir at 100 m: the 224 crop polygon is centred under the drone with the analytic side length, within 1 %', () => {
    const fp = computeFootprint(position(), camera());
    expect(fp.reason).toBeNull();
    const origin = { latDeg: 41.0349, lonDeg: -83.3052 };
    expect(haversineM(fp.target!, origin)).toBeLessThan(1e-6);
    // Shorter side (vertical, 41°) resized to 256, 224 kept: half-tangent tan(20.5°)·224/256.
    const side = 2 * 100 * Math.tan(20.5 * DEG) * (224 / 256);
    const c = corners(fp);
    expect(c).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      const edge = haversineM(c[i]!, c[(i + 1) % 4]!);
      expect(Math.abs(edge / side - 1)).toBeLessThan(0.01);
    }
    expect(cropHalfTangent(camera())).toBeCloseTo(Math.tan(20.5 * DEG) * 0.875, 12);
  });

  it('a camera tilted 30° forward puts the target h·tan(30°) ahead; a drone pitched 30° nose-down puts it behind', () => {
    const tilted = computeFootprint(
      position({ attitude: { rollDeg: 0, pitchDeg: 0, yawDeg: 90 } }),
      camera({ mount: { rollDeg: 0, pitchDeg: -60, yawDeg: 0 } }),
    );
    const origin = { latDeg: 41.0349, lonDeg: -83.3052 };
    const ahead = 100 * Math.tan(30 * DEG);
    expect(Math.abs(haversineM(tilted.target!, origin) / ahead - 1)).toBeLessThan(0.01);
    // Heading 90° = east: the offset is east, latitude unchanged.
    expect(tilted.target!.lonDeg).toBeGreaterThan(origin.lonDeg);
    expect(Math.abs(tilted.target!.latDeg - origin.latDeg)).toBeLessThan(1e-9);

    const noseDown = computeFootprint(position({ attitude: { rollDeg: 0, pitchDeg: -30, yawDeg: 0 } }), camera());
    expect(Math.abs(haversineM(noseDown.target!, origin) / ahead - 1)).toBeLessThan(0.01);
    expect(noseDown.target!.latDeg).toBeLessThan(origin.latDeg);
  });

  it('gives null with a reason when the view is above the horizon or the height is unknown', () => {
    const level = computeFootprint(position(), camera({ mount: { rollDeg: 0, pitchDeg: 0, yawDeg: 0 } }));
    expect(level.target).toBeNull();
    expect(level.reason).toMatch(/above .*horizon/);
    const shallow = computeFootprint(position(), camera({ mount: { rollDeg: 0, pitchDeg: -15, yawDeg: 0 } }));
    expect(shallow.target).not.toBeNull();
    expect(shallow.footprint).toBeNull();
    expect(shallow.reason).toMatch(/corner .* above the horizon/);
    const noAgl = computeFootprint(position({ altAglM: null }), camera());
    expect(noAgl.reason).toMatch(/groundElevationMslM/);
    const fromMsl = computeFootprint(position({ altAglM: null }), camera({ groundElevationMslM: 276.2 }));
    expect(fromMsl.reason).toBeNull();
  });

  it('without attitude: uses the course as heading, or gives only the nadir target', () => {
    const withCourse = computeFootprint(position({ attitude: null, courseDeg: 45 }), camera());
    expect(withCourse.footprint).not.toBeNull();
    const none = computeFootprint(position({ attitude: null }), camera());
    expect(none.target).not.toBeNull();
    expect(none.footprint).toBeNull();
    expect(none.reason).toMatch(/heading/);
  });

  describe('property: the footprint polygon contains the target', () => {
    const rng = new SeededRandom(11, 'footprint');
    it.each(Array.from({ length: 300 }, (_, i) => i))('case %i', () => {
      const pos = position({
        latDeg: rng.range(-70, 70),
        lonDeg: rng.range(-179, 179),
        altAglM: rng.range(5, 400),
        attitude: { rollDeg: rng.range(-25, 25), pitchDeg: rng.range(-25, 25), yawDeg: rng.range(0, 360) },
      });
      const cam = camera({ mount: { rollDeg: rng.range(-5, 5), pitchDeg: rng.range(-90, -50), yawDeg: rng.range(-10, 10) } });
      const fp = computeFootprint(pos, cam);
      if (fp.footprint === null) {
        expect(fp.reason).toMatch(/horizon/);
        return;
      }
      const ring = fp.footprint.coordinates[0]!;
      expect(ring).toHaveLength(5);
      expect(ring[0]).toEqual(ring[4]);
      expect(contains(ring, fp.target!)).toBe(true);
    });
  });
});
