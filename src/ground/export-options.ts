// Checks `fieldeye ground export`'s --format, --geometry and --since before any store is opened: a wrong value is a
// configuration fault (exit 78) that names the option, the valid values and what was received.
import { ConfigError, describeValue } from '../config/config-error.js';

export const EXPORT_FORMATS = ['gpkg', 'geojson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** GeoJSON layers: GDAL and QGIS read one geometry type per file, so each is its own file. */
export const GEOJSON_GEOMETRIES = ['points', 'footprints', 'tracks'] as const;
export type GeoJsonGeometry = (typeof GEOJSON_GEOMETRIES)[number];

export type ExportShape = { format: 'gpkg' } | { format: 'csv' } | { format: 'geojson'; geometry: GeoJsonGeometry };

const oneOf = <T extends string>(values: readonly T[], text: string): text is T => (values as readonly string[]).includes(text);

/** --format (default gpkg) and --geometry (GeoJSON only, default points). */
export function exportShape(format: string | undefined, geometry: string | undefined): ExportShape {
  const chosen = format ?? 'gpkg';
  if (!oneOf(EXPORT_FORMATS, chosen)) {
    throw new ConfigError(`--format: expected one of ${EXPORT_FORMATS.join(', ')}, received ${describeValue(chosen)}`);
  }
  if (chosen !== 'geojson') {
    if (geometry !== undefined) {
      throw new ConfigError(
        `--geometry: only with --format geojson (${GEOJSON_GEOMETRIES.join(', ')}); --format ${chosen} writes ` +
          (chosen === 'csv' ? 'one row per result' : 'every layer into one GeoPackage'),
      );
    }
    return { format: chosen };
  }
  const layer = geometry ?? 'points';
  if (!oneOf(GEOJSON_GEOMETRIES, layer)) {
    throw new ConfigError(`--geometry: expected one of ${GEOJSON_GEOMETRIES.join(', ')}, received ${describeValue(layer)}`);
  }
  return { format: 'geojson', geometry: layer };
}

const SINCE_EXAMPLE = 'such as 2024-05-01 (midnight UTC) or 2024-05-01T10:30:00Z';

/** Date, or date and time to the minute, second or fraction; then Z, ±hh:mm or ±hhmm, or nothing (= UTC). */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * --since as an ISO 8601 UTC time with milliseconds (how the stores keep times). A bare date is midnight UTC, and so
 * is a time without an offset: the stores hold UTC, and the machine's own zone would make a script's result depend
 * on where it runs. Fractions below a millisecond round up, so a row is never counted that is before T.
 */
export function parseSince(text: string): string {
  const m = ISO_8601.exec(text.trim());
  const fail = (): never => {
    throw new ConfigError(`--since: expected an ISO 8601 date or date-time ${SINCE_EXAMPLE}, received ${describeValue(text)}`);
  };
  if (m === null) return fail();
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = fraction === '' ? 0 : Math.ceil(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(utc);
  // Date.UTC rolls 2024-02-30 over into March (and reads years below 100 as 19xx): what does not round-trip is refused.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return fail();
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const [oh, om] = [Number(digits.slice(1, 3)), Number(digits.slice(3, 5))];
    if (oh > 23 || om > 59) return fail();
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(utc + ms - offsetMin * 60_000).toISOString();
}
