// A single-file offline basemap (MBTiles or PMTiles) opened read-only: what kind of file it is, read from its first
// bytes rather than its name, and the raster formats the dashboard can serve to the page as they are.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';

/** Tile formats served as they are; the page draws them as <img>, so vector tiles (pbf, mvt) cannot be shown. */
export const RASTER_FORMATS: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };

export interface TileArchive {
  format: 'mbtiles' | 'pmtiles';
  /** png, jpg or webp: the extension of the page's tile URLs. */
  ext: string;
  minZoom: number;
  maxZoom: number;
  /** [[south, west], [north, east]] in degrees, when the file says (the page limits tile requests to it). */
  bounds: [[number, number], [number, number]] | null;
  /** The tile's bytes (XYZ numbering, as Leaflet asks), or null when the file has none there. */
  tile(z: number, x: number, y: number): Promise<Buffer | null>;
  close(): Promise<void> | void;
}

/** `file`'s first 16 bytes: "SQLite format 3\0" (MBTiles is SQLite) or "PMTiles" and a version byte. */
export function archiveKind(file: string, option: string): 'mbtiles' | 'pmtiles' {
  if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`${option}: "${file}" does not exist or is not a file`);
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'SQLite format 3\0') return 'mbtiles';
  if (head.subarray(0, 7).toString('latin1') === 'PMTiles') return 'pmtiles';
  throw new ConfigError(
    `${option}: "${file}" is neither an MBTiles (SQLite) nor a PMTiles file; give a raster .mbtiles or .pmtiles basemap, a folder of <z>/<x>/<y>.png tiles or an http(s) URL template`,
  );
}

/** The refusal for a tile format the page cannot draw; vector tiles would need a renderer the dashboard does not have. */
export function unservableFormat(file: string, option: string, format: string): ConfigError {
  const vector = /^(pbf|mvt|mlt)$/i.test(format);
  return new ConfigError(
    vector
      ? `${option}: "${file}" holds vector tiles (${format}); the dashboard shows raster basemaps only: give an MBTiles or PMTiles file of png, jpg or webp tiles (for example one rendered from these vector tiles)`
      : `${option}: "${file}" holds tiles of an unknown or unsupported format (${format || 'not stated'}); the dashboard serves png, jpg or webp raster tiles`,
  );
}

/** Bounds as the page wants them, or null for missing, unparsable or empty (south >= north) ones. */
export function latLngBounds(west: number, south: number, east: number, north: number): TileArchive['bounds'] {
  const ok = [west, south, east, north].every(Number.isFinite) && south < north && west < east;
  return ok
    ? [
        [Math.max(south, -85.0511), west],
        [Math.min(north, 85.0511), east],
      ]
    : null;
}

/** A format named by its tile's first bytes, for files whose metadata does not say. */
export function sniffFormat(tile: Buffer): string {
  if (tile.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'png';
  if (tile[0] === 0xff && tile[1] === 0xd8 && tile[2] === 0xff) return 'jpg';
  if (tile.subarray(0, 4).toString('latin1') === 'RIFF' && tile.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  if (tile[0] === 0x1f && tile[1] === 0x8b) return 'pbf';
  return '';
}
