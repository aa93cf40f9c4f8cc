// The CSV export: one row per stored result (position, top-1 class and the other scalar columns), RFC 4180 quoting,
// written batch by batch so the store is never held in memory whole.
import { writeNewFile, type ExportCounts } from './export-file.js';
import * as T from './ground-tables.js';
import type { RowFilter, RowReader } from './row-exchange.js';

/** Header -> results column. The position first (what spreadsheets and QGIS's delimited-text import look for), top_k left out (not a scalar). */
const COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['droneId', 'drone_id'],
  ['flightId', 'flight_id'],
  ['seq', 'seq'],
  ['capturedAt', 'captured_at'],
  ['lat', 'lat_deg'],
  ['lon', 'lon_deg'],
  ['altMslM', 'alt_msl_m'],
  ['altAglM', 'alt_agl_m'],
  ['top1Label', 'top1_label'],
  ['top1Score', 'top1_score'],
  ['top1Index', 'top1_index'],
  ['timeSource', 'time_source'],
  ['clockSource', 'clock_source'],
  ['frameName', 'frame_name'],
  ['modelName', 'model_name'],
  ['modelSha256', 'model_sha256'],
  ['modelPrecision', 'model_precision'],
  ['positionSource', 'position_source'],
  ['fixType', 'fix_type'],
  ['hdop', 'hdop'],
  ['satellites', 'satellites'],
  ['courseDeg', 'course_deg'],
  ['positionReason', 'position_reason'],
  ['targetLat', 'target_lat_deg'],
  ['targetLon', 'target_lon_deg'],
  ['footprintReason', 'footprint_reason'],
  ['receivedAt', 'received_at'],
];

const AT = COLUMNS.map(([header, column]) => {
  const i = T.RESULTS.columns.findIndex((c) => c.name === column);
  if (i < 0) throw new Error(`export-csv: results has no column ${column} (for ${header})`);
  return i;
});

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled (ImageNet labels have commas). */
export function csvField(value: T.CellValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CRLF line ends, as RFC 4180 has them (GDAL, QGIS and spreadsheets read them; so does a plain split on \n). */
const EOL = '\r\n';

export async function exportToCsv(source: RowReader, out: string, filter: RowFilter): Promise<ExportCounts> {
  return await writeNewFile(out, 'CSV file', async (write) => {
    let rowsWritten = 0;
    await write(COLUMNS.map(([header]) => header).join(',') + EOL);
    for await (const rows of source.readRows(T.RESULTS, filter)) {
      await write(rows.map((row) => AT.map((i) => csvField(row.values[i] ?? null)).join(',') + EOL).join(''));
      rowsWritten += rows.length;
    }
    return { [T.RESULTS.name]: rowsWritten };
  });
}
