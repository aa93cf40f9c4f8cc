// The one field-boundary reader of `prescribe` and `coverage`: by file extension, a shapefile (.zip, .shp), KML
// (.kml) or GeoJSON (anything else), each as MultiPolygon coordinates in WGS84 longitude, latitude.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import { parseGeojsonBoundary } from './boundary-geojson.js';
import { parseKmlBoundary } from './boundary-kml.js';
import { readShapefileBoundary } from './boundary-shapefile.js';
import type { FieldBoundary } from './coverage-frame.js';

/** What --boundary takes, for the commands' help. */
export const BOUNDARY_FORMATS = 'GeoJSON (Polygon, MultiPolygon, Feature, FeatureCollection), KML Polygons, or a shapefile (.zip, or .shp with its .prj)';

export async function readFieldBoundary(path: string): Promise<FieldBoundary> {
  const ext = extname(path).toLowerCase();
  if (ext === '.shp' || ext === '.zip') return readShapefileBoundary(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FieldeyeError('input', `--boundary ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return ext === '.kml' ? parseKmlBoundary(text, basename(path)) : parseGeojsonBoundary(text, basename(path));
}
