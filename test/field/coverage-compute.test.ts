// The coverage check on hand-made footprints over a square field with a known hole: covered share, gap area, one
// survey line through the gap, frames without a footprint, and the blur rule (speed x exposure against the GSD).
import { describe, expect, it } from 'vitest';
import type { Pair } from 'polygon-clipping';
import { computeCoverage, type CoverageFrame, type FieldBoundary } from '../../src/field/coverage-compute.js';
import { fromUtm, toUtm, utmZoneOf } from '../../src/geo/utm.js';
import { CoverageSchema } from '../../src/publish/coverage-schema.js';

const zone = utmZoneOf(0.1, 52.2);
const [E0, N0] = toUtm(zone, 0.1, 52.2);
/** Local metres (east, north from the field's south-west corner) to [lon, lat], through the same UTM zone the check uses. */
const ll = (e: number, n: number): Pair => fromUtm(zone, E0 + e, N0 + n);
const square = (ce: number, cn: number, half: number): Pair[] => [
  ll(ce - half, cn - half),
  ll(ce + half, cn - half),
  ll(ce + half, cn + half),
  ll(ce - half, cn + half),
  ll(ce - half, cn - half),
];

const FIELD: FieldBoundary = { name: 'square.geojson', polygons: [[square(50, 50, 50)]] };
const START = Date.parse('2026-06-01T09:00:00Z');

/**
 * A lawnmower over the 100 x 100 m field: rows 10 m apart flown east then west, a frame every 10 m (2 s at 5 m/s),
 * footprints 12 x 12 m (1 m overlap on each side); the frame centred at (45, 45) is missing: an 8 x 8 m hole.
 */
function lawnmower(options: Partial<CoverageFrame> = {}): CoverageFrame[] {
  const frames: CoverageFrame[] = [];
  for (let row = 0; row < 10; row++) {
    for (let k = 0; k < 10; k++) {
      const col = row % 2 === 0 ? k : 9 - k;
      const seq = row * 10 + k;
      const [e, n] = [5 + col * 10, 5 + row * 10];
      frames.push({
        seq,
        capturedAtMs: START + seq * 2000,
        position: ll(e, n),
        footprint: e === 45 && n === 45 ? null : square(e, n, 6),
        speedMps: null,
        exposureS: null,
        footprintPx: null,
        ...options,
      });
    }
  }
  return frames;
}

describe('computeCoverage', () => {
  it('measures the covered share and the hole to 0.1 %, and suggests one line through it', () => {
    const { coverage } = computeCoverage(lawnmower(), { droneId: 'd', flightId: 'f', boundary: FIELD });
    expect(CoverageSchema.safeParse(coverage).success).toBe(true);
    expect(coverage.boundary).toEqual({ kind: 'file', name: 'square.geojson', areaM2: expect.closeTo(10_000, 1) });
    expect(coverage.coveredShare).toBeCloseTo((10_000 - 64) / 10_000, 3);
    expect(Math.abs(coverage.gaps.areaM2 - 64) / 64).toBeLessThan(0.001);
    expect(coverage.gaps.count).toBe(1);
    expect(coverage.coveredHa).toBeCloseTo(0.9936, 3);
    // East-west rows: the lines run east-west (heading 90°), a swath (12 m) apart; the 8 m hole takes one line.
    expect(coverage.lines.headingDeg).toBeCloseTo(90, 1);
    expect(coverage.lines.spacingM).toBeCloseTo(12, 1);
    expect(coverage.lines.lines).toHaveLength(1);
    const [a, b] = coverage.lines.lines[0]!.coordinates.map(([lon, lat]) => toUtm(zone, lon, lat)) as [Pair, Pair];
    expect(Math.min(a[0], b[0]) - E0).toBeCloseTo(41, 1);
    expect(Math.max(a[0], b[0]) - E0).toBeCloseTo(49, 1);
    expect(a[1] - N0).toBeCloseTo(45, 1);
    expect(coverage.frames).toMatchObject({ total: 100, withFootprint: 99, noPosition: { count: 0 }, noFootprint: { count: 1, seqs: [44] } });
    // No exposure known: every frame with a footprint is counted as not checkable, and the summary says why.
    expect(coverage.blur).toMatchObject({ checked: 0, notCheckable: 99, blurred: { count: 0 } });
    expect(coverage.blur.note).toMatch(/without a known exposure time/);
  });

  it('without a boundary measures against the convex hull of the footprints, and says so', () => {
    const { coverage } = computeCoverage(lawnmower(), { droneId: 'd', flightId: 'f', boundary: null });
    expect(coverage.boundary.kind).toBe('convex-hull');
    // The hull is the footprints' outer edge: 102 x 102 m.
    expect(coverage.boundary.areaM2).toBeCloseTo(102 * 102, 0);
    expect(coverage.gaps.areaM2).toBeCloseTo(64, 0);
  });

  it('flags a frame blurred when speed x exposure exceeds the GSD (12 m over 224 px = 5.4 cm)', () => {
    const sharp = computeCoverage(lawnmower({ exposureS: 1 / 1000, footprintPx: 224 }), { droneId: 'd', flightId: 'f', boundary: FIELD });
    // Speed from neighbouring positions: 10 m in 2 s = 5 m/s; 5 mm of motion.
    expect(sharp.coverage.blur).toMatchObject({ checked: 99, notCheckable: 0, blurred: { count: 0 }, note: null });
    const slow = computeCoverage(lawnmower({ exposureS: 1 / 50, footprintPx: 224 }), { droneId: 'd', flightId: 'f', boundary: FIELD });
    // 10 cm of motion during the exposure: every frame.
    expect(slow.coverage.blur.blurred.count).toBe(99);
    const told = computeCoverage(lawnmower({ exposureS: 1 / 100, footprintPx: 224, speedMps: 2 }), { droneId: 'd', flightId: 'f', boundary: FIELD });
    // The telemetry's 2 m/s wins over the derived 5: 2 cm, under the GSD.
    expect(told.coverage.blur.blurred.count).toBe(0);
  });

  it('drops slivers below the minimum gap area', () => {
    const frames = lawnmower();
    // The missing frame back, but 7.8 m wide: only a thin ring of the 8 x 8 m hole stays open (3.16 m²).
    const thin = frames.map((f) => (f.footprint ? f : { ...f, footprint: square(45, 45, 3.9) }));
    const { coverage } = computeCoverage(thin, { droneId: 'd', flightId: 'f', boundary: FIELD, minGapM2: 20 });
    // Below 20 m²: a sliver, not a gap.
    expect(coverage.gaps.count).toBe(0);
    expect(coverage.gaps.sliversDropped).toBe(1);
  });
});
