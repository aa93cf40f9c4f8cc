// One stored flight read back: its class counts over the whole flight and its results in seq order, a page at a
// time, rebuilt from the `results` and `footprints` columns into the shape the dashboard draws live results in.
import type { GeoJsonPolygon, Result, ResultPosition, TopClass } from '../publish/result-schema.js';
import { wkbOfGpkgBlob } from './gpkg-geometry.js';
import type { GroundDialect } from './ground-reader.js';
import type { GroundQueries } from './ground-store.js';
import { geometryOfWkb } from './wkb-geojson.js';

export interface FlightClassCount {
  index: number;
  label: string;
  count: number;
}

/**
 * A result as the store keeps it. What the store has no column for is null: the position's sample age and the
 * timings (a live result has them); top is the first 3 of the stored top-k, as the dashboard shows them live.
 */
export interface StoredResult {
  seq: number;
  capturedAt: string;
  timeSource: Result['timeSource'];
  frame: string;
  position: (Pick<ResultPosition, 'latDeg' | 'lonDeg' | 'altMslM' | 'altAglM' | 'source' | 'fixType' | 'hdop' | 'satellites'> & { sampleAgeMs: null }) | null;
  positionReason: string | null;
  target: Result['target'];
  footprint: GeoJsonPolygon | null;
  footprintReason: string | null;
  top: TopClass[];
  totalMs: null;
}

export interface FlightPageQuery {
  droneId: string;
  flightId: string;
  /** Results with a seq above this one; -1 = from the start. */
  afterSeq: number;
  limit: number;
}

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Results per top-1 class of the whole flight, most frequent first; empty when the store has no such flight. */
export async function flightClassCounts(store: GroundQueries, droneId: string, flightId: string): Promise<FlightClassCount[]> {
  const rows = await store.select(
    'SELECT top1_index, top1_label, count(*) AS n FROM results WHERE drone_id = ? AND flight_id = ? GROUP BY top1_index, top1_label',
    [droneId, flightId],
  );
  return rows
    .map((r) => ({ index: Number(r.top1_index), label: String(r.top1_label), count: Number(r.n) }))
    .sort((a, b) => b.count - a.count || a.index - b.index);
}

/** The footprint polygon from a GeoPackage blob or PostGIS WKB; null for none (or anything but a polygon). */
function footprintOf(value: unknown, dialect: GroundDialect): GeoJsonPolygon | null {
  if (value === null || value === undefined) return null;
  const wkb = dialect === 'geopackage' ? wkbOfGpkgBlob(value) : Buffer.isBuffer(value) ? value : null;
  const geometry = wkb === null ? null : geometryOfWkb(wkb);
  if (geometry?.type !== 'Polygon') return null;
  return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(([lon, lat]) => [lon, lat] as [number, number])) };
}

/** top_k is JSON text in the GeoPackage and jsonb (already parsed by pg) in PostGIS. */
function topOf(value: unknown): TopClass[] {
  const parsed = (typeof value === 'string' ? JSON.parse(value) : value) as TopClass[] | null;
  return Array.isArray(parsed) ? parsed.slice(0, 3) : [];
}

function storedResult(r: Record<string, unknown>, dialect: GroundDialect): StoredResult {
  const lat = numOrNull(r.lat_deg);
  const lon = numOrNull(r.lon_deg);
  const targetLat = numOrNull(r.target_lat_deg);
  const targetLon = numOrNull(r.target_lon_deg);
  return {
    seq: Number(r.seq),
    capturedAt: String(r.captured_at),
    timeSource: String(r.time_source ?? 'arrival') as Result['timeSource'],
    frame: String(r.frame_name ?? ''),
    position:
      lat === null || lon === null
        ? null
        : {
            latDeg: lat,
            lonDeg: lon,
            altMslM: numOrNull(r.alt_msl_m),
            altAglM: numOrNull(r.alt_agl_m),
            source: String(r.position_source) as ResultPosition['source'],
            fixType: numOrNull(r.fix_type),
            hdop: numOrNull(r.hdop),
            satellites: numOrNull(r.satellites),
            sampleAgeMs: null,
          },
    positionReason: textOrNull(r.position_reason),
    target: targetLat === null || targetLon === null ? null : { latDeg: targetLat, lonDeg: targetLon },
    footprint: footprintOf(r.footprint, dialect),
    footprintReason: textOrNull(r.footprint_reason),
    top: topOf(r.top_k),
    totalMs: null,
  };
}

/** Up to `limit` results of one flight after `afterSeq`, in seq order, each with its footprint; all values bound as parameters. */
export async function flightResults(store: GroundQueries, dialect: GroundDialect, query: FlightPageQuery): Promise<StoredResult[]> {
  const geometry = dialect === 'geopackage' ? 'f.geom' : 'ST_AsBinary(f.geom)';
  const rows = await store.select(
    'SELECT r.seq, r.captured_at, r.time_source, r.frame_name, r.top_k, r.lat_deg, r.lon_deg, r.alt_msl_m, r.alt_agl_m, ' +
      'r.position_source, r.fix_type, r.hdop, r.satellites, r.position_reason, r.target_lat_deg, r.target_lon_deg, ' +
      `r.footprint_reason, ${geometry} AS footprint ` +
      'FROM results r LEFT JOIN footprints f ON f.drone_id = r.drone_id AND f.flight_id = r.flight_id AND f.seq = r.seq ' +
      'WHERE r.drone_id = ? AND r.flight_id = ? AND r.seq > ? ORDER BY r.seq LIMIT ?',
    [query.droneId, query.flightId, query.afterSeq, query.limit],
  );
  return rows.map((r) => storedResult(r, dialect));
}
