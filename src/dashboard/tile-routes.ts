// GET /tiles/<z>/<x>/<y>.<ext>: the local basemap's tiles, from a folder or from an MBTiles or PMTiles file, at one
// route so the page (and the Content-Security-Policy, 'self') are the same whichever the operator brought.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { RASTER_FORMATS } from './tile-archive.js';
import { TILE_CONTENT_TYPES, tileAddress, tileFile, type TileSource } from './tile-source.js';

function noTile(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end('fieldeye dashboard: no such tile\n');
}

function sendTile(res: ServerResponse, contentType: string, body: Buffer): void {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'max-age=3600' });
  res.end(body);
}

/** True when `path` was a tile route of the configured source and has been answered (the tile or 404). */
export async function handleTileRoute(path: string, res: ServerResponse, tiles: TileSource): Promise<boolean> {
  if (tiles.kind === 'folder') {
    const file = tileFile(tiles, path);
    if (file === null) return false;
    const body = await readFile(file).catch(() => null);
    if (body === null) noTile(res);
    else sendTile(res, TILE_CONTENT_TYPES[tiles.ext] ?? 'application/octet-stream', body);
    return true;
  }
  if (tiles.kind !== 'archive') return false;
  const address = tileAddress(path);
  if (address === null || address.ext !== tiles.archive.ext) return false;
  const body = await tiles.archive.tile(address.z, address.x, address.y);
  if (body === null) noTile(res);
  else sendTile(res, RASTER_FORMATS[tiles.archive.ext] ?? 'application/octet-stream', body);
  return true;
}
