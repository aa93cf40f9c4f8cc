// The GeoJSON export: one layer of the store (result points, footprints or flight tracks) as one RFC 7946
// FeatureCollection, written batch by batch; one geometry type per file, which is what GDAL and QGIS read as a layer.
import type { GeoJsonGeometry } from './export-options.js';
import { writeNewFile, type ExportCounts } from './export-file.js';
import * as T from './ground-tables.js';
import type { RowFilter, RowReader } from './row-exchange.js';
import { geometryOfWkb } from './wkb-geojson.js';

const LAYERS: Record<GeoJsonGeometry, { spec: T.TableSpec; type: 'Point' | 'Polygon' | 'LineString' }> = {
  points: { spec: T.RESULTS, type: 'Point' },
  footprints: { spec: T.FOOTPRINTS, type: 'Polygon' },
  tracks: { spec: T.FLIGHT_TRACKS, type: 'LineString' },
};

/** drone_id -> droneId: the names the MQTT payloads and the CSV export use. */
export const camelCase = (column: string): string => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function properties(spec: T.TableSpec, values: readonly T.CellValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  spec.columns.forEach((column, i) => {
    const value = values[i] ?? null;
    // top_k is a JSON document: nested in the feature (GDAL reads it as a JSON field), not a string of JSON.
    out[camelCase(column.name)] = column.kind === 'json' && typeof value === 'string' ? JSON.parse(value) : value;
  });
  return out;
}

/**
 * Writes `geometry`'s layer to the new file `out`. Rows without a geometry (results taken before a fix) are not
 * features of a point layer: they are counted as withoutGeometry (the CSV export has them).
 */
export async function exportToGeoJson(source: RowReader, out: string, filter: RowFilter, geometry: GeoJsonGeometry): Promise<ExportCounts> {
  const { spec, type } = LAYERS[geometry];
  return await writeNewFile(out, 'GeoJSON file', async (write) => {
    let features = 0;
    let withoutGeometry = 0;
    await write('{"type":"FeatureCollection","features":[\n');
    for await (const rows of source.readRows(spec, filter)) {
      const lines: string[] = [];
      for (const row of rows) {
        const shape = row.wkb === null ? null : geometryOfWkb(row.wkb);
        if (shape === null) {
          withoutGeometry += 1;
          continue;
        }
        if (shape.type !== type) throw new Error(`${spec.name}: a ${shape.type} in a layer of ${type}s; the file would mix geometry types`);
        lines.push(JSON.stringify({ type: 'Feature', geometry: shape, properties: properties(spec, row.values) }));
      }
      if (lines.length === 0) continue;
      await write(`${features > 0 ? ',\n' : ''}${lines.join(',\n')}`);
      features += lines.length;
    }
    await write('\n]}\n');
    return { [spec.name]: features, withoutGeometry };
  });
}
