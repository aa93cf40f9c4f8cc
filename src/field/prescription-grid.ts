// The prescription grid: square cells in the survey's UTM zone, rotated to the machine's driving direction, clipped
// to the field (a boundary, or the footprints' convex hull), each with the class map's area-weighted label shares.
import polygonClipping, { type MultiPolygon, type Pair, type Polygon } from 'polygon-clipping';
import { mainCourseDeg, toGrid, type GridFrame } from '../geo/grid-frame.js';
import { CellAccumulator } from '../geo/class-map-cells.js';
import { toUtm, utmZoneOf, type UtmZone } from '../geo/utm.js';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import { convexHull, multiPolygonArea } from './coverage-geometry.js';
import type { FieldBoundary } from './coverage-frame.js';

const DEG = Math.PI / 180;
/** Cell pieces smaller than this share of a cell are slivers along the field edge: no machine doses them. */
const MIN_CELL_SHARE = 0.01;

export interface GridCell {
  row: number;
  col: number;
  seen: boolean;
  frames: number;
  /** Label covering most of the cell's imaged area; null when unseen. */
  majorityLabel: string | null;
  majorityShare: number | null;
  /** label -> share of the imaged area of the cell. */
  shares: ReadonlyMap<string, number>;
  meanScore: number | null;
  /** Area inside the field, m². */
  areaM2: number;
  /** The cell inside the field, in grid coordinates (u, v metres). */
  pieces: MultiPolygon;
}

export interface PrescriptionGrid {
  zone: UtmZone;
  frame: GridFrame;
  cellM: number;
  /** Driving direction, degrees clockwise from true north, 0..180. */
  headingDeg: number;
  headingFrom: 'option' | 'track';
  /** The field in grid coordinates. */
  field: MultiPolygon;
  fieldFrom: 'boundary' | 'footprints';
  cells: GridCell[];
  footprints: number;
}

export interface GridOptions {
  cellM: number;
  headingDeg?: number;
  boundary: FieldBoundary | null;
}

/**
 * What the grid reads of a result: its seq, position, footprint and top class. A Result from a file and a result read
 * back from the ground store both have it.
 */
export interface GridResult {
  seq: number;
  position: { latDeg: number; lonDeg: number } | null;
  footprint: { coordinates: ReadonlyArray<ReadonlyArray<readonly [number, number] | readonly number[]>> } | null;
  top: ReadonlyArray<{ label: string; score: number }>;
}

type Placed = { result: GridResult; ring: Pair[] };

/** Angle of true north in the zone's grid at (lon, lat), radians clockwise from grid north (meridian convergence). */
function convergenceRad(zone: UtmZone, lon: number, lat: number): number {
  const [e0, n0] = toUtm(zone, lon, lat);
  const [e1, n1] = toUtm(zone, lon, lat + 1e-3);
  return Math.atan2(e1 - e0, n1 - n0);
}

/** The track's main course in grid degrees, from the camera positions (or footprint corners' mean) in seq order. */
function trackCourseGridDeg(placed: readonly Placed[], zone: UtmZone): number | null {
  const points = [...placed]
    .sort((a, b) => a.result.seq - b.result.seq)
    .map(({ result, ring }) => {
      const p = result.position;
      if (p) return toUtm(zone, p.lonDeg, p.latDeg);
      const corners = ring.slice(0, -1);
      const mean = (k: 0 | 1) => corners.reduce((s, c) => s + c[k], 0) / corners.length;
      return toUtm(zone, mean(0), mean(1));
    });
  const steps = points.slice(1).map((p, i) => Math.hypot(p[0] - (points[i] as Pair)[0], p[1] - (points[i] as Pair)[1]));
  const sorted = steps.filter((s) => s > 0).sort((a, b) => a - b);
  // Several typical steps at most: longer ones are gaps in the record (a pause, a battery swap), not driving.
  const median = sorted[sorted.length >> 1];
  return mainCourseDeg(points, median === undefined ? Infinity : 4 * median);
}

/** Even-odd point-in-polygon over any rings (outer rings and holes alike). */
export function insideRings(point: Pair, rings: readonly Pair[][]): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i] as Pair;
      const [xj, yj] = ring[j] as Pair;
      if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Index of the grid cell holding grid point (u, v) inside the field; undefined outside (a cut cell's outer side too). */
export function cellIndexAt(grid: PrescriptionGrid, index: ReadonlyMap<string, number>, u: number, v: number): number | undefined {
  const i = index.get(`${Math.floor(v / grid.cellM)}:${Math.floor(u / grid.cellM)}`);
  const cell = i === undefined ? undefined : grid.cells[i];
  if (!cell) return undefined;
  return cell.areaM2 >= grid.cellM * grid.cellM || cell.pieces.some((p) => insideRings([u, v], p)) ? i : undefined;
}

/** "row:col" -> index into grid.cells. */
export function cellIndex(grid: PrescriptionGrid): Map<string, number> {
  return new Map(grid.cells.map((c, i) => [`${c.row}:${c.col}`, i]));
}

/** Cells a field edge passes through (conservatively: cells of each edge piece's box), keyed "row:col". */
function edgeCells(field: MultiPolygon, c: number): Set<string> {
  const out = new Set<string>();
  for (const ring of field.flat()) {
    for (let i = 1; i < ring.length; i++) {
      const [a, b] = [ring[i - 1] as Pair, ring[i] as Pair];
      // Pieces no longer than a cell, so each box spans at most 2x2 cells (a long diagonal edge marks a strip).
      const pieces = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / c));
      for (let k = 0; k < pieces; k++) {
        const [t0, t1] = [k / pieces, (k + 1) / pieces];
        const xs = [a[0] + (b[0] - a[0]) * t0, a[0] + (b[0] - a[0]) * t1];
        const ys = [a[1] + (b[1] - a[1]) * t0, a[1] + (b[1] - a[1]) * t1];
        for (let row = Math.floor(Math.min(...ys) / c); row <= Math.floor(Math.max(...ys) / c); row++) {
          for (let col = Math.floor(Math.min(...xs) / c); col <= Math.floor(Math.max(...xs) / c); col++) out.add(`${row}:${col}`);
        }
      }
    }
  }
  return out;
}

/** Every cell with some of the field in it: whole cells by a point test, edge cells clipped exactly. */
function fieldCells(field: MultiPolygon, c: number): Array<{ row: number; col: number; pieces: MultiPolygon; areaM2: number }> {
  const pts = field.flat(2);
  const [u0, u1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  const [v0, v1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  const edges = edgeCells(field, c);
  const out: Array<{ row: number; col: number; pieces: MultiPolygon; areaM2: number }> = [];
  for (let row = Math.floor(v0 / c); row <= Math.floor(v1 / c); row++) {
    for (let col = Math.floor(u0 / c); col <= Math.floor(u1 / c); col++) {
      const square: Polygon = [
        [
          [col * c, row * c],
          [(col + 1) * c, row * c],
          [(col + 1) * c, (row + 1) * c],
          [col * c, (row + 1) * c],
          [col * c, row * c],
        ],
      ];
      if (!edges.has(`${row}:${col}`)) {
        if (insideRings([(col + 0.5) * c, (row + 0.5) * c], field.flat())) out.push({ row, col, pieces: [square], areaM2: c * c });
        continue;
      }
      const pieces = polygonClipping.intersection(field, square);
      const areaM2 = multiPolygonArea(pieces);
      if (areaM2 >= MIN_CELL_SHARE * c * c) out.push({ row, col, pieces, areaM2 });
    }
  }
  return out;
}

function placedResults(results: readonly GridResult[]): Placed[] {
  const placed: Placed[] = [];
  for (const result of results) {
    const ring = result.footprint?.coordinates[0];
    if (ring && result.top[0]) placed.push({ result, ring: ring.map((c): Pair => [c[0] as number, c[1] as number]) });
  }
  return placed;
}

/** Where the grid starts and which way it runs: the survey's centre (whole metres), along the heading. */
function gridFrame(placed: readonly Placed[], zone: UtmZone, opts: GridOptions): { frame: GridFrame; headingDeg: number } {
  const utm = placed.flatMap((p) => p.ring.map(([lon, lat]) => toUtm(zone, lon, lat)));
  const mid = (k: 0 | 1) => Math.round((Math.min(...utm.map((p) => p[k])) + Math.max(...utm.map((p) => p[k]))) / 2);
  const first = placed[0]?.ring[0] as Pair;
  const gamma = convergenceRad(zone, first[0], first[1]);
  let gridDeg: number;
  let headingDeg: number;
  if (opts.headingDeg !== undefined) {
    headingDeg = ((opts.headingDeg % 180) + 180) % 180;
    gridDeg = headingDeg + gamma / DEG;
  } else {
    gridDeg = trackCourseGridDeg(placed, zone) ?? 0;
    headingDeg = (((gridDeg - gamma / DEG) % 180) + 180) % 180;
  }
  return { frame: { originE: mid(0), originN: mid(1), azimuthRad: gridDeg * DEG }, headingDeg };
}

export function buildGrid(results: readonly GridResult[], opts: GridOptions): PrescriptionGrid {
  const placed = placedResults(results);
  if (placed.length === 0) throw new FieldeyeError('input', 'no result has a footprint: nothing to prescribe from (were the frames geotagged?)');
  const lons = placed.flatMap((p) => p.ring.map((q) => q[0]));
  const lats = placed.flatMap((p) => p.ring.map((q) => q[1]));
  const zone = utmZoneOf((Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2);
  const { frame, headingDeg } = gridFrame(placed, zone, opts);
  const toPlane = ([lon, lat]: Pair): Pair => {
    const [e, n] = toUtm(zone, lon, lat);
    return toGrid(frame, e, n);
  };
  const acc = new CellAccumulator(zone, opts.cellM, frame);
  for (const { result, ring } of placed) acc.add(ring, (result.top[0] as { label: string }).label, (result.top[0] as { score: number }).score);
  const tallies = new Map(acc.cells().map((t) => [`${t.row}:${t.col}`, t]));
  const hull = convexHull(placed.flatMap((p) => p.ring.map(toPlane)));
  const field: MultiPolygon = opts.boundary
    ? polygonClipping.union(opts.boundary.polygons.map((poly) => poly.map((ring) => ring.map(toPlane))))
    : hull
      ? [[hull]]
      : [];
  const cells = fieldCells(field, opts.cellM).map(({ row, col, pieces, areaM2 }): GridCell => {
    const t = tallies.get(`${row}:${col}`);
    return {
      row,
      col,
      seen: t !== undefined,
      frames: t?.footprints ?? 0,
      majorityLabel: t?.majorityLabel ?? null,
      majorityShare: t?.majorityShare ?? null,
      shares: new Map(t?.shares ?? []),
      meanScore: t?.meanScore ?? null,
      areaM2,
      pieces,
    };
  });
  return {
    zone,
    frame,
    cellM: opts.cellM,
    headingDeg,
    headingFrom: opts.headingDeg !== undefined ? 'option' : 'track',
    field,
    fieldFrom: opts.boundary ? 'boundary' : 'footprints',
    cells,
    footprints: placed.length,
  };
}
