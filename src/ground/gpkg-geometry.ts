// GeoPackage geometry blobs (OGC 12-128r18 §2.1.3): the "GP" header with SRS id and envelope, then WKB; and the
// ST_* SQL functions the gpkg_rtree_index triggers call, which every GeoPackage writer must provide itself.
import type Database from 'better-sqlite3';
import { encodeWkb, envelopeOfWkb, type Envelope, type SimpleGeometry } from './wkb.js';

const MAGIC_G = 0x47;
const MAGIC_P = 0x50;
const FLAG_LITTLE_ENDIAN = 0x01;
const FLAG_EMPTY = 0x10;

/** Header + WKB. Points carry no envelope (it would only repeat the point, and GDAL writes none); others carry [minX, maxX, minY, maxY]. */
export function encodeGpkgGeometry(geometry: SimpleGeometry, srsId: number): Buffer {
  return gpkgBlobFromWkb(encodeWkb(geometry), srsId);
}

/** Envelope sizes by the header's envelope contents indicator (0 none, 1 xy, 2 xyz, 3 xym, 4 xyzm). */
const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

interface ParsedHeader {
  empty: boolean;
  envelope: Envelope | null;
  wkbOffset: number;
}

function parseHeader(blob: unknown): ParsedHeader | null {
  if (!Buffer.isBuffer(blob) || blob.length < 8 || blob[0] !== MAGIC_G || blob[1] !== MAGIC_P) return null;
  const flags = blob.readUInt8(3);
  const le = (flags & FLAG_LITTLE_ENDIAN) !== 0;
  const indicator = (flags >> 1) & 0x07;
  const envelopeBytes = ENVELOPE_BYTES[indicator];
  if (envelopeBytes === undefined || blob.length < 8 + envelopeBytes) return null;
  const f64 = (at: number): number => (le ? blob.readDoubleLE(at) : blob.readDoubleBE(at));
  const envelope: Envelope | null = envelopeBytes === 0 ? null : [f64(8), f64(16), f64(24), f64(32)];
  return { empty: (flags & FLAG_EMPTY) !== 0, envelope, wkbOffset: 8 + envelopeBytes };
}

function envelopeOfBlob(blob: unknown): Envelope | null {
  const header = parseHeader(blob);
  if (header === null || header.empty) return null;
  return header.envelope ?? envelopeOfWkb((blob as Buffer).subarray(header.wkbOffset));
}

/**
 * ST_IsEmpty, ST_MinX, ST_MaxX, ST_MinY, ST_MaxY on GeoPackage blobs: the spatial index triggers (as GDAL creates
 * them) call these on every insert; SQLite has none of them, so a writer without them cannot insert a feature.
 */
export function registerGpkgFunctions(db: Database.Database): void {
  const options = { deterministic: true, varargs: false } as const;
  db.function('ST_IsEmpty', options, (blob: unknown) => {
    const header = parseHeader(blob);
    return header === null ? null : header.empty || envelopeOfBlob(blob) === null ? 1 : 0;
  });
  const bound = (index: 0 | 1 | 2 | 3) => (blob: unknown) => envelopeOfBlob(blob)?.[index] ?? null;
  db.function('ST_MinX', options, bound(0));
  db.function('ST_MaxX', options, bound(1));
  db.function('ST_MinY', options, bound(2));
  db.function('ST_MaxY', options, bound(3));
}

/** A GeoPackage blob around WKB (ours, or read from another store: PostGIS ST_AsBinary, another GeoPackage). */
export function gpkgBlobFromWkb(wkb: Buffer, srsId: number): Buffer {
  const isPoint = (wkb.readUInt8(0) === 1 ? wkb.readUInt32LE(1) : wkb.readUInt32BE(1)) === 1;
  const envelope = isPoint ? null : envelopeOfWkb(wkb);
  const header = Buffer.alloc(8 + (envelope ? 32 : 0));
  header.writeUInt8(MAGIC_G, 0);
  header.writeUInt8(MAGIC_P, 1);
  header.writeUInt8(0, 2);
  header.writeUInt8(FLAG_LITTLE_ENDIAN | (envelope ? 1 << 1 : 0) | (!isPoint && envelope === null ? FLAG_EMPTY : 0), 3);
  header.writeInt32LE(srsId, 4);
  if (envelope) envelope.forEach((value, i) => header.writeDoubleLE(value, 8 + 8 * i));
  return Buffer.concat([header, wkb]);
}

/** The WKB inside a GeoPackage blob; null when it is not one. */
export function wkbOfGpkgBlob(blob: unknown): Buffer | null {
  const header = parseHeader(blob);
  return header === null ? null : (blob as Buffer).subarray(header.wkbOffset);
}
