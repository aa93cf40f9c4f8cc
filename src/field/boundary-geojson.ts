// A field boundary from GeoJSON (a Polygon, MultiPolygon, Feature or FeatureCollection of them) as MultiPolygon
// coordinates; anything else is an input error naming what was found. The shapefile reader hands its GeoJSON here too.
import type { MultiPolygon, Polygon } from 'polygon-clipping';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import type { FieldBoundary } from './coverage-frame.js';

type Json = Record<string, unknown>;

function isPosition(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length >= 2 && Number.isFinite(v[0]) && Number.isFinite(v[1]) && Math.abs(v[0]) <= 180 && Math.abs(v[1]) <= 90;
}

function polygonOf(coords: unknown, where: string): Polygon {
  if (!Array.isArray(coords) || coords.length === 0) throw new Error(`${where}: a Polygon needs at least one ring`);
  return coords.map((ring: unknown, i) => {
    if (!Array.isArray(ring) || ring.length < 4 || !ring.every(isPosition)) {
      throw new Error(`${where}: ring ${i} is not 4 or more [lon, lat] positions (a closed ring)`);
    }
    // Only lon and lat: a third (height) value means nothing for an area on the ground.
    return ring.map((p: [number, number]): [number, number] => [p[0], p[1]]);
  });
}

/** The polygons of one GeoJSON object, recursing through features; `where` names it in errors. */
function polygonsOf(value: unknown, where: string): MultiPolygon {
  const obj = value as Json | null;
  switch (obj?.['type']) {
    case 'Polygon':
      return [polygonOf(obj['coordinates'], where)];
    case 'MultiPolygon': {
      const coords = obj['coordinates'];
      if (!Array.isArray(coords)) throw new Error(`${where}: MultiPolygon coordinates are not an array`);
      return coords.map((p, i) => polygonOf(p, `${where} polygon ${i}`));
    }
    case 'Feature':
      return obj['geometry'] === null ? [] : polygonsOf(obj['geometry'], where);
    case 'FeatureCollection': {
      const features = obj['features'];
      if (!Array.isArray(features)) throw new Error(`${where}: a FeatureCollection without a features array`);
      return features.flatMap((f, i) => polygonsOf(f, `${where} feature ${i}`));
    }
    default:
      throw new Error(`${where}: ${JSON.stringify(obj?.['type'] ?? null)} is not a boundary (Polygon, MultiPolygon, Feature or FeatureCollection)`);
  }
}

/** The boundary in a parsed GeoJSON object; `name` is how the boundary is named in the report (the file name). */
export function geojsonBoundary(json: unknown, name: string): FieldBoundary {
  let polygons: MultiPolygon;
  try {
    polygons = polygonsOf(json, `--boundary ${name}`);
  } catch (error) {
    throw new FieldeyeError('input', (error as Error).message, { cause: error });
  }
  if (polygons.length === 0) throw new FieldeyeError('input', `--boundary ${name}: holds no polygon`);
  return { name, polygons };
}

/** Parses GeoJSON text (a .geojson or .json file). */
export function parseGeojsonBoundary(text: string, name: string): FieldBoundary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FieldeyeError(
      'input',
      `--boundary ${name}: not GeoJSON (${(error as Error).message}); a boundary is GeoJSON, KML (.kml) or a shapefile (.shp, .zip)`,
      {
        cause: error,
      },
    );
  }
  return geojsonBoundary(json, name);
}
