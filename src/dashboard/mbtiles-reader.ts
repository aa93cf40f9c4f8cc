// Reads an MBTiles file (the SQLite schema of https://github.com/mapbox/mbtiles-spec): tiles(zoom_level,
// tile_column, tile_row, tile_data) with rows numbered from the south (TMS), and a metadata(name, value) table.
import Database from 'better-sqlite3';
import { ConfigError } from '../config/config-error.js';
import { latLngBounds, RASTER_FORMATS, sniffFormat, unservableFormat, type TileArchive } from './tile-archive.js';

type Db = Database.Database;

function metadata(db: Db, file: string, option: string): Map<string, string> {
  try {
    const rows = db.prepare('SELECT name, value FROM metadata').all() as { name: string; value: unknown }[];
    return new Map(rows.map((r) => [String(r.name).toLowerCase(), String(r.value)]));
  } catch (error) {
    throw notMbtiles(file, option, (error as Error).message);
  }
}

function notMbtiles(file: string, option: string, why: string): ConfigError {
  return new ConfigError(
    `${option}: "${file}" is an SQLite file but not an MBTiles basemap (${why}); give an .mbtiles file with metadata and tiles tables (https://github.com/mapbox/mbtiles-spec)`,
  );
}

/** The zoom range from metadata, else from the tiles themselves (the table must hold at least one). */
function zoomRange(db: Db, meta: Map<string, string>, file: string, option: string): { minZoom: number; maxZoom: number; first: Buffer } {
  let stored: { minZoom: number | null; maxZoom: number | null; first: Buffer | null };
  try {
    stored = db
      .prepare('SELECT MIN(zoom_level) AS minZoom, MAX(zoom_level) AS maxZoom, (SELECT tile_data FROM tiles LIMIT 1) AS first FROM tiles')
      .get() as typeof stored;
  } catch (error) {
    throw notMbtiles(file, option, (error as Error).message);
  }
  if (stored.first === null || stored.minZoom === null || stored.maxZoom === null) {
    throw new ConfigError(`${option}: MBTiles file "${file}" holds no tiles (its tiles table is empty); give a basemap with tiles in it`);
  }
  const declared = (key: string, fallback: number) => {
    const n = Number(meta.get(key));
    return meta.has(key) && Number.isInteger(n) && n >= 0 && n <= 30 ? n : fallback;
  };
  return { minZoom: declared('minzoom', stored.minZoom), maxZoom: declared('maxzoom', stored.maxZoom), first: stored.first };
}

/** Opens `file` read-only; the caller closes it. Throws a ConfigError naming the file for anything it cannot serve. */
export function openMbtiles(file: string, option: string): TileArchive {
  let db: Db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new ConfigError(`${option}: cannot open MBTiles file "${file}" read-only (${(error as Error).message}); check the path and its permissions`);
  }
  try {
    const meta = metadata(db, file, option);
    const { minZoom, maxZoom, first } = zoomRange(db, meta, file, option);
    // Older files say "jpeg"; files without a format are named by their first tile.
    const format = (meta.get('format') ?? sniffFormat(first)).toLowerCase().replace(/^jpeg$/, 'jpg');
    if (!(format in RASTER_FORMATS)) throw unservableFormat(file, option, format);
    const [west, south, east, north] = (meta.get('bounds') ?? '').split(',').map((v) => Number(v.trim()));
    const select = db.prepare('SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?').pluck();
    return {
      format: 'mbtiles',
      ext: format,
      minZoom,
      maxZoom,
      bounds: latLngBounds(west ?? NaN, south ?? NaN, east ?? NaN, north ?? NaN),
      // async: a failure (say, after close) rejects like the PMTiles reader's instead of throwing.
      tile: async (z, x, y) => {
        // MBTiles counts rows from the south (TMS); Leaflet's y counts from the north.
        const data = select.get(z, x, 2 ** z - 1 - y) as Buffer | undefined;
        return data ?? null;
      },
      close: () => {
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
