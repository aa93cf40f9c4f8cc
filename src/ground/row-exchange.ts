// How stores hand rows to each other (the export): a table's columns in TableSpec order with the geometry as WKB,
// read in chunks, optionally narrowed to one drone or one flight.
import type { CellValue, TableSpec } from './ground-tables.js';

/** A stored row as stores exchange it (export): the table's columns in TableSpec order, the geometry as WKB. */
export interface StoredRow {
  values: CellValue[];
  wkb: Buffer | null;
}

/** Which rows to read; a table without one of the filtered columns is not read at all. */
export interface RowFilter {
  droneId?: string;
  flightId?: string;
}

export interface RowReader {
  /** The table's rows in insertion order, in chunks (so a large table never sits in memory whole). */
  readRows(spec: TableSpec, filter: RowFilter): AsyncIterable<StoredRow[]>;
}

/** The WHERE clause for `filter` on `spec`, with ? placeholders (numbered by `placeholder`); null = skip the table. */
export function filterClause(spec: TableSpec, filter: RowFilter, placeholder: (n: number) => string): { sql: string; params: string[] } | null {
  const names = spec.columns.map((c) => c.name);
  const wanted: Array<[string, string]> = [];
  if (filter.droneId !== undefined) wanted.push(['drone_id', filter.droneId]);
  if (filter.flightId !== undefined) wanted.push(['flight_id', filter.flightId]);
  if (wanted.some(([column]) => !names.includes(column))) return null;
  return {
    sql: wanted.map(([column], i) => `"${column}" = ${placeholder(i + 1)}`).join(' AND '),
    params: wanted.map(([, value]) => value),
  };
}
