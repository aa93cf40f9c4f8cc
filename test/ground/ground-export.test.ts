// `fieldeye ground export`: one flight (or everything) from the station's PostGIS or GeoPackage into a new GeoPackage
// that GDAL reads with the same layers, geometries and values.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expect, test } from 'vitest';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import { PostgisGroundStore } from '../../src/ground/postgis-store.js';
import type { GroundStore } from '../../src/ground/ground-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import { gdalLayers, GPKG_VALIDATOR } from './gdal-layers.js';
import { GROUND_MAIN, withTempDirAndPostgis, writeGroundConfig } from './ground-harness.js';
import { mixedBatch } from './ground-samples.js';

const suite = withTempDirAndPostgis('fieldeye-export-');

async function fill(store: GroundStore): Promise<void> {
  await store.write([...mixedBatch('d1', 'f1', 30), ...mixedBatch('d1', 'f2', 10), ...mixedBatch('d2', 'f9', 12)]);
  await store.rebuildTracks([
    { droneId: 'd1', flightId: 'f1' },
    { droneId: 'd1', flightId: 'f2' },
    { droneId: 'd2', flightId: 'f9' },
  ]);
  await store.close();
}

async function exportRun(config: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return await promisify(execFile)(process.execPath, [GROUND_MAIN, 'export', '--config', config, ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
  );
}

test('one flight from PostGIS into a GeoPackage: only its rows, every layer as GDAL expects', async () => {
  const url = await suite.server.createDatabase('export_source');
  await fill(await PostgisGroundStore.open(url, silentLogger));
  const config = await writeGroundConfig(join(suite.dir, 'pg.yaml'), { store: { url } });
  const out = join(suite.dir, 'f1.gpkg');
  const run = await exportRun(config, '--out', out, '--drone', 'd1', '--flight', 'f1');
  expect(run.code, run.out).toBe(0);
  const { layers, warnings } = await gdalLayers(out);
  expect(warnings).toEqual([]);
  expect(layers).toEqual({
    results: { geometry: 'Point', features: 30, epsg: 4326 },
    footprints: { geometry: 'Polygon', features: 20, epsg: 4326 },
    flight_tracks: { geometry: 'Line String', features: 1, epsg: 4326 },
    class_cells: { geometry: 'Polygon', features: 0, epsg: 4326 },
    flights: { geometry: 'None', features: 1, epsg: null },
    health: { geometry: 'None', features: 1, epsg: null },
    drone_status: { geometry: 'None', features: 0, epsg: null }, // no flight_id: not part of one flight
    rejected: { geometry: 'None', features: 0, epsg: null },
  });
  const db = new Database(out, { readonly: true });
  const row = db.prepare('SELECT captured_at, top_k, seq, fix_type FROM results WHERE seq = 4').get() as Record<string, unknown>;
  db.close();
  expect(row).toMatchObject({ captured_at: '2013-06-04T13:40:08.000Z', seq: 4, fix_type: 3 });
  expect(JSON.parse(String(row.top_k))).toEqual([
    { index: 3, label: 'crop', score: 0.82 },
    { index: 1, label: 'bare soil', score: 0.11 },
  ]);
  expect((await promisify(execFile)('/usr/bin/python3', [GPKG_VALIDATOR, out])).stdout).toBe('');
  expect((await exportRun(config, '--out', out)).code).toBe(78); // never overwrites
});

test('everything from a GeoPackage store into another GeoPackage: the same rows', async () => {
  const path = join(suite.dir, 'station.gpkg');
  await fill(GeoPackageGroundStore.open(path));
  const config = await writeGroundConfig(join(suite.dir, 'gpkg.yaml'), { store: { path } });
  const out = join(suite.dir, 'all.gpkg');
  const run = await exportRun(config, '--out', out);
  expect(run.code, run.out).toBe(0);
  const [source, copy] = await Promise.all([gdalLayers(path), gdalLayers(out)]);
  expect(copy.layers).toEqual(source.layers);
  expect(copy.layers.results?.features).toBe(52);
});
