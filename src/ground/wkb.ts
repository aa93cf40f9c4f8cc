// Well-Known Binary (ISO/OGC simple features, 2D, little-endian) for the three geometry kinds the ground store
// writes: a result's position (Point), a flight's track (LineString) and a frame's footprint (Polygon).
//
// Written here rather than taken from npm: `wkx` (the common choice) has had no release for years and ships
// `@types/node` as a runtime dependency, and `@ngageoint/geopackage` brings a whole GeoPackage stack (and its own
// SQLite) for what is ~60 lines; both GeoPackage blobs and PostGIS (ST_GeomFromWKB) take plain WKB.

import type { LonLat, SimpleGeometry } from '../geo/simple-geometry.js';

export type { LonLat, SimpleGeometry };

/** Bounding box as GeoPackage orders it: [minX, maxX, minY, maxY]. */
export type Envelope = readonly [number, number, number, number];

const WKB_TYPE = { Point: 1, LineString: 2, Polygon: 3 } as const;

function byteLength(geometry: SimpleGeometry): number {
  switch (geometry.type) {
    case 'Point':
      return 5 + 16;
    case 'LineString':
      return 5 + 4 + 16 * geometry.coordinates.length;
    case 'Polygon':
      return 5 + 4 + geometry.coordinates.reduce((sum, ring) => sum + 4 + 16 * ring.length, 0);
  }
}

/** The geometry as WKB; coordinates are [longitude, latitude] (x, y), as in GeoJSON and EPSG:4326 axis order for GIS tools. */
export function encodeWkb(geometry: SimpleGeometry): Buffer {
  const out = Buffer.allocUnsafe(byteLength(geometry));
  out.writeUInt8(1, 0); // 1 = little-endian (NDR)
  out.writeUInt32LE(WKB_TYPE[geometry.type], 1);
  let at = 5;
  const point = ([x, y]: LonLat): void => {
    out.writeDoubleLE(x, at);
    out.writeDoubleLE(y, at + 8);
    at += 16;
  };
  const points = (list: readonly LonLat[]): void => {
    out.writeUInt32LE(list.length, at);
    at += 4;
    for (const p of list) point(p);
  };
  switch (geometry.type) {
    case 'Point':
      point(geometry.coordinates);
      break;
    case 'LineString':
      points(geometry.coordinates);
      break;
    case 'Polygon':
      out.writeUInt32LE(geometry.coordinates.length, at);
      at += 4;
      for (const ring of geometry.coordinates) points(ring);
      break;
  }
  return out;
}

/** Bounds of the geometry's coordinates; null for an empty geometry. */
export function envelopeOf(geometry: SimpleGeometry): Envelope | null {
  const all: readonly LonLat[] =
    geometry.type === 'Point' ? [geometry.coordinates] : geometry.type === 'LineString' ? geometry.coordinates : geometry.coordinates.flat();
  if (all.length === 0) return null;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [x, y] of all) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, maxX, minY, maxY];
}

/**
 * Bounds read back from 2D WKB (Point, LineString, Polygon, either byte order): for GeoPackage blobs written by
 * another tool without an envelope in their header. Null when empty or of another type.
 */
export function envelopeOfWkb(wkb: Buffer): Envelope | null {
  if (wkb.length < 5) return null;
  const le = wkb.readUInt8(0) === 1;
  const u32 = (at: number): number => (le ? wkb.readUInt32LE(at) : wkb.readUInt32BE(at));
  const f64 = (at: number): number => (le ? wkb.readDoubleLE(at) : wkb.readDoubleBE(at));
  const type = u32(1);
  const coords: LonLat[] = [];
  let at = 5;
  const readPoints = (): void => {
    const n = u32(at);
    at += 4;
    for (let i = 0; i < n; i += 1, at += 16) coords.push([f64(at), f64(at + 8)]);
  };
  if (type === 1) {
    const x = f64(5);
    const y = f64(13);
    if (Number.isNaN(x) && Number.isNaN(y)) return null; // POINT EMPTY is written as NaN NaN
    coords.push([x, y]);
  } else if (type === 2) {
    readPoints();
  } else if (type === 3) {
    const rings = u32(at);
    at += 4;
    for (let r = 0; r < rings; r += 1) readPoints();
  } else {
    return null;
  }
  return coords.length === 0 ? null : envelopeOf({ type: 'LineString', coordinates: coords });
}
