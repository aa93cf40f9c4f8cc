// How stores hand rows to each other (the export): a table's columns in TableSpec order with the geometry as WKB,
// read in chunks, optionally narrowed to one drone, one flight, or what was captured since a time (SQL, in the store).
import { isoTime, type CellValue, type TableSpec } from './ground-tables.js';

/** A stored row as stores exchange it (export): the table's columns in TableSpec order, the geometry as WKB. */
export interface StoredRow {
  values: CellValue[];
  wkb: Buffer | null;
}

/** Which rows to read; a table without one of the filtered columns is not read at all. */
export interface RowFilter {
  droneId?: string;
  flightId?: string;
  /** Only rows at or after this time (ISO 8601), by the table's SINCE_COLUMN; tables without one are not read. */
  since?: string;
}

export interface RowReader {
  /** The table's rows in insertion order, in chunks (so a large table never sits in memory whole). */
  readRows(spec: TableSpec, filter: RowFilter): AsyncIterable<StoredRow[]>;
}

/**
 * The time `since` is compared with, per table: when the row's content was captured (results, footprints), began
 * (flights, and tracks: a track that started at or after T has every point at or after T) or was reported (health).
 * class_cells, drone_status and rejected have no such time (cells aggregate a whole flight), so `since` leaves them out.
 */
export const SINCE_COLUMN: Readonly<Record<string, string>> = {
  results: 'captured_at',
  footprints: 'captured_at',
  flight_tracks: 'started_at',
  flights: 'started_at',
  health: 'at',
};

/** The WHERE clause for `filter` on `spec`, with ? placeholders (numbered by `placeholder`); null = skip the table. */
export function filterClause(spec: TableSpec, filter: RowFilter, placeholder: (n: number) => string): { sql: string; params: string[] } | null {
  const names = spec.columns.map((c) => c.name);
  const wanted: Array<[string, '=' | '>=', string]> = [];
  if (filter.droneId !== undefined) wanted.push(['drone_id', '=', filter.droneId]);
  if (filter.flightId !== undefined) wanted.push(['flight_id', '=', filter.flightId]);
  if (filter.since !== undefined) {
    const column = SINCE_COLUMN[spec.name];
    if (column === undefined) return null;
    // The GeoPackage keeps times as text in toISOString's form and compares them as text: the bound must have that
    // form too (PostgreSQL casts it to timestamptz from the column's type).
    wanted.push([column, '>=', isoTime(filter.since)]);
  }
  if (wanted.some(([column]) => !names.includes(column))) return null;
  return {
    sql: wanted.map(([column, op], i) => `"${column}" ${op} ${placeholder(i + 1)}`).join(' AND '),
    params: wanted.map(([, , value]) => value),
  };
}
