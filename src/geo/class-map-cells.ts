// The class map's arithmetic in TypeScript (the GeoPackage side; PostGIS does the same in SQL): footprints projected
// into a UTM zone, clipped exactly against square cells aligned to multiples of the cell size, and each cell's
// area per top-1 label summed, so a class's share of a cell is the share of the imaged ground it covers there.
// The cells are north-up by default; `fieldeye prescribe` passes a rotated frame (cells along a machine's course).
import { fromGrid, NORTH_UP, toGrid, type GridFrame } from './grid-frame.js';
import { fromUtm, toUtm, type UtmZone } from './utm.js';
import type { LonLat, SimpleGeometry } from './simple-geometry.js';

/**
 * Pieces smaller than this (m²) are not counted, on both sides: a footprint whose edge runs along a cell boundary
 * leaves a rounding sliver of 1e-10 m² in the next cell, which GEOS and this clipper would not agree on.
 */
export const MIN_PIECE_M2 = 1e-6;

/** One cell of the map as both stores hand it to the writer. */
export interface ClassMapCell {
  row: number;
  col: number;
  /** The label covering most of the cell's imaged area (ties: alphabetical). */
  majorityLabel: string;
  majorityShare: number;
  /** Sum over footprints of area(footprint ∩ cell), m²: overlapping footprints count once each. */
  coveredM2: number;
  footprints: number;
  /** Top-1 score averaged over the footprints, weighted by their area in the cell. */
  meanScore: number;
  /** label -> share of coveredM2, labels in code-unit order. */
  shares: Array<[string, number]>;
  /** The cell's corners in EPSG:4326, counter-clockwise from the south-west corner. */
  polygon: SimpleGeometry;
}

type Point = [number, number];

/** Keeps the part of `ring` (open, no repeated first point) on the side of an axis where keep(p) holds. */
function clipEdge(ring: Point[], keep: (p: Point) => boolean, cross: (a: Point, b: Point) => Point): Point[] {
  const out: Point[] = [];
  ring.forEach((current, i) => {
    const previous = ring[(i + ring.length - 1) % ring.length] as Point;
    const inCurrent = keep(current);
    if (inCurrent !== keep(previous)) out.push(cross(previous, current));
    if (inCurrent) out.push(current);
  });
  return out;
}

/** Area of `ring` ∩ [0, size]², by Sutherland–Hodgman (exact for convex footprints; area-exact for any ring). */
export function clippedArea(ring: readonly Point[], size: number): number {
  const atX =
    (x: number) =>
    (a: Point, b: Point): Point => [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
  const atY =
    (y: number) =>
    (a: Point, b: Point): Point => [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];
  let poly = [...ring];
  poly = clipEdge(poly, (p) => p[0] >= 0, atX(0));
  poly = clipEdge(poly, (p) => p[0] <= size, atX(size));
  poly = clipEdge(poly, (p) => p[1] >= 0, atY(0));
  poly = clipEdge(poly, (p) => p[1] <= size, atY(size));
  let twice = 0;
  poly.forEach(([x, y], i) => {
    const [nx, ny] = poly[(i + 1) % poly.length] as Point;
    twice += x * ny - nx * y;
  });
  return Math.abs(twice) / 2;
}

interface Tally {
  row: number;
  col: number;
  footprints: number;
  scoreArea: number;
  byLabel: Map<string, number>;
  /** The footprint count (`added`) when a footprint last reached this cell: what changed since a given count. */
  touched: number;
}

/** Adds footprints one at a time; holds one tally per cell touched, never the footprints. */
export class CellAccumulator {
  private readonly tallies = new Map<string, Tally>();
  private footprintsAdded = 0;

  constructor(
    private readonly zone: UtmZone,
    private readonly cellM: number,
    /** Where the cells' rows and columns count from and which way they run; north-up at UTM 0/0 by default. */
    private readonly frame: GridFrame = NORTH_UP,
  ) {}

  get size(): number {
    return this.tallies.size;
  }

  /** Footprints given to add() so far: the revision cellsTouchedAfter() counts from. */
  get added(): number {
    return this.footprintsAdded;
  }

  /** A footprint's exterior ring in lon/lat (closed or not), its top-1 label and score. */
  add(ring: readonly LonLat[], label: string, score: number): void {
    this.footprintsAdded += 1;
    const points = ring.map(([lon, lat]) => {
      const [e, n] = toUtm(this.zone, lon, lat);
      return toGrid(this.frame, e, n);
    });
    const last = points[points.length - 1];
    if (points.length > 1 && last && last[0] === points[0]?.[0] && last[1] === points[0][1]) points.pop();
    if (points.length < 3) return;
    const c = this.cellM;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [col0, col1] = [Math.floor(Math.min(...xs) / c), Math.floor(Math.max(...xs) / c)];
    const [row0, row1] = [Math.floor(Math.min(...ys) / c), Math.floor(Math.max(...ys) / c)];
    for (let row = row0; row <= row1; row += 1) {
      for (let col = col0; col <= col1; col += 1) {
        // Relative to the cell's corner: UTM coordinates are ~1e6 m, and their products would lose the cell's area.
        const local = points.map(([x, y]): Point => [x - col * c, y - row * c]);
        const area = clippedArea(local, c);
        if (area >= MIN_PIECE_M2) this.tally(row, col, label, score, area);
      }
    }
  }

  private tally(row: number, col: number, label: string, score: number, area: number): void {
    const key = `${row}:${col}`;
    let t = this.tallies.get(key);
    if (t === undefined) {
      t = { row, col, footprints: 0, scoreArea: 0, byLabel: new Map(), touched: 0 };
      this.tallies.set(key, t);
    }
    t.footprints += 1;
    t.scoreArea += score * area;
    t.byLabel.set(label, (t.byLabel.get(label) ?? 0) + area);
    t.touched = this.footprintsAdded;
  }

  /** Every touched cell, by row then column. */
  cells(): ClassMapCell[] {
    return this.cellsTouchedAfter(0);
  }

  /** The cells a footprint reached after the first `added` footprints (all of them for 0), by row then column. */
  cellsTouchedAfter(added: number): ClassMapCell[] {
    const touched = [...this.tallies.values()].filter((t) => t.touched > added);
    return touched.sort((a, b) => a.row - b.row || a.col - b.col).map((t) => summarize(t, this.zone, this.cellM, this.frame));
  }
}

function summarize(t: Tally, zone: UtmZone, cellM: number, frame: GridFrame): ClassMapCell {
  const labels = [...t.byLabel.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const covered = labels.reduce((sum, [, area]) => sum + area, 0);
  let [majority, most] = labels[0] as [string, number];
  for (const [label, area] of labels) if (area > most) [majority, most] = [label, area];
  return {
    row: t.row,
    col: t.col,
    majorityLabel: majority,
    majorityShare: most / covered,
    coveredM2: covered,
    footprints: t.footprints,
    meanScore: t.scoreArea / covered,
    shares: labels.map(([label, area]) => [label, area / covered]),
    polygon: cellPolygon(zone, cellM, t.row, t.col, frame),
  };
}

/** The cell's four corners back in lon/lat (as PostGIS's ST_ForcePolygonCCW(ST_MakeEnvelope(...)) orders them). */
export function cellPolygon(zone: UtmZone, cellM: number, row: number, col: number, frame: GridFrame = NORTH_UP): SimpleGeometry {
  const [x0, y0, x1, y1] = [col * cellM, row * cellM, (col + 1) * cellM, (row + 1) * cellM];
  const corners = (
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ] as const
  ).map(([u, v]) => {
    const [e, n] = fromGrid(frame, u, v);
    return fromUtm(zone, e, n) as LonLat;
  });
  return { type: 'Polygon', coordinates: [corners] };
}
