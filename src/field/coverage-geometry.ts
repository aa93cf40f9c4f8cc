// Planar geometry for the coverage check, in metres (a UTM zone): areas, the convex hull, a batched union, the flight's
// main direction, swath widths, and survey lines clipped to a polygon with holes.
import { mainCourseDeg } from '../geo/grid-frame.js';
import polygonClipping, { type MultiPolygon, type Pair, type Polygon, type Ring } from 'polygon-clipping';

/** Shoelace area of a ring (closed or open), always positive. */
export function ringArea(ring: readonly Pair[]): number {
  let twice = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x, y] = ring[i] as Pair;
    const [nx, ny] = ring[(i + 1) % ring.length] as Pair;
    twice += x * ny - nx * y;
  }
  return Math.abs(twice) / 2;
}

/** Outer ring minus holes (polygon-clipping's output: holes never overlap and lie inside the outer ring). */
export function polygonArea(polygon: Polygon): number {
  return polygon.reduce((sum, ring, i) => sum + (i === 0 ? ringArea(ring) : -ringArea(ring)), 0);
}

export function multiPolygonArea(mp: MultiPolygon): number {
  return mp.reduce((sum, p) => sum + polygonArea(p), 0);
}

/** Andrew's monotone chain; returns a closed counter-clockwise ring, or null for fewer than 3 distinct corners. */
export function convexHull(points: readonly Pair[]): Ring | null {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return null;
  const cross = (o: Pair, a: Pair, b: Pair) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Pair[]): Pair[] => {
    const out: Pair[] = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2] as Pair, out[out.length - 1] as Pair, p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  const hull = [...half(sorted), ...half([...sorted].reverse())];
  if (hull.length < 3) return null;
  return [...hull, hull[0] as Pair];
}

/** How many polygons one union call takes: unions of unions stay fast where one call with thousands does not. */
const UNION_BATCH = 64;

/** The union of many polygons, merged in batches (a tree), so a long flight does not make one huge sweep. */
export function unionAll(polygons: readonly Polygon[]): MultiPolygon {
  let level: MultiPolygon[] = polygons.map((p) => [p]);
  if (level.length === 0) return [];
  while (level.length > 1) {
    const next: MultiPolygon[] = [];
    for (let i = 0; i < level.length; i += UNION_BATCH) {
      const [first, ...rest] = level.slice(i, i + UNION_BATCH) as [MultiPolygon, ...MultiPolygon[]];
      next.push(polygonClipping.union(first, ...rest));
    }
    level = next;
  }
  return level[0] as MultiPolygon;
}

/**
 * The flight's main direction from its frame centres in capture order (geo/grid-frame's mainCourseDeg: length-weighted,
 * on doubled angles so a lawnmower's eastward and westward lines agree), as radians from +x (east), counter-clockwise.
 */
export function mainDirection(centres: readonly Pair[], maxStepM: number): number | null {
  // Long jumps are turns onto the next line or gaps in the record, not the survey direction.
  const courseDeg = mainCourseDeg(centres, maxStepM);
  return courseDeg === null ? null : ((90 - courseDeg) * Math.PI) / 180;
}

/** Extent of a ring across the direction `angle` (radians from east): the swath a footprint covers. */
export function widthAcross(ring: readonly Pair[], angle: number): number {
  const [nx, ny] = [-Math.sin(angle), Math.cos(angle)];
  const d = ring.map(([x, y]) => x * nx + y * ny);
  return Math.max(...d) - Math.min(...d);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Rotates by -angle: the direction `angle` becomes +u, across it +v. */
function toUv(p: Pair, angle: number): Pair {
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  return [p[0] * c + p[1] * s, -p[0] * s + p[1] * c];
}

function fromUv(p: Pair, angle: number): Pair {
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  return [p[0] * c - p[1] * s, p[0] * s + p[1] * c];
}

/** Sorted [from, to] intervals, merged where they overlap or lie less than `join` apart. */
function mergeIntervals(intervals: Array<[number, number]>, join: number): Array<[number, number]> {
  const merged: Array<[number, number]> = [];
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && a - last[1] < join) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

/**
 * Survey lines over one gap: parallel to `angle`, `spacingM` apart, centred in the gap's extent across the lines (one
 * line through the middle of a gap narrower than a swath). Each line covers the part of the gap within half a swath of
 * it: a gap between two survey lines wanders with the footprints, and a line clipped exactly to it would dash in and
 * out. Pieces closer than a swath along the line are joined: nobody stops the camera for a few metres.
 */
export function linesOverGap(gap: Polygon, angle: number, spacingM: number, minLengthM: number): Array<[Pair, Pair]> {
  const rings = gap.map((ring) => ring.map((p) => toUv(p, angle)));
  const us = (rings[0] ?? []).map((p) => p[0]);
  const vs = (rings[0] ?? []).map((p) => p[1]);
  const [uMin, uMax, vMin, vMax] = [Math.min(...us), Math.max(...us), Math.min(...vs), Math.max(...vs)];
  const count = Math.max(1, Math.ceil((vMax - vMin) / spacingM));
  const first = (vMin + vMax) / 2 - ((count - 1) * spacingM) / 2;
  const segments: Array<[Pair, Pair]> = [];
  for (let k = 0; k < count; k++) {
    const v = first + k * spacingM;
    const band: Polygon = [
      [
        [uMin - 1, v - spacingM / 2],
        [uMax + 1, v - spacingM / 2],
        [uMax + 1, v + spacingM / 2],
        [uMin - 1, v + spacingM / 2],
        [uMin - 1, v - spacingM / 2],
      ],
    ];
    const pieces = polygonClipping.intersection(rings, band);
    const intervals = pieces.map((piece): [number, number] => {
      const pu = (piece[0] ?? []).map((p) => p[0]);
      return [Math.min(...pu), Math.max(...pu)];
    });
    for (const [a, b] of mergeIntervals(intervals, spacingM)) {
      if (b - a >= minLengthM) segments.push([fromUv([a, v], angle), fromUv([b, v], angle)]);
    }
  }
  return segments;
}
