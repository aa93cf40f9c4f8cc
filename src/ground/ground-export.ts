// Copies the ground store's tables (all of them, or one drone's or one flight's rows) into a new GeoPackage: the
// agronomist's file for QGIS, taken from the station's PostGIS (or GeoPackage) without touching it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { GeoPackageGroundStore } from './geopackage-store.js';
import { ALL_TABLES } from './ground-tables.js';
import type { RowFilter, RowReader } from './row-exchange.js';

/** Rows written per table; tables the filter does not apply to are absent (and empty in the file). */
export type ExportCounts = Record<string, number>;

export async function exportToGeoPackage(source: RowReader, out: string, filter: RowFilter, sourcePath?: string): Promise<ExportCounts> {
  if (sourcePath !== undefined && resolve(sourcePath) === resolve(out)) {
    throw new ConfigError(`--out: ${out} is the store itself; export into another file`);
  }
  if (existsSync(out)) throw new ConfigError(`--out: ${out} exists; export writes a new GeoPackage: choose another path or remove the file`);
  const target = GeoPackageGroundStore.open(out);
  const counts: ExportCounts = {};
  try {
    for (const spec of ALL_TABLES) {
      for await (const rows of source.readRows(spec, filter)) {
        counts[spec.name] = (counts[spec.name] ?? 0) + target.appendRows(spec, rows);
      }
    }
  } finally {
    await target.close();
  }
  return counts;
}
