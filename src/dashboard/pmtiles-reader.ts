// Reads a PMTiles v3 archive (https://github.com/protomaps/PMTiles) with Protomaps' own `pmtiles` library through a
// Source over a local read-only file handle; the library finds tiles in its directories and un-gzips them.
import { open, type FileHandle } from 'node:fs/promises';
import { Compression, PMTiles, TileType, type RangeResponse, type Source, type Header } from 'pmtiles';
import { ConfigError } from '../config/config-error.js';
import { latLngBounds, unservableFormat, type TileArchive } from './tile-archive.js';

/** The library's byte ranges read from the file (a range past the end comes back short, as from an HTTP server). */
class FileHandleSource implements Source {
  constructor(
    private readonly handle: FileHandle,
    private readonly file: string,
  ) {}

  getKey(): string {
    return this.file;
  }

  async getBytes(offset: number, length: number): Promise<RangeResponse> {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, offset);
    return { data: buffer.buffer.slice(0, bytesRead) };
  }
}

const EXT: Partial<Record<TileType, string>> = { [TileType.Png]: 'png', [TileType.Jpeg]: 'jpg', [TileType.Webp]: 'webp' };
const TYPE_NAMES: Record<TileType, string> = { 0: '', 1: 'mvt', 2: 'png', 3: 'jpg', 4: 'webp', 5: 'avif', 6: 'mlt' };

/** What `header` says cannot be served, as a ConfigError naming the file, or null. */
function refusal(header: Header, file: string, option: string): ConfigError | null {
  if (header.specVersion < 3) {
    return new ConfigError(
      `${option}: "${file}" is a PMTiles v${header.specVersion} archive; convert it to v3 with \`pmtiles convert\` (the dashboard reads v3)`,
    );
  }
  if (EXT[header.tileType] === undefined) return unservableFormat(file, option, TYPE_NAMES[header.tileType] ?? '');
  if (header.tileCompression !== Compression.None && header.tileCompression !== Compression.Gzip && header.tileCompression !== Compression.Unknown) {
    return new ConfigError(
      `${option}: "${file}" stores its tiles ${Compression[header.tileCompression]}-compressed, which the dashboard cannot undo; rewrite it with uncompressed (or gzip) tiles`,
    );
  }
  if (header.numAddressedTiles === 0) return new ConfigError(`${option}: PMTiles file "${file}" holds no tiles; give a basemap with tiles in it`);
  return null;
}

/** Opens `file` read-only; the caller closes it. Throws a ConfigError naming the file for anything it cannot serve. */
export async function openPmtiles(file: string, option: string): Promise<TileArchive> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new ConfigError(`${option}: cannot open PMTiles file "${file}" (${(error as Error).message}); check the path and its permissions`);
  }
  try {
    const archive = new PMTiles(new FileHandleSource(handle, file));
    let header: Header;
    try {
      header = await archive.getHeader();
    } catch (error) {
      throw new ConfigError(
        `${option}: "${file}" starts like a PMTiles file but cannot be read as one (${(error as Error).message}); it may be truncated or damaged`,
      );
    }
    const refused = refusal(header, file, option);
    if (refused) throw refused;
    return {
      format: 'pmtiles',
      ext: EXT[header.tileType] as string,
      minZoom: header.minZoom,
      maxZoom: header.maxZoom,
      bounds: latLngBounds(header.minLon, header.minLat, header.maxLon, header.maxLat),
      tile: async (z, x, y) => {
        // The library throws for x or y outside the zoom level: that is simply no tile.
        if (z > 26 || x >= 2 ** z || y >= 2 ** z) return null;
        const found = await archive.getZxy(z, x, y);
        return found ? Buffer.from(found.data) : null;
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
