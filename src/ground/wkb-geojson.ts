// Reads the WKB that stores exchange (GeoPackage blobs' payload, PostGIS ST_AsBinary) back into GeoJSON geometries
// for the GeoJSON export: 2D Point, LineString and Polygon, either byte order, as the ground store writes them.
import type { LonLat, SimpleGeometry } from './wkb.js';

/** The geometry, or null when it is empty (POINT EMPTY is NaN NaN); throws on a type the ground store never writes. */
export function geometryOfWkb(wkb: Buffer): SimpleGeometry | null {
  if (wkb.length < 5) throw new Error(`WKB of ${wkb.length} bytes: too short for a geometry`);
  const le = wkb.readUInt8(0) === 1;
  const u32 = (at: number): number => (le ? wkb.readUInt32LE(at) : wkb.readUInt32BE(at));
  const f64 = (at: number): number => (le ? wkb.readDoubleLE(at) : wkb.readDoubleBE(at));
  let at = 5;
  const points = (): LonLat[] => {
    const n = u32(at);
    at += 4;
    const list: LonLat[] = [];
    for (let i = 0; i < n; i += 1, at += 16) list.push([f64(at), f64(at + 8)]);
    return list;
  };
  const type = u32(1);
  if (type === 1) {
    const point: LonLat = [f64(5), f64(13)];
    return Number.isNaN(point[0]) && Number.isNaN(point[1]) ? null : { type: 'Point', coordinates: point };
  }
  if (type === 2) {
    const line = points();
    return line.length === 0 ? null : { type: 'LineString', coordinates: line };
  }
  if (type === 3) {
    const count = u32(at);
    at += 4;
    const rings: LonLat[][] = [];
    for (let r = 0; r < count; r += 1) rings.push(points());
    return rings.length === 0 ? null : { type: 'Polygon', coordinates: rings };
  }
  throw new Error(`WKB geometry type ${type}: the ground store writes only 2D Point (1), LineString (2) and Polygon (3)`);
}
