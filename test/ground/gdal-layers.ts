// Test helper: what GDAL's ogrinfo reports for each layer of a GeoPackage (geometry type, feature count, EPSG code).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** GDAL's own GeoPackage conformance checker, shipped by Debian's python3-gdal. */
export const GPKG_VALIDATOR = '/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py';

export interface GdalLayer {
  /** As ogrinfo names it: Point, Polygon, Line String, None. */
  geometry: string;
  features: number;
  /** The layer SRS's EPSG code; null for attribute tables. */
  epsg: number | null;
}

/** `ogrinfo -ro -so -al FILE`, parsed per layer; warnings are GDAL's "Warning"/"ERROR" lines. */
export async function gdalLayers(file: string): Promise<{ layers: Record<string, GdalLayer>; warnings: string[] }> {
  const { stdout, stderr } = await run('ogrinfo', ['-ro', '-so', '-al', file], { maxBuffer: 16 * 1024 * 1024 });
  const layers: Record<string, GdalLayer> = {};
  for (const block of stdout.split(/^Layer name: /m).slice(1)) {
    const name = block.split('\n')[0]?.trim() ?? '';
    const geometry = /^Geometry: (.+)$/m.exec(block)?.[1]?.trim() ?? '?';
    const features = Number(/^Feature Count: (\d+)$/m.exec(block)?.[1] ?? NaN);
    const epsgs = [...block.matchAll(/ID\["EPSG",(\d+)\]\]\s*$/gm)].map((m) => Number(m[1]));
    layers[name] = { geometry, features, epsg: epsgs.length > 0 ? (epsgs[epsgs.length - 1] ?? null) : null };
  }
  const warnings = `${stdout}\n${stderr}`.split('\n').filter((l) => /^(Warning|ERROR)/.test(l));
  return { layers, warnings };
}
