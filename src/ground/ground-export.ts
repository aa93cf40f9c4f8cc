// Exports the ground store (all of it, one drone's, one flight's, or what was captured since a time) for QGIS and
// spreadsheets: every table into a new GeoPackage, one layer into a GeoJSON file, or the results into a CSV file.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { exportToCsv } from './export-csv.js';
import type { ExportCounts } from './export-file.js';
import { exportToGeoJson } from './export-geojson.js';
import type { ExportShape } from './export-options.js';
import { GeoPackageGroundStore } from './geopackage-store.js';
import { ALL_TABLES } from './ground-tables.js';
import type { RowFilter, RowReader } from './row-exchange.js';

export type { ExportCounts } from './export-file.js';

/** Rows written per table; tables the filter does not apply to are absent (and empty in the file). */
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

/** Writes the new file `out` in `shape`'s format; `sourcePath` is the GeoPackage store's own file, if it is one. */
export async function exportStore(source: RowReader, out: string, shape: ExportShape, filter: RowFilter, sourcePath?: string): Promise<ExportCounts> {
  switch (shape.format) {
    case 'gpkg':
      return await exportToGeoPackage(source, out, filter, sourcePath);
    case 'geojson':
      return await exportToGeoJson(source, out, filter, shape.geometry);
    case 'csv':
      return await exportToCsv(source, out, filter);
  }
}
