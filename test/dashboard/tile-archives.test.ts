// Offline basemaps from one file: real MBTiles and PMTiles files opened by the dashboard's readers and served through
// its /tiles/ route, byte for byte per z/x/y (MBTiles' south-up rows included), 404 elsewhere, and every refusal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTileSource, openTileSource, tilesView, type TileSource } from '../../src/dashboard/tile-source.js';
import { handleTileRoute } from '../../src/dashboard/tile-routes.js';
import { allTiles, writeMbtiles, writePmtiles, type TestTile } from './tile-archive-files.js';

const OPTION = 'dashboard.tiles (--tiles)';
const BOUNDS: [number, number, number, number] = [5.9, 45.8, 10.5, 47.8];
let work: string;
let tiles: TestTile[];

/** The dashboard's tile route alone on a loopback port; anything it does not answer is a plain 404. */
async function serve(
  source: TileSource,
): Promise<{ get(path: string): Promise<{ status: number; type: string | null; body: Buffer }>; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void handleTileRoute(req.url ?? '/', res, source).then((handled) => {
      if (!handled) res.writeHead(404).end('not a tile route');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: async (path) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function expectServesEveryTile(file: string, ext = 'png', type = 'image/png'): Promise<void> {
  const source = await openTileSource(file, OPTION);
  const server = await serve(source);
  try {
    for (const t of tiles) {
      const got = await server.get(`/tiles/${t.z}/${t.x}/${t.y}.${ext}`);
      expect({ z: t.z, x: t.x, y: t.y, status: got.status, type: got.type }).toEqual({ z: t.z, x: t.x, y: t.y, status: 200, type });
      expect(got.body.equals(t.data), `bytes of ${t.z}/${t.x}/${t.y}`).toBe(true);
    }
    // Past the zoom range, outside the zoom level's grid, and another extension than the file's.
    for (const path of [`/tiles/3/0/0.${ext}`, `/tiles/1/2/0.${ext}`, `/tiles/1/0/2.${ext}`, `/tiles/1/0/0.${ext === 'png' ? 'jpg' : 'png'}`]) {
      expect((await server.get(path)).status, path).toBe(404);
    }
  } finally {
    await server.close();
    await closeTileSource(source);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-tile-archives-'));
  tiles = await allTiles(0, 2);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The page's view of a z0-2 file of BOUNDS; after close, a tile read fails with `closedError`. */
async function expectViewOfBoundsThenClosed(file: string, closedError: RegExp): Promise<void> {
  const source = await openTileSource(file, OPTION);
  expect(tilesView(source)).toEqual({
    kind: 'folder',
    url: '/tiles/{z}/{x}/{y}.png',
    minZoom: 0,
    maxZoom: 2,
    bounds: [
      [45.8, 5.9],
      [47.8, 10.5],
    ],
  });
  await closeTileSource(source);
  await expect(source.kind === 'archive' ? source.archive.tile(0, 0, 0) : null).rejects.toThrow(closedError);
}

describe('MBTiles basemap', () => {
  it('serves each z/x/y from the row counted from the south, with the zoom range and bounds from metadata', async () => {
    const file = join(work, 'field.mbtiles');
    writeMbtiles(file, tiles, { name: 'field', format: 'png', bounds: BOUNDS.join(','), minzoom: '0', maxzoom: '2' });
    await expectServesEveryTile(file);
    // The flip itself: Leaflet's 1/0/0 (north-west) is the row numbered 1 in the file.
    const db = new Database(file, { readonly: true });
    const stored = db.prepare('SELECT tile_data FROM tiles WHERE zoom_level = 1 AND tile_column = 0 AND tile_row = 1').pluck().get() as Buffer;
    db.close();
    expect(stored.equals(tiles.find((t) => t.z === 1 && t.x === 0 && t.y === 0)?.data ?? Buffer.alloc(0))).toBe(true);
    await expectViewOfBoundsThenClosed(file, /not open/);
  });

  it('names the format from the first tile when metadata does not, and takes the zoom range from the tiles', async () => {
    const jpegs = await Promise.all(tiles.filter((t) => t.z <= 1).map(async (t) => ({ ...t, data: await sharp(t.data).jpeg().toBuffer() })));
    const file = join(work, 'no-format.mbtiles');
    writeMbtiles(file, jpegs, { name: 'no format' });
    const source = await openTileSource(file, OPTION);
    expect(tilesView(source)).toEqual({ kind: 'folder', url: '/tiles/{z}/{x}/{y}.jpg', minZoom: 0, maxZoom: 1 });
    const server = await serve(source);
    const got = await server.get('/tiles/1/1/0.jpg');
    expect([got.status, got.type]).toEqual([200, 'image/jpeg']);
    expect(got.body.equals(jpegs.find((t) => t.z === 1 && t.x === 1 && t.y === 0)?.data ?? Buffer.alloc(0))).toBe(true);
    await server.close();
    await closeTileSource(source);
  });

  it('refuses vector tiles, unknown formats, an empty tiles table and an SQLite file that is not MBTiles, naming the file', async () => {
    const at = (name: string) => join(work, name);
    writeMbtiles(at('vector.mbtiles'), tiles.slice(0, 1), { format: 'pbf' });
    writeMbtiles(at('tiff.mbtiles'), tiles.slice(0, 1), { format: 'tiff' });
    writeMbtiles(at('empty.mbtiles'), [], { format: 'png' });
    const other = new Database(at('other.sqlite'));
    other.exec('CREATE TABLE flights (id TEXT)');
    other.close();
    await expect(openTileSource(at('vector.mbtiles'), OPTION)).rejects.toThrow(
      `${OPTION}: "${at('vector.mbtiles')}" holds vector tiles (pbf); the dashboard shows raster basemaps only: give an MBTiles or PMTiles file of png, jpg or webp tiles`,
    );
    await expect(openTileSource(at('tiff.mbtiles'), OPTION)).rejects.toThrow(`"${at('tiff.mbtiles')}" holds tiles of an unknown or unsupported format (tiff)`);
    await expect(openTileSource(at('empty.mbtiles'), OPTION)).rejects.toThrow(
      `MBTiles file "${at('empty.mbtiles')}" holds no tiles (its tiles table is empty)`,
    );
    await expect(openTileSource(at('other.sqlite'), OPTION)).rejects.toThrow(
      new RegExp(`"${at('other.sqlite')}" is an SQLite file but not an MBTiles basemap \\(no such table: metadata\\)`),
    );
  });
});

describe('PMTiles basemap', () => {
  it('serves each z/x/y through the pmtiles library, with the zoom range and bounds from its header', async () => {
    const file = join(work, 'field.pmtiles');
    writePmtiles(file, tiles, { bounds: BOUNDS });
    await expectServesEveryTile(file);
    await expectViewOfBoundsThenClosed(file, /closed|EBADF/);
  });

  it('serves gzip-stored tiles un-gzipped, as the PNGs they are', async () => {
    const file = join(work, 'gzipped.pmtiles');
    writePmtiles(file, tiles, { bounds: BOUNDS, tileCompression: 2 });
    await expectServesEveryTile(file);
  });

  it('refuses vector tiles, brotli-stored tiles and a damaged file, naming the file', async () => {
    const at = (name: string) => join(work, name);
    writePmtiles(at('vector.pmtiles'), tiles.slice(0, 1), { bounds: BOUNDS, tileType: 1 });
    writePmtiles(at('brotli.pmtiles'), tiles.slice(0, 1), { bounds: BOUNDS, tileCompression: 3 });
    writeFileSync(at('truncated.pmtiles'), 'PMTiles\x03');
    await expect(openTileSource(at('vector.pmtiles'), OPTION)).rejects.toThrow(
      `"${at('vector.pmtiles')}" holds vector tiles (mvt); the dashboard shows raster basemaps only`,
    );
    await expect(openTileSource(at('brotli.pmtiles'), OPTION)).rejects.toThrow(`"${at('brotli.pmtiles')}" stores its tiles Brotli-compressed`);
    await expect(openTileSource(at('truncated.pmtiles'), OPTION)).rejects.toThrow(
      `"${at('truncated.pmtiles')}" starts like a PMTiles file but cannot be read as one`,
    );
  });
});

describe('a --tiles value that is no basemap', () => {
  it('names a missing file and a file that is neither MBTiles nor PMTiles, and says what to give', async () => {
    const missing = join(work, 'missing.mbtiles');
    await expect(openTileSource(missing, OPTION)).rejects.toThrow(
      `${OPTION}: "${missing}" is neither an http(s) tile URL template nor an existing folder of <z>/<x>/<y>.png tiles nor an .mbtiles or .pmtiles file`,
    );
    const text = join(work, 'notes.mbtiles');
    writeFileSync(text, 'field notes, not a map\n');
    await expect(openTileSource(text, OPTION)).rejects.toThrow(
      `${OPTION}: "${text}" is neither an MBTiles (SQLite) nor a PMTiles file; give a raster .mbtiles or .pmtiles basemap`,
    );
  });
});
