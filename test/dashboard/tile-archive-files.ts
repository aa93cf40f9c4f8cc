// Test helper: real basemap files to serve. MBTiles written with better-sqlite3 to the mbtiles-spec schema (rows
// counted from the south), and PMTiles v3 written here byte by byte from the spec
// (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md), since the `pmtiles` package only reads:
// the reader under test never shares code with this writer.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import sharp from 'sharp';

export interface TestTile {
  z: number;
  x: number;
  y: number;
  data: Buffer;
}

/** A 256 px PNG of one colour per z/x/y, so every tile's bytes differ. */
export async function colourTile(z: number, x: number, y: number): Promise<Buffer> {
  const background = { r: (40 + 50 * z) % 256, g: (30 + 70 * x) % 256, b: (20 + 90 * y) % 256 };
  return sharp({ create: { width: 256, height: 256, channels: 3, background } })
    .png()
    .toBuffer();
}

/** Every tile of zoom levels `minZoom`..`maxZoom` (keep them small). */
export async function allTiles(minZoom: number, maxZoom: number): Promise<TestTile[]> {
  const tiles: TestTile[] = [];
  for (let z = minZoom; z <= maxZoom; z++) {
    for (let x = 0; x < 2 ** z; x++) for (let y = 0; y < 2 ** z; y++) tiles.push({ z, x, y, data: await colourTile(z, x, y) });
  }
  return tiles;
}

/** An MBTiles file; `metadata` rows as given (leave out format to test sniffing). */
export function writeMbtiles(file: string, tiles: TestTile[], metadata: Record<string, string>): void {
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)');
    const meta = db.prepare('INSERT INTO metadata VALUES (?, ?)');
    for (const [name, value] of Object.entries(metadata)) meta.run(name, value);
    const tile = db.prepare('INSERT INTO tiles VALUES (?, ?, ?, ?)');
    for (const t of tiles) tile.run(t.z, t.x, 2 ** t.z - 1 - t.y, t.data);
  } finally {
    db.close();
  }
}

/** The spec's tile id: tiles of all lower zooms first, then the Hilbert curve index of x, y (Wikipedia's xy2d). */
function tileId(z: number, x0: number, y0: number): number {
  let base = 0;
  for (let i = 0; i < z; i++) base += 4 ** i;
  const n = 2 ** z;
  let [x, y, d] = [x0, y0, 0];
  for (let s = n / 2; s >= 1; s /= 2) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) [x, y] = [n - 1 - x, n - 1 - y];
      [x, y] = [y, x];
    }
  }
  return base + d;
}

function varints(values: number[]): Buffer {
  const bytes: number[] = [];
  for (let v of values) {
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
  }
  return Buffer.from(bytes);
}

export interface PmtilesOptions {
  /** 2 png (default), 1 mvt, ... */
  tileType?: number;
  /** 1 none (default), 2 gzip: each tile stored gzipped. */
  tileCompression?: number;
  /** [west, south, east, north] in degrees. */
  bounds: [number, number, number, number];
}

/** A PMTiles v3 file: header, an uncompressed root directory (no leaves), "{}" metadata, then the tiles in id order. */
export function writePmtiles(file: string, tiles: TestTile[], options: PmtilesOptions): void {
  const tileCompression = options.tileCompression ?? 1;
  const entries = tiles.map((t) => ({ id: tileId(t.z, t.x, t.y), data: tileCompression === 2 ? gzipSync(t.data) : t.data })).sort((a, b) => a.id - b.id);
  let offset = 0;
  const placed = entries.map((e) => {
    const at = offset;
    offset += e.data.length;
    return { ...e, at };
  });
  const directory = Buffer.concat([
    varints([placed.length]),
    varints(placed.map((e, i) => e.id - (i === 0 ? 0 : (placed[i - 1]?.id ?? 0)))),
    varints(placed.map(() => 1)),
    varints(placed.map((e) => e.data.length)),
    // 0: right after the previous tile; otherwise offset + 1.
    varints(placed.map((e, i) => (i > 0 ? 0 : e.at + 1))),
  ]);
  const metadata = Buffer.from('{}');
  const data = Buffer.concat(placed.map((e) => e.data));
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header.writeUInt8(3, 7);
  const u64 = [127, directory.length, 127 + directory.length, metadata.length, 0, 0, 127 + directory.length + metadata.length, data.length];
  u64.push(placed.length, placed.length, placed.length);
  u64.forEach((v, i) => header.writeBigUInt64LE(BigInt(v), 8 + 8 * i));
  header.writeUInt8(0, 96); // not clustered: keeps the writer simple, readers must not rely on it
  header.writeUInt8(1, 97); // internal compression: none
  header.writeUInt8(tileCompression, 98);
  header.writeUInt8(options.tileType ?? 2, 99);
  const zooms = tiles.map((t) => t.z);
  header.writeUInt8(Math.min(...zooms), 100);
  header.writeUInt8(Math.max(...zooms), 101);
  const [west, south, east, north] = options.bounds;
  [west, south, east, north].forEach((v, i) => header.writeInt32LE(Math.round(v * 1e7), 102 + 4 * i));
  header.writeUInt8(Math.min(...zooms), 118);
  header.writeInt32LE(Math.round(((west + east) / 2) * 1e7), 119);
  header.writeInt32LE(Math.round(((south + north) / 2) * 1e7), 123);
  writeFileSync(file, Buffer.concat([header, directory, metadata, data]));
}
