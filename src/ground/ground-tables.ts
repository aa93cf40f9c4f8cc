// The ground store's tables, described once for both stores (GeoPackage and PostGIS): columns with their type on
// each side, natural keys, geometry kind, and how a validated message becomes a row.
import type { Result } from '../publish/result-schema.js';
import type { Health } from '../publish/health-schema.js';
import type { Flight } from '../publish/flight-schema.js';
import type { RejectedMessage } from './ground-store.js';
import type { SimpleGeometry } from './wkb.js';
import type { ClassCell } from './class-grid.js';

export type CellValue = string | number | null;

/** text, integer, real number, ISO 8601 UTC time, JSON document. */
export type ColumnKind = 'text' | 'integer' | 'real' | 'time' | 'json';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  notNull?: boolean;
}

export interface TableSpec {
  name: string;
  /** Shown in GIS tools (gpkg_contents.identifier / description, COMMENT ON TABLE). */
  title: string;
  description: string;
  /** null = an attribute table (no geometry). */
  geometry: 'POINT' | 'LINESTRING' | 'POLYGON' | null;
  columns: readonly ColumnSpec[];
  /** The natural key; one row per key, so a redelivered message is a no-op. */
  unique: readonly string[];
}

const col = (name: string, kind: ColumnKind, notNull = false): ColumnSpec => (notNull ? { name, kind, notNull } : { name, kind });

export const RESULTS: TableSpec = {
  name: 'results',
  title: 'fieldeye results',
  description: 'One point per classified frame at the drone position (null without a fix); top-1 class and score, top-k as JSON',
  geometry: 'POINT',
  columns: [
    col('drone_id', 'text', true),
    col('flight_id', 'text', true),
    col('seq', 'integer', true),
    col('captured_at', 'time', true),
    col('time_source', 'text'),
    col('clock_source', 'text'),
    col('frame_name', 'text'),
    col('top1_label', 'text', true),
    col('top1_index', 'integer', true),
    col('top1_score', 'real', true),
    col('top_k', 'json', true),
    col('model_name', 'text'),
    col('model_sha256', 'text', true),
    col('model_precision', 'text'),
    col('lat_deg', 'real'),
    col('lon_deg', 'real'),
    col('alt_msl_m', 'real'),
    col('alt_agl_m', 'real'),
    col('position_source', 'text'),
    col('fix_type', 'integer'),
    col('hdop', 'real'),
    col('satellites', 'integer'),
    col('course_deg', 'real'),
    col('position_reason', 'text'),
    col('target_lat_deg', 'real'),
    col('target_lon_deg', 'real'),
    col('footprint_reason', 'text'),
    col('received_at', 'time', true),
  ],
  unique: ['drone_id', 'flight_id', 'seq'],
};

export const FOOTPRINTS: TableSpec = {
  name: 'footprints',
  title: 'fieldeye footprints',
  description: "Each frame's model crop on flat ground, with its top-1 class",
  geometry: 'POLYGON',
  columns: [
    col('drone_id', 'text', true),
    col('flight_id', 'text', true),
    col('seq', 'integer', true),
    col('captured_at', 'time', true),
    col('top1_label', 'text', true),
    col('top1_score', 'real', true),
    col('model_sha256', 'text', true),
  ],
  unique: ['drone_id', 'flight_id', 'seq'],
};

export const FLIGHT_TRACKS: TableSpec = {
  name: 'flight_tracks',
  title: 'fieldeye flight tracks',
  description: "Each flight's path, rebuilt from its stored results' positions in seq order",
  geometry: 'LINESTRING',
  columns: [
    col('drone_id', 'text', true),
    col('flight_id', 'text', true),
    col('points', 'integer', true),
    col('first_seq', 'integer', true),
    col('last_seq', 'integer', true),
    col('started_at', 'time'),
    col('ended_at', 'time'),
    col('updated_at', 'time', true),
  ],
  unique: ['drone_id', 'flight_id'],
};

export const CLASS_CELLS: TableSpec = {
  name: 'class_cells',
  title: 'fieldeye class map',
  description:
    "Each flight's results binned into square cells of a worldwide grid (cells of flights over one field coincide): majority top-1 class, count, share and mean score",
  geometry: 'POLYGON',
  columns: [
    col('drone_id', 'text', true),
    col('flight_id', 'text', true),
    col('cell_m', 'real', true),
    col('cell_row', 'integer', true),
    col('cell_col', 'integer', true),
    col('label', 'text', true),
    col('results', 'integer', true),
    col('share', 'real', true),
    col('mean_score', 'real', true),
    col('updated_at', 'time', true),
  ],
  unique: ['drone_id', 'flight_id', 'cell_m', 'cell_row', 'cell_col'],
};

export const FLIGHTS: TableSpec = {
  name: 'flights',
  title: 'fieldeye flights',
  description: 'The retained flight documents: model, configuration hash, start and end',
  geometry: null,
  columns: [
    col('drone_id', 'text', true),
    col('flight_id', 'text', true),
    col('kind', 'text'),
    col('started_at', 'time', true),
    col('ended_at', 'time'),
    col('model_name', 'text'),
    col('model_architecture', 'text'),
    col('model_sha256', 'text'),
    col('model_precision', 'text'),
    col('model_classes', 'integer'),
    col('config_sha256', 'text'),
    col('software_version', 'text'),
    col('received_at', 'time', true),
  ],
  unique: ['drone_id', 'flight_id'],
};

export const HEALTH: TableSpec = {
  name: 'health',
  title: 'fieldeye health',
  description: "The drones' periodic health reports; the whole report is in document",
  geometry: null,
  columns: [
    col('drone_id', 'text', true),
    col('flight_id', 'text', true),
    col('at', 'time', true),
    col('fps', 'real'),
    col('latency_p50_ms', 'real'),
    col('latency_p99_ms', 'real'),
    col('frames', 'integer'),
    col('results', 'integer'),
    col('drops', 'integer'),
    col('outbox_depth', 'integer'),
    col('outbox_oldest_age_ms', 'real'),
    col('link', 'text'),
    col('cpu_temp_c', 'real'),
    col('throttled', 'integer'),
    col('document', 'json', true),
    col('received_at', 'time', true),
  ],
  unique: ['drone_id', 'flight_id', 'at'],
};

export const DRONE_STATUS: TableSpec = {
  name: 'drone_status',
  title: 'fieldeye drone status',
  description: 'The last status (online / offline) each drone published, and when it was received',
  geometry: null,
  columns: [col('drone_id', 'text', true), col('status', 'text', true), col('received_at', 'time', true)],
  unique: ['drone_id'],
};

export const REJECTED: TableSpec = {
  name: 'rejected',
  title: 'fieldeye rejected messages',
  description: 'Messages that failed validation: topic, time, reason and the start of the payload; never stored as results',
  geometry: null,
  columns: [
    col('topic', 'text', true),
    col('received_at', 'time', true),
    col('reason', 'text', true),
    col('excerpt', 'text', true),
    col('payload_bytes', 'integer', true),
    col('payload_sha256', 'text', true),
  ],
  unique: ['topic', 'payload_sha256'],
};

export const ALL_TABLES: readonly TableSpec[] = [RESULTS, FOOTPRINTS, FLIGHT_TRACKS, CLASS_CELLS, FLIGHTS, HEALTH, DRONE_STATUS, REJECTED];

/** Capture and report times normalised to one form (ms, Z) so they sort and compare as text in SQLite too. */
export const isoTime = (text: string): string => new Date(text).toISOString();

export function resultRow(r: Result, receivedAt: string): CellValue[] {
  const top1 = r.top[0];
  const p = r.position;
  return [
    r.droneId,
    r.flightId,
    r.seq,
    isoTime(r.capturedAt),
    r.timeSource,
    r.clock?.source ?? null,
    r.frame.name,
    top1?.label ?? '',
    top1?.index ?? -1,
    top1?.score ?? 0,
    JSON.stringify(r.top),
    r.model.name,
    r.model.sha256,
    r.model.precision,
    p?.latDeg ?? null,
    p?.lonDeg ?? null,
    p?.altMslM ?? null,
    p?.altAglM ?? null,
    p?.source ?? null,
    p?.fixType ?? null,
    p?.hdop ?? null,
    p?.satellites ?? null,
    p?.courseDeg ?? null,
    r.positionReason,
    r.target?.latDeg ?? null,
    r.target?.lonDeg ?? null,
    r.footprintReason,
    receivedAt,
  ];
}

/** The result's point: where the drone was (null without a position). */
export function resultGeometry(r: Result): SimpleGeometry | null {
  return r.position === null ? null : { type: 'Point', coordinates: [r.position.lonDeg, r.position.latDeg] };
}

export function footprintRow(r: Result): CellValue[] {
  const top1 = r.top[0];
  return [r.droneId, r.flightId, r.seq, isoTime(r.capturedAt), top1?.label ?? '', top1?.score ?? 0, r.model.sha256];
}

export function footprintGeometry(r: Result): SimpleGeometry | null {
  if (r.footprint === null) return null;
  return { type: 'Polygon', coordinates: r.footprint.coordinates.map((ring) => ring.map(([x, y]) => [x, y] as const)) };
}

/** Where a result's class applies: the image centre on the ground when known, else under the drone. */
export const CLASS_POINT_SQL =
  'SELECT coalesce(target_lat_deg, lat_deg) AS "latDeg", coalesce(target_lon_deg, lon_deg) AS "lonDeg", top1_label AS label, top1_score AS score ' +
  'FROM results WHERE drone_id = ? AND flight_id = ? AND lat_deg IS NOT NULL';

export function classCellRow(droneId: string, flightId: string, cellM: number, c: ClassCell, updatedAt: string): CellValue[] {
  return [droneId, flightId, cellM, c.row, c.col, c.label, c.results, c.share, c.meanScore, updatedAt];
}

export function flightRow(f: Flight, receivedAt: string): CellValue[] {
  return [
    f.droneId,
    f.flightId,
    f.kind ?? null,
    isoTime(f.startedAt),
    f.endedAt ? isoTime(f.endedAt) : null,
    f.model.name,
    f.model.architecture,
    f.model.sha256,
    f.model.precision,
    f.model.classes,
    f.configSha256,
    f.software.version,
    receivedAt,
  ];
}

export function healthRow(h: Health, receivedAt: string): CellValue[] {
  return [
    h.droneId,
    h.flightId,
    isoTime(h.at),
    h.fps,
    h.latencyMs?.p50 ?? null,
    h.latencyMs?.p99 ?? null,
    h.frames,
    h.results,
    h.drops,
    h.outbox.depth,
    h.outbox.oldestAgeMs,
    h.link,
    h.cpuTempC,
    h.throttled,
    JSON.stringify(h),
    receivedAt,
  ];
}

export function rejectedRow(topic: string, receivedAt: string, m: RejectedMessage): CellValue[] {
  return [topic, receivedAt, m.reason, m.excerpt, m.payloadBytes, m.payloadSha256];
}
