// The map background: none (works with no internet), an http(s) tile URL template, or, served by the dashboard
// itself, a local folder of <z>/<x>/<y>.<ext> tiles or a raster MBTiles or PMTiles file (offline maps prepared before
// going to the field).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import type { TilesView } from './dashboard-types.js';
import { openMbtiles } from './mbtiles-reader.js';
import { openPmtiles } from './pmtiles-reader.js';
import { archiveKind, type TileArchive } from './tile-archive.js';

export const TILE_CONTENT_TYPES: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' };

export type TileSource =
  | { kind: 'none' }
  /** `cspSource` is what img-src must allow for the browser to load these tiles. */
  | { kind: 'template'; url: string; cspSource: string }
  | { kind: 'folder'; dir: string; ext: string; minZoom: number; maxZoom: number }
  /** An MBTiles or PMTiles file, open read-only until closeTileSource. */
  | { kind: 'archive'; file: string; archive: TileArchive };

const numeric = (name: string) => /^\d{1,2}$/.test(name);

/** Like parseTileSource, and an existing file is opened as an MBTiles or PMTiles basemap (told apart by content). */
export async function openTileSource(value: string, option: string): Promise<TileSource> {
  if (value === '' || /^https?:\/\//i.test(value) || !existsSync(value) || !statSync(value).isFile()) return parseTileSource(value, option);
  const archive = archiveKind(value, option) === 'mbtiles' ? openMbtiles(value, option) : await openPmtiles(value, option);
  return { kind: 'archive', file: value, archive };
}

/** Closes an archive's file (nothing to do for the other kinds). */
export async function closeTileSource(source: TileSource): Promise<void> {
  if (source.kind === 'archive') await source.archive.close();
}

/** `value` is dashboard.tiles / --tiles; `option` names it in errors. A folder must already hold tiles. Files: openTileSource. */
export function parseTileSource(value: string, option: string): TileSource {
  if (value === '') return { kind: 'none' };
  if (/^https?:\/\//i.test(value)) {
    if (!['{z}', '{x}', '{y}'].every((p) => value.includes(p))) {
      throw new ConfigError(`${option}: a tile URL template needs {z}, {x} and {y} (like https://tiles.example/{z}/{x}/{y}.png), received "${value}"`);
    }
    let url: URL;
    try {
      // {s} (subdomains) becomes a wildcard host label for the Content-Security-Policy.
      url = new URL(value.replaceAll('{s}', 'sub').replace(/\{[a-z]+\}/gi, '0'));
    } catch {
      throw new ConfigError(`${option}: not a valid URL template, received "${value}"`);
    }
    const host = value.includes('{s}') ? url.host.replace(/^sub\./, '*.') : url.host;
    return { kind: 'template', url: value, cspSource: `${url.protocol}//${host}` };
  }
  if (!existsSync(value) || !statSync(value).isDirectory()) {
    throw new ConfigError(
      `${option}: "${value}" is neither an http(s) tile URL template nor an existing folder of <z>/<x>/<y>.png tiles nor an .mbtiles or .pmtiles file`,
    );
  }
  const zooms = readdirSync(value)
    .filter(numeric)
    .map(Number)
    .sort((a, b) => a - b);
  const ext = zooms.map((z) => firstTileExtension(join(value, String(z)))).find((e) => e !== undefined);
  if (zooms.length === 0 || ext === undefined) {
    throw new ConfigError(`${option}: folder "${value}" holds no <z>/<x>/<y>.png (or .jpg, .webp) tiles`);
  }
  return { kind: 'folder', dir: value, ext, minZoom: zooms[0] ?? 0, maxZoom: zooms.at(-1) ?? 0 };
}

function firstTileExtension(zoomDir: string): string | undefined {
  for (const x of readdirSync(zoomDir).filter((n) => /^\d+$/.test(n))) {
    for (const file of readdirSync(join(zoomDir, x))) {
      const ext = /^\d+\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
      if (ext !== undefined && ext in TILE_CONTENT_TYPES) return ext;
    }
  }
  return undefined;
}

/** What the page is told: a folder or a file is served under /tiles/ (the page draws both alike). */
export function tilesView(source: TileSource): TilesView {
  switch (source.kind) {
    case 'none':
      return { kind: 'none' };
    case 'template':
      return { kind: 'template', url: source.url };
    case 'folder':
      return { kind: 'folder', url: `/tiles/{z}/{x}/{y}.${source.ext}`, minZoom: source.minZoom, maxZoom: source.maxZoom };
    case 'archive': {
      const { ext, minZoom, maxZoom, bounds } = source.archive;
      return { kind: 'folder', url: `/tiles/{z}/{x}/{y}.${ext}`, minZoom, maxZoom, ...(bounds ? { bounds } : {}) };
    }
  }
}

/** z, x, y and the extension of /tiles/<z>/<x>/<y>.<ext>, or null for any other path. */
export function tileAddress(path: string): { z: number; x: number; y: number; ext: string } | null {
  const m = /^\/tiles\/(\d{1,2})\/(\d{1,9})\/(\d{1,9})\.([a-z]+)$/.exec(path);
  return m ? { z: Number(m[1]), x: Number(m[2]), y: Number(m[3]), ext: m[4] as string } : null;
}

/** The file behind /tiles/<z>/<x>/<y>.<ext>, or null for anything else (no path ever leaves the folder). */
export function tileFile(source: TileSource, path: string): string | null {
  const tile = tileAddress(path);
  if (source.kind !== 'folder' || tile === null || tile.ext !== source.ext) return null;
  return join(source.dir, String(tile.z), String(tile.x), `${tile.y}.${source.ext}`);
}
