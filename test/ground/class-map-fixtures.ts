// Test fixtures for the class map: footprints laid out in UTM metres (so the expected areas are worked out by hand),
// turned into stored results in EPSG:4326, and the class_map layer read back from the GeoPackage the command wrote.
import Database from 'better-sqlite3';
import { fromUtm, utmZoneOfEpsg } from '../../src/geo/utm.js';
import type { GroundRecord } from '../../src/ground/ground-store.js';
import { wkbOfGpkgBlob } from '../../src/ground/gpkg-geometry.js';
import { geometryOfWkb } from '../../src/ground/wkb-geojson.js';
import { groundResult, resultRecord } from './ground-samples.js';

/** UTM zone 31N, 180 km east of its central meridian: the scale factor is 1.0000 there, so grid m² are ground m². */
export const ZONE = utmZoneOfEpsg(32631);
export const E0 = 680_000;
export const N0 = 5_400_000;

export interface Footprint {
  label: string;
  score: number;
  /** Corners in metres east and north of (E0, N0), counter-clockwise. */
  corners: ReadonlyArray<readonly [number, number]>;
  capturedAt?: string;
}

/** A stored result of `flightId` whose footprint has `f`'s corners (transformed to lon/lat) and top-1 label. */
export function footprintRecord(droneId: string, flightId: string, seq: number, f: Footprint): GroundRecord {
  const base = groundResult(droneId, flightId, seq * 3); // seq % 3 !== 2: groundResult gives it a position
  const ring = f.corners.map(([x, y]) => fromUtm(ZONE, E0 + x, N0 + y));
  ring.push(ring[0] as [number, number]);
  const [lon, lat] = fromUtm(ZONE, E0 + f.corners[0]![0], N0 + f.corners[0]![1]);
  return resultRecord({
    ...base,
    seq,
    capturedAt: f.capturedAt ?? base.capturedAt,
    position: base.position === null ? null : { ...base.position, latDeg: lat, lonDeg: lon },
    target: { latDeg: lat, lonDeg: lon },
    footprint: { type: 'Polygon', coordinates: [ring] },
    top: [{ index: 0, label: f.label, score: f.score }],
  });
}

const rect = (x0: number, y0: number, x1: number, y1: number): Array<[number, number]> => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];

/**
 * The hand-worked case (cells of 10 m; row, col from (E0, N0)): a 'weeds' rectangle x 5..15, y 5..25 (score 0.9),
 * a 'crop' rectangle x 12..28, y 2..8 (0.6) and a 'crop' diamond centred on (20, 20), half-diagonal 5 (0.8),
 * whose four quarters (12.5 m² each) fall into four cells.
 */
export const HAND_FOOTPRINTS: Footprint[] = [
  { label: 'weeds', score: 0.9, corners: rect(5, 5, 15, 25) },
  { label: 'crop', score: 0.6, corners: rect(12, 2, 28, 8) },
  {
    label: 'crop',
    score: 0.8,
    corners: [
      [20, 15],
      [25, 20],
      [20, 25],
      [15, 20],
    ],
  },
];

export interface ExpectedCell {
  area: Record<string, number>;
  /** sum of area x score */
  scoreArea: number;
  footprints: number;
}

/** Worked out by hand from HAND_FOOTPRINTS: key "row:col" (rows and cols offset by E0/10, N0/10). */
export const HAND_CELLS: Record<string, ExpectedCell> = {
  '0:0': { area: { weeds: 25 }, scoreArea: 25 * 0.9, footprints: 1 },
  '0:1': { area: { weeds: 25, crop: 48 }, scoreArea: 25 * 0.9 + 48 * 0.6, footprints: 2 },
  '0:2': { area: { crop: 48 }, scoreArea: 48 * 0.6, footprints: 1 },
  '1:0': { area: { weeds: 50 }, scoreArea: 50 * 0.9, footprints: 1 },
  '1:1': { area: { weeds: 50, crop: 12.5 }, scoreArea: 50 * 0.9 + 12.5 * 0.8, footprints: 2 },
  '1:2': { area: { crop: 12.5 }, scoreArea: 12.5 * 0.8, footprints: 1 },
  '2:0': { area: { weeds: 25 }, scoreArea: 25 * 0.9, footprints: 1 },
  '2:1': { area: { weeds: 25, crop: 12.5 }, scoreArea: 25 * 0.9 + 12.5 * 0.8, footprints: 2 },
  '2:2': { area: { crop: 12.5 }, scoreArea: 12.5 * 0.8, footprints: 1 },
};

/** A deterministic pseudo-random survey: rotated rectangles (8 x 6 m) over a 60 m field, three classes. */
export function surveyFootprints(count: number, seed = 1): Footprint[] {
  let state = seed >>> 0;
  // mulberry32: small, deterministic, and good enough to scatter footprints.
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const labels = ['bare soil', 'crop', 'weeds'];
  return Array.from({ length: count }, () => {
    const [cx, cy, heading] = [random() * 60, random() * 60, random() * Math.PI];
    const [c, s] = [Math.cos(heading), Math.sin(heading)];
    const corners = rect(-4, -3, 4, 3).map(([x, y]) => [cx + x * c - y * s, cy + x * s + y * c] as const);
    return { label: labels[Math.floor(random() * 3)] as string, score: 0.5 + random() / 2, corners };
  });
}

export interface MapRow {
  cell_m: number;
  row: number;
  col: number;
  majority_label: string;
  majority_share: number;
  covered_m2: number;
  footprints: number;
  mean_score: number;
  shares: Record<string, number>;
  crs_epsg: number;
  ring: Array<[number, number]>;
}

/** The class_map layer of `file`, keyed "row:col". */
export function readClassMap(file: string): Map<string, MapRow> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM class_map ORDER BY row, col').all() as Array<Record<string, unknown>>;
    return new Map(
      rows.map((r) => {
        const geometry = geometryOfWkb(wkbOfGpkgBlob(r.geom) as Buffer);
        const ring = geometry?.type === 'Polygon' ? (geometry.coordinates[0] as Array<[number, number]>) : [];
        // The blob and the JSON text would differ in the last digits between stores: compared as numbers instead.
        const { geom: _geom, fid: _fid, shares_json: shares, ...rest } = r;
        const row = { ...rest, shares: JSON.parse(String(shares)) as Record<string, number>, ring } as unknown as MapRow;
        return [`${row.row}:${row.col}`, row];
      }),
    );
  } finally {
    db.close();
  }
}
