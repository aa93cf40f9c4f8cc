// The coverage check: the union of a flight's footprints against the field boundary (or their convex hull), in a UTM
// zone so areas are in square metres; the gaps, survey lines over them, frames that do not count, and blurred frames.
import polygonClipping, { type MultiPolygon, type Pair, type Polygon } from 'polygon-clipping';
import { fromUtm, toUtm, utmZoneOf } from '../geo/utm.js';
import { COVERAGE_MAX_SEQS, COVERAGE_SCHEMA_VERSION, type Coverage, type GeoJsonMultiPolygon } from '../publish/coverage-schema.js';
import { convexHull, linesOverGap, mainDirection, median, multiPolygonArea, polygonArea, ringArea, unionAll, widthAcross } from './coverage-geometry.js';
import { blurCheck } from './coverage-blur.js';
import type { CoverageFrame, FieldBoundary } from './coverage-frame.js';

export type { CoverageFrame, FieldBoundary } from './coverage-frame.js';

export interface CoverageOptions {
  droneId: string;
  flightId: string;
  boundary: FieldBoundary | null;
  /** Gap pieces smaller than this are slivers between touching footprints, not gaps; default 1 m². */
  minGapM2?: number;
  /** Footprints a bounded collector had to leave out. */
  notCounted?: number;
  at?: Date;
}

/** The message stays small: the largest gaps are listed and given lines, the count and area are exact. */
const MAX_GAPS_LISTED = 200;
/** Survey lines shorter than this are not worth a pass. */
const MIN_LINE_M = 1;

const round7 = (v: number) => Math.round(v * 1e7) / 1e7;
const round2 = (v: number) => Math.round(v * 100) / 100;

function seqList(seqs: readonly number[]): { count: number; seqs: number[] } {
  return { count: seqs.length, seqs: seqs.slice(0, COVERAGE_MAX_SEQS) };
}

function closed(ring: readonly Pair[]): Pair[] {
  const [first, last] = [ring[0], ring[ring.length - 1]];
  return first && last && (first[0] !== last[0] || first[1] !== last[1]) ? [...ring, first] : [...ring];
}

/** A local metric frame: a UTM zone, shifted to an origin near the field and snapped to millimetres. */
interface Metric {
  to(p: Pair): Pair;
  from(q: Pair): Pair;
}

const SNAP = 1000;

/**
 * The zone of the boundary's first corner, else of the first footprint (a field never spans two zones usefully).
 * Shifted so coordinates are small and snapped to 1 mm: polygon-clipping's sweep fails on edges that differ in the
 * 16th digit (footprints that share an edge, 5 787 278.532009229 vs ...230), and a millimetre is far below a pixel.
 */
function metricFrame(frames: readonly CoverageFrame[], boundary: FieldBoundary | null): Metric | null {
  const corner = boundary?.polygons[0]?.[0]?.[0] ?? frames.find((f) => f.footprint)?.footprint?.[0];
  if (!corner) return null;
  const zone = utmZoneOf(corner[0], corner[1]);
  const [e0, n0] = toUtm(zone, corner[0], corner[1]).map(Math.round) as Pair;
  return {
    to: (p) => {
      const [e, n] = toUtm(zone, p[0], p[1]);
      return [Math.round((e - e0) * SNAP) / SNAP, Math.round((n - n0) * SNAP) / SNAP];
    },
    from: (q) => {
      const [lon, lat] = fromUtm(zone, q[0] + e0, q[1] + n0);
      return [round7(lon), round7(lat)];
    },
  };
}

interface Projected {
  footprints: Array<{ frame: CoverageFrame; ring: Pair[] }>;
  boundary: MultiPolygon;
}

function project(frames: readonly CoverageFrame[], boundary: FieldBoundary | null, metric: Metric): Projected {
  const utm = metric.to;
  const footprints = frames
    .filter((f): f is CoverageFrame & { footprint: Pair[] } => f.footprint !== null && f.footprint.length >= 3)
    .map((frame) => ({ frame, ring: closed(frame.footprint.map(utm)) }))
    .filter((f) => ringArea(f.ring) > 0);
  let area: MultiPolygon;
  if (boundary) {
    // Through a union so a boundary file's overlapping or mis-wound parts become one valid area.
    const parts = boundary.polygons.map((p) => p.map((ring) => closed(ring.map(utm))));
    area = parts.length > 0 ? polygonClipping.union(parts[0] as Polygon, ...parts.slice(1)) : [];
  } else {
    const hull = convexHull(footprints.flatMap((f) => f.ring));
    area = hull ? [[hull]] : [];
  }
  return { footprints, boundary: area };
}

/** Heading of the lines (degrees clockwise from north, 0..180) and their spacing, from the footprints in time order. */
function lineGeometry(footprints: Projected['footprints']): { angle: number | null; spacingM: number | null } {
  const ordered = [...footprints].sort((a, b) => a.frame.capturedAtMs - b.frame.capturedAtMs || a.frame.seq - b.frame.seq);
  const centres = ordered.map(({ ring }): Pair => {
    const open = ring.slice(0, -1);
    return [open.reduce((s, p) => s + p[0], 0) / open.length, open.reduce((s, p) => s + p[1], 0) / open.length];
  });
  const size = median(ordered.map(({ ring }) => Math.sqrt(ringArea(ring)))) ?? 0;
  // A step longer than two footprints is a turn or a break, not a step along a line.
  const angle = mainDirection(centres, 2 * size);
  if (angle === null) return { angle: null, spacingM: null };
  return { angle, spacingM: median(ordered.map(({ ring }) => widthAcross(ring, angle))) };
}

interface Gaps {
  kept: MultiPolygon;
  areaM2: number;
  slivers: number;
}

function findGaps(area: MultiPolygon, union: MultiPolygon, minGapM2: number): Gaps {
  const all = area.length === 0 ? [] : union.length === 0 ? area : polygonClipping.difference(area, union);
  const measured = all.map((p) => ({ p, a: polygonArea(p) }));
  const kept = measured.filter((g) => g.a >= minGapM2).sort((x, y) => y.a - x.a);
  return { kept: kept.map((g) => g.p), areaM2: kept.reduce((s, g) => s + g.a, 0), slivers: measured.length - kept.length };
}

function surveyLines(gaps: MultiPolygon, geometry: ReturnType<typeof lineGeometry>, metric: Metric): Coverage['lines'] {
  const { angle, spacingM } = geometry;
  const heading = angle === null ? null : round2((((90 - (angle * 180) / Math.PI) % 180) + 180) % 180);
  if (angle === null || spacingM === null || spacingM <= 0)
    return { headingDeg: heading, spacingM: spacingM === null ? null : round2(spacingM), totalLengthM: 0, lines: [] };
  const segments = gaps.flatMap((gap) => linesOverGap(gap, angle, spacingM, MIN_LINE_M));
  return {
    headingDeg: heading,
    spacingM: round2(spacingM),
    totalLengthM: round2(segments.reduce((s, [a, b]) => s + Math.hypot(b[0] - a[0], b[1] - a[1]), 0)),
    lines: segments.map(([a, b]) => ({ type: 'LineString' as const, coordinates: [metric.from(a), metric.from(b)] })),
  };
}

function frameCounts(frames: readonly CoverageFrame[], withFootprint: number, notCounted: number): Coverage['frames'] {
  return {
    total: frames.length + notCounted,
    withFootprint,
    noPosition: seqList(frames.filter((f) => f.position === null).map((f) => f.seq)),
    noFootprint: seqList(frames.filter((f) => f.position !== null && f.footprint === null).map((f) => f.seq)),
    notCounted,
  };
}

export interface CoverageResult {
  coverage: Coverage;
  /** The covered part of the boundary, [lon, lat]: for the map files, too large for the message. */
  covered: GeoJsonMultiPolygon;
  /** The boundary the footprints were measured against (the file's, or the hull), [lon, lat]. */
  boundary: GeoJsonMultiPolygon;
}

function lonLatMulti(mp: MultiPolygon, metric: Metric | null): GeoJsonMultiPolygon {
  return { type: 'MultiPolygon', coordinates: metric ? mp.map((p) => p.map((ring) => ring.map(metric.from))) : [] };
}

export function computeCoverage(frames: readonly CoverageFrame[], options: CoverageOptions): CoverageResult {
  const minGapM2 = options.minGapM2 ?? 1;
  const metric = metricFrame(frames, options.boundary);
  const projected = metric ? project(frames, options.boundary, metric) : null;
  const union = projected ? unionAll(projected.footprints.map((f) => [f.ring])) : [];
  const area = projected?.boundary ?? [];
  const areaM2 = multiPolygonArea(area);
  const covered = area.length > 0 && union.length > 0 ? polygonClipping.intersection(area, union) : [];
  const coveredM2 = multiPolygonArea(covered);
  const gaps = findGaps(area, union, minGapM2);
  const listed = gaps.kept.slice(0, MAX_GAPS_LISTED);
  const geometry = projected ? lineGeometry(projected.footprints) : { angle: null, spacingM: null };
  const coverage: Coverage = {
    schemaVersion: COVERAGE_SCHEMA_VERSION,
    droneId: options.droneId,
    flightId: options.flightId,
    at: (options.at ?? new Date()).toISOString(),
    boundary: { kind: options.boundary ? 'file' : 'convex-hull', name: options.boundary?.name ?? null, areaM2: round2(areaM2) },
    coveredM2: round2(coveredM2),
    coveredHa: Math.round(coveredM2) / 1e4,
    coveredShare: areaM2 > 0 ? Math.min(1, Math.round((coveredM2 / areaM2) * 1e6) / 1e6) : null,
    gaps: {
      count: gaps.kept.length,
      areaM2: round2(gaps.areaM2),
      minAreaM2: minGapM2,
      sliversDropped: gaps.slivers,
      geometry: lonLatMulti(listed, metric),
    },
    lines: metric ? surveyLines(listed, geometry, metric) : { headingDeg: null, spacingM: null, totalLengthM: 0, lines: [] },
    frames: frameCounts(frames, projected?.footprints.length ?? 0, options.notCounted ?? 0),
    blur: blurCheck(frames, metric ? metric.to : null),
  };
  return { coverage, covered: lonLatMulti(covered, metric), boundary: lonLatMulti(area, metric) };
}
