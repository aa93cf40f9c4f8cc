// The map background: none (works with no internet), an http(s) tile URL template, or a local folder of
// <z>/<x>/<y>.<ext> tiles served by the dashboard itself (offline maps prepared before going to the field).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import type { TilesView } from './dashboard-types.js';

export const TILE_CONTENT_TYPES: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' };

export type TileSource =
  | { kind: 'none' }
  /** `cspSource` is what img-src must allow for the browser to load these tiles. */
  | { kind: 'template'; url: string; cspSource: string }
  | { kind: 'folder'; dir: string; ext: string; minZoom: number; maxZoom: number };

const numeric = (name: string) => /^\d{1,2}$/.test(name);

/** `value` is dashboard.tiles / --tiles; `option` names it in errors. A folder must already hold tiles. */
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
    throw new ConfigError(`${option}: "${value}" is neither an http(s) tile URL template nor an existing folder of <z>/<x>/<y>.png tiles`);
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

/** What the page is told: a folder is served under /tiles/. */
export function tilesView(source: TileSource): TilesView {
  switch (source.kind) {
    case 'none':
      return { kind: 'none' };
    case 'template':
      return { kind: 'template', url: source.url };
    case 'folder':
      return { kind: 'folder', url: `/tiles/{z}/{x}/{y}.${source.ext}`, minZoom: source.minZoom, maxZoom: source.maxZoom };
  }
}

/** The file behind /tiles/<z>/<x>/<y>.<ext>, or null for anything else (no path ever leaves the folder). */
export function tileFile(source: TileSource, path: string): string | null {
  if (source.kind !== 'folder') return null;
  const m = /^\/tiles\/(\d{1,2})\/(\d{1,9})\/(\d{1,9})\.([a-z]+)$/.exec(path);
  if (!m || m[4] !== source.ext) return null;
  return join(source.dir, m[1] as string, m[2] as string, `${m[3] as string}.${source.ext}`);
}
