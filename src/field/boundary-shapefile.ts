// A field boundary from an ESRI shapefile, zipped (.zip) or as a .shp with its .prj alongside, read with shpjs. A .prj
// other than WGS84 is reprojected with proj4; one proj4 cannot read is refused, never guessed, as are coordinates
// that are not longitude/latitude when no .prj says what they are.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import proj4 from 'proj4';
import { parseShp, parseZip } from 'shpjs';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import { geojsonBoundary } from './boundary-geojson.js';
import type { FieldBoundary } from './coverage-frame.js';

/** How to get a file this reader takes, named in every refusal. */
const toWgs84 = (file: string) => `reproject it to WGS84 first, e.g. ogr2ogr -t_srs EPSG:4326 field-wgs84.shp ${file}`;

async function readBytes(path: string, what: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FieldeyeError('input', `--boundary: cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

/** The sidecar next to `shp` with extension `ext`, in either letter case (shapefiles from Windows tools use .PRJ). */
async function sidecar(shp: string, ext: string): Promise<Buffer | null> {
  const stem = shp.slice(0, -extname(shp).length);
  return (await readBytes(`${stem}.${ext}`, `the .${ext} of`)) ?? (await readBytes(`${stem}.${ext.toUpperCase()}`, `the .${ext} of`));
}

/** Longitude/latitude range of every position: coordinates outside it are in some projected system. */
function outsideLonLat(geometries: unknown[]): boolean {
  const bad = (v: unknown): boolean =>
    Array.isArray(v) && typeof v[0] === 'number' ? Math.abs(v[0]) > 180 || Math.abs(v[1] as number) > 90 : Array.isArray(v) && v.some(bad);
  return geometries.some((g) => bad((g as { coordinates?: unknown } | null)?.coordinates));
}

function boundaryOf(geometries: unknown[], name: string, hasPrj: boolean): FieldBoundary {
  if (!hasPrj && outsideLonLat(geometries)) {
    throw new FieldeyeError('input', `--boundary ${name}: its coordinates are not longitude/latitude and no .prj says what they are; ${toWgs84(name)}`);
  }
  const features = geometries.map((geometry) => ({ type: 'Feature', properties: {}, geometry }));
  return geojsonBoundary({ type: 'FeatureCollection', features }, name);
}

async function readShp(path: string, name: string): Promise<FieldBoundary> {
  const shp = await readBytes(path, 'the shapefile');
  if (!shp) throw new FieldeyeError('input', `--boundary ${path}: no such file`);
  const prj = (await sidecar(path, 'prj'))?.toString('utf8');
  if (prj !== undefined) {
    // shpjs leaves the coordinates as they are when proj4 cannot read the .prj; that would be a guess, so refuse.
    try {
      proj4(prj);
    } catch (err) {
      throw new FieldeyeError('input', `--boundary ${name}: its .prj is a coordinate system proj4 cannot read; ${toWgs84(name)}`, { cause: err });
    }
  }
  let geometries: unknown[];
  try {
    geometries = parseShp(shp, prj);
  } catch (err) {
    throw new FieldeyeError('input', `--boundary ${name}: not a readable shapefile (${(err as Error).message})`, { cause: err });
  }
  return boundaryOf(geometries, name, prj !== undefined);
}

/** A local file header first and an end-of-central-directory record in the last 64 KiB: shpjs's unzip loops forever on other bytes. */
function looksLikeZip(b: Buffer): boolean {
  return b.length >= 22 && b.readUInt32LE(0) === 0x04034b50 && b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) >= Math.max(0, b.length - 65_557);
}

async function readZip(path: string, name: string): Promise<FieldBoundary> {
  const zip = await readBytes(path, 'the zipped shapefile');
  if (!zip) throw new FieldeyeError('input', `--boundary ${path}: no such file`);
  if (!looksLikeZip(zip))
    throw new FieldeyeError('input', `--boundary ${name}: not a zip file; give the zipped shapefile, or its .shp with the .prj alongside`);
  let layers;
  try {
    layers = [await parseZip(zip)].flat();
  } catch (err) {
    // shpjs throws on a zip without a .shp and, through proj4, on a .prj it cannot read.
    const why = (err as Error).message || 'proj4 cannot read its .prj';
    throw new FieldeyeError(
      'input',
      `--boundary ${name}: not a zipped shapefile shpjs can read (${why}); it needs a .shp (and a .prj) inside; or ${toWgs84(name)}`,
      {
        cause: err,
      },
    );
  }
  // shpjs gives no sign of whether the zip held a .prj; a missing one is checked by the coordinates' range below.
  const geometries = layers.flatMap((layer) => layer.features.map((f) => (f as { geometry: unknown }).geometry).filter((g) => g !== null));
  return boundaryOf(geometries, name, false);
}

/** A shapefile boundary: `path` ends in .zip (zipped shapefile) or .shp (with .prj, and .dbf, alongside). */
export function readShapefileBoundary(path: string): Promise<FieldBoundary> {
  const name = basename(path);
  return extname(path).toLowerCase() === '.zip' ? readZip(path, name) : readShp(path, name);
}
