// The GeoPackage ground store: the store contract, and the file as GDAL sees it (layers, geometry types, EPSG:4326,
// feature counts, spatial indexes), read while the store still has it open.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import { groundStoreContract } from './ground-store-contract.js';
import { mixedBatch } from './ground-samples.js';
import { gdalLayers, GPKG_VALIDATOR } from './gdal-layers.js';

const run = promisify(execFile);
let dir = '';
let n = 0;
let file = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-gpkg-'));
  file = join(dir, `store-${n}.gpkg`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function scalar(sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.prepare(sql).pluck().get());
  } finally {
    db.close();
  }
}

groundStoreContract('GeoPackageGroundStore', () => ({
  open: () => Promise.resolve(GeoPackageGroundStore.open(file)),
  scalar: (sql) => Promise.resolve(scalar(sql)),
  reset: () => {
    n += 1;
    file = join(dir, `store-${n}.gpkg`);
    return Promise.resolve();
  },
}));

describe('GeoPackageGroundStore as GDAL reads it', () => {
  test('ogrinfo sees every layer with its geometry type, EPSG:4326 and feature count while the store is open', async () => {
    const path = join(dir, 'gdal', 'nested', 'fieldeye.gpkg');
    const store = GeoPackageGroundStore.open(path);
    try {
      await store.write(mixedBatch('d1', 'f1', 30));
      await store.write(mixedBatch('d2', 'f9', 12));
      expect(
        await store.rebuildTracks([
          { droneId: 'd1', flightId: 'f1' },
          { droneId: 'd2', flightId: 'f9' },
        ]),
      ).toBe(2);
      const { layers, warnings } = await gdalLayers(path);
      expect(warnings).toEqual([]);
      expect(layers).toEqual({
        results: { geometry: 'Point', features: 42, epsg: 4326 },
        footprints: { geometry: 'Polygon', features: 28, epsg: 4326 },
        flight_tracks: { geometry: 'Line String', features: 2, epsg: 4326 },
        class_cells: { geometry: 'Polygon', features: 0, epsg: 4326 },
        flights: { geometry: 'None', features: 2, epsg: null },
        health: { geometry: 'None', features: 2, epsg: null },
        drone_status: { geometry: 'None', features: 2, epsg: null },
        rejected: { geometry: 'None', features: 2, epsg: null },
      });
    } finally {
      await store.close();
    }
  });

  test('the spatial index answers a bounding-box query through GDAL, and the file passes GDAL validate_gpkg.py', async () => {
    const path = join(dir, 'rtree.gpkg');
    const store = GeoPackageGroundStore.open(path);
    await store.write(mixedBatch('d1', 'f1', 30));
    await store.close();
    const db = new Database(path, { readonly: true });
    const indexed = db.prepare('SELECT count(*) FROM rtree_results_geom').pluck().get();
    const positioned = db.prepare('SELECT count(*) FROM results WHERE geom IS NOT NULL').pluck().get();
    db.close();
    expect(indexed).toBe(positioned);
    // seq 0..4 lie south of 41.03535 (0.00009 degrees per seq from 41.0349); seq 2 has no position.
    const { stdout } = await run('ogrinfo', ['-ro', '-q', '-spat', '-84', '41.0', '-83', '41.03535', path, 'results']);
    expect(stdout.match(/^OGRFeature\(results\)/gm)?.length).toBe(4);
    if (!existsSync(GPKG_VALIDATOR)) throw new Error(`${GPKG_VALIDATOR} is missing: apt-get install python3-gdal`);
    const check = await run('/usr/bin/python3', [GPKG_VALIDATOR, path]);
    expect(check.stdout + check.stderr).toBe('');
  });

  test('refuses an SQLite file that is not a GeoPackage, naming the key and the file', async () => {
    const path = join(dir, 'other.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE mine (x INTEGER)');
    db.close();
    expect(() => GeoPackageGroundStore.open(path)).toThrow(/store\.path: .*other\.sqlite is an SQLite file but not a GeoPackage/);
    await writeFile(join(dir, 'unused'), '');
  });
});
