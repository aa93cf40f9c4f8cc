// `fieldeye ground export --format gpkg|geojson|csv --since T`: through the real CLI, from a GeoPackage store and from
// PostGIS; GDAL reads each GeoJSON file as one layer of one geometry type, the CSV parses back, and --since keeps
// exactly the rows captured at or after T.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSince } from '../../src/ground/export-options.js';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import type { GroundRecord, GroundStore } from '../../src/ground/ground-store.js';
import { PostgisGroundStore } from '../../src/ground/postgis-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { logLines, runCli } from '../support/run-cli.js';
import { csvObjects } from './csv-records.js';
import { gdalLayers } from './gdal-layers.js';
import { writeGroundConfig } from './ground-harness.js';
import { groundResult, mixedBatch, resultRecord, sampleFlight, sampleHealth } from './ground-samples.js';

/** A model label with everything RFC 4180 has to quote: a comma, quotes and a line break. */
const LABEL = 'maize, "sweet"\ncorn';
/** Results are captured every 2 s from 13:40:00 (seq 0); T is seq 20's capture time, so "at or after" includes it. */
const T = '2013-06-04T13:40:40Z';
const RECEIVED = '2024-05-01T10:00:00.000Z';

/**
 * d1/f1: seq 0-29 (13:40:00-13:40:58), seq 25 labelled LABEL; d2/f9: seq 0-11 (to 13:40:22); d1/f2: seq 100-119
 * (13:43:20-13:43:58), its flight starting 13:43:20 and a health report at 13:44. Every third result (seq % 3 == 2)
 * has no position and no footprint. After T: results f1 20-29 (10) + f2 (20) = 30; of them with a position and a
 * footprint 6 + 13 = 19; one track (f2's; the others started before T); one flight (f2); health: f2's and the two
 * mixedBatch reports (2024).
 */
function stationRecords(): GroundRecord[] {
  const f1 = mixedBatch('d1', 'f1', 30).map((rec) =>
    rec.kind === 'result' && rec.result.seq === 25 ? resultRecord({ ...rec.result, top: [{ index: 7, label: LABEL, score: 0.9 }, ...rec.result.top] }) : rec,
  );
  const f2: GroundRecord[] = [
    ...Array.from({ length: 20 }, (_, i) => resultRecord(groundResult('d1', 'f2', 100 + i))),
    { kind: 'flight', topic: 'fieldeye/v1/d1/flight', receivedAt: RECEIVED, flight: { ...sampleFlight('d1', 'f2'), startedAt: '2013-06-04T13:43:20.000Z' } },
    { kind: 'health', topic: 'fieldeye/v1/d1/health', receivedAt: RECEIVED, health: sampleHealth('d1', 'f2', '2013-06-04T13:44:00.000Z') },
  ];
  return [...f1, ...mixedBatch('d2', 'f9', 12), ...f2];
}

async function fill(store: GroundStore): Promise<void> {
  await store.write(stationRecords());
  await store.rebuildTracks([
    { droneId: 'd1', flightId: 'f1' },
    { droneId: 'd1', flightId: 'f2' },
    { droneId: 'd2', flightId: 'f9' },
  ]);
  await store.close();
}

let dir = '';
let gpkgConfig = '';
let server: PostgisServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-export-formats-'));
  const path = join(dir, 'station.gpkg');
  await fill(GeoPackageGroundStore.open(path));
  gpkgConfig = await writeGroundConfig(join(dir, 'gpkg.yaml'), { store: { path } });
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

let outs = 0;
/** `fieldeye ground export --config CONFIG --out <new file> ARGS`: the file's path, the exit code, the output, the fatal error's text. */
async function exportTo(config: string, ext: string, ...args: string[]): Promise<{ out: string; code: number; log: string; error: string }> {
  const out = join(dir, `out-${(outs += 1)}.${ext}`);
  const run = await runCli(['ground', 'export', '--config', config, '--out', out, ...args]);
  const fatal = logLines(run.stdout).find((line) => line.level === 60);
  return { out, code: run.code, log: run.stdout + run.stderr, error: String(fatal?.err ?? '') };
}

const CSV_HEADER =
  'droneId,flightId,seq,capturedAt,lat,lon,altMslM,altAglM,top1Label,top1Score,top1Index,timeSource,clockSource,frameName,modelName,' +
  'modelSha256,modelPrecision,positionSource,fixType,hdop,satellites,courseDeg,positionReason,targetLat,targetLon,footprintReason,receivedAt';

describe('from a GeoPackage store', () => {
  test('CSV: --since keeps exactly the results captured at or after T, quoted as RFC 4180 says, and parses back', async () => {
    const run = await exportTo(gpkgConfig, 'csv', '--format', 'csv', '--since', T, '--drone', 'd1');
    expect(run.code, run.log).toBe(0);
    const text = await readFile(run.out, 'utf8');
    expect(text.split('\r\n')[0]).toBe(CSV_HEADER);
    expect(text).toContain('"maize, ""sweet""\ncorn"');
    const rows = csvObjects(text);
    expect(rows.map((r) => Number(r.seq))).toEqual([...Array.from({ length: 10 }, (_, i) => 20 + i), ...Array.from({ length: 20 }, (_, i) => 100 + i)]);
    expect(rows.every((r) => r.droneId === 'd1' && Date.parse(r.capturedAt ?? '') >= Date.parse(T))).toBe(true);
    expect(rows.find((r) => r.seq === '25')).toMatchObject({ flightId: 'f1', top1Label: LABEL, top1Score: '0.9', top1Index: '7' });
    const positioned = groundResult('d1', 'f1', 21).position;
    expect(rows.find((r) => r.seq === '21')).toMatchObject({
      lat: String(positioned?.latDeg),
      lon: String(positioned?.lonDeg),
      altMslM: '276.2',
      fixType: '3',
    });
    expect(rows.find((r) => r.seq === '20')).toMatchObject({ lat: '', lon: '', positionReason: 'no fix yet' });
    // GDAL's CSV driver agrees on the records (the quoted line break is inside a field, not a new row).
    expect((await gdalLayers(run.out)).layers[`out-${outs}`]?.features).toBe(30);
  });

  test('CSV: --since with --flight, with an offset, and as a bare date (midnight UTC)', async () => {
    const count = async (...args: string[]): Promise<number> => {
      const run = await exportTo(gpkgConfig, 'csv', '--format', 'csv', ...args);
      expect(run.code, run.log).toBe(0);
      return csvObjects(await readFile(run.out, 'utf8')).length;
    };
    expect(await count('--since', T, '--flight', 'f1')).toBe(10);
    expect(await count('--since', '2013-06-04T15:40:40+02:00')).toBe(30); // T in another zone
    expect(await count('--since', '2013-06-04T13:40:40.001Z')).toBe(29); // seq 20 is now before
    expect(await count('--since', '2013-06-04')).toBe(62); // everything
    expect(await count('--since', '2013-06-05')).toBe(0); // a header and nothing else
  });

  test('GeoJSON: one geometry type per file, as GDAL reads it; --since applies', async () => {
    const points = await exportTo(gpkgConfig, 'geojson', '--format', 'geojson', '--since', T);
    const footprints = await exportTo(gpkgConfig, 'geojson', '--format', 'geojson', '--geometry', 'footprints', '--since', T);
    const tracks = await exportTo(gpkgConfig, 'geojson', '--format', 'geojson', '--geometry', 'tracks');
    const tracksSince = await exportTo(gpkgConfig, 'geojson', '--format', 'geojson', '--geometry', 'tracks', '--since', T);
    for (const run of [points, footprints, tracks, tracksSince]) expect(run.code, run.log).toBe(0);
    const layer = async (file: string): Promise<unknown> => {
      const { layers, warnings } = await gdalLayers(file);
      expect(warnings).toEqual([]);
      return Object.values(layers);
    };
    expect(await layer(points.out)).toEqual([{ geometry: 'Point', features: 19, epsg: 4326 }]);
    expect(await layer(footprints.out)).toEqual([{ geometry: 'Polygon', features: 19, epsg: 4326 }]);
    expect(await layer(tracks.out)).toEqual([{ geometry: 'Line String', features: 3, epsg: 4326 }]);
    expect(await layer(tracksSince.out)).toEqual([{ geometry: 'Line String', features: 1, epsg: 4326 }]);
    const collection = JSON.parse(await readFile(points.out, 'utf8')) as {
      type: string;
      features: Array<{ geometry: { type: string; coordinates: number[] }; properties: Record<string, unknown> }>;
    };
    expect(collection.type).toBe('FeatureCollection');
    const seq25 = collection.features.find((f) => f.properties.flightId === 'f1' && f.properties.seq === 25);
    expect(seq25?.properties).toMatchObject({ droneId: 'd1', top1Label: LABEL, capturedAt: '2013-06-04T13:40:50.000Z' });
    expect(seq25?.properties.topK).toEqual([
      { index: 7, label: LABEL, score: 0.9 },
      { index: 3, label: 'crop', score: 0.82 },
      { index: 1, label: 'bare soil', score: 0.11 },
    ]);
    const position = groundResult('d1', 'f1', 25).position;
    expect(seq25?.geometry).toEqual({ type: 'Point', coordinates: [position?.lonDeg, position?.latDeg] });
  });

  test('GeoPackage (the default format): --since narrows every layer that has a capture or start time', async () => {
    const run = await exportTo(gpkgConfig, 'gpkg', '--since', T);
    expect(run.code, run.log).toBe(0);
    const { layers, warnings } = await gdalLayers(run.out);
    expect(warnings).toEqual([]);
    expect(Object.fromEntries(Object.entries(layers).map(([name, l]) => [name, l.features]))).toEqual({
      results: 30,
      footprints: 19,
      flight_tracks: 1,
      class_cells: 0, // cells aggregate whole flights: no capture time of their own
      flights: 1,
      health: 3,
      drone_status: 0,
      rejected: 0,
    });
  });

  test('more rows than one batch (2,000): GeoJSON and CSV stay whole and in order across batches', async () => {
    const path = join(dir, 'big.gpkg');
    const store = GeoPackageGroundStore.open(path);
    await store.write(Array.from({ length: 4500 }, (_, seq) => resultRecord(groundResult('d3', 'f3', seq))));
    await store.close();
    const config = await writeGroundConfig(join(dir, 'big.yaml'), { store: { path } });
    const [points, csv] = await Promise.all([exportTo(config, 'geojson', '--format', 'geojson'), exportTo(config, 'csv', '--format', 'csv')]);
    expect(points.code, points.log).toBe(0);
    expect(csv.code, csv.log).toBe(0);
    expect(Object.values((await gdalLayers(points.out)).layers)).toEqual([{ geometry: 'Point', features: 3000, epsg: 4326 }]);
    const features = (JSON.parse(await readFile(points.out, 'utf8')) as { features: Array<{ properties: { seq: number } }> }).features;
    expect(features.map((f) => f.properties.seq)).toEqual(Array.from({ length: 4500 }, (_, seq) => seq).filter((seq) => seq % 3 !== 2));
    expect(csvObjects(await readFile(csv.out, 'utf8')).map((r) => Number(r.seq))).toEqual(Array.from({ length: 4500 }, (_, seq) => seq));
  });

  test('refusals: exit 78, naming the option and what it takes; an existing --out is left as it was', async () => {
    const refused = async (ext: string, args: string[], ...mentions: string[]): Promise<void> => {
      const run = await exportTo(gpkgConfig, ext, ...args);
      expect(run.code, run.log).toBe(78);
      for (const text of mentions) expect(run.error).toContain(text);
      expect(existsSync(run.out)).toBe(false);
    };
    await refused('shp', ['--format', 'shp'], '--format', 'gpkg, geojson, csv', '"shp"');
    await refused('csv', ['--format', 'csv', '--geometry', 'points'], '--geometry', '--format geojson', 'points, footprints, tracks');
    await refused('gpkg', ['--geometry', 'footprints'], '--geometry', '--format geojson');
    await refused('geojson', ['--format', 'geojson', '--geometry', 'lines'], '--geometry', 'points, footprints, tracks', '"lines"');
    await refused('csv', ['--format', 'csv', '--since', 'yesterday'], '--since', '2024-05-01', '"yesterday"');
    await refused('csv', ['--format', 'csv', '--since', '2024-02-30'], '--since');
    for (const ext of ['csv', 'geojson']) {
      const taken = join(dir, `taken.${ext}`);
      await writeFile(taken, 'keep me');
      const run = await runCli(['ground', 'export', '--config', gpkgConfig, '--out', taken, '--format', ext]);
      expect(run.code, run.stdout + run.stderr).toBe(78);
      expect(logLines(run.stdout).find((line) => line.level === 60)?.err).toBe(
        `--out: ${taken} exists; export writes a new ${ext === 'csv' ? 'CSV' : 'GeoJSON'} file: choose another path or remove the file`,
      );
      expect(await readFile(taken, 'utf8')).toBe('keep me');
    }
  });
});

test('from PostGIS: --since in SQL there too; the same CSV as from the GeoPackage store, GeoJSON footprints, a GeoPackage', async () => {
  server = await startPostgis();
  const url = await server.createDatabase('export_formats');
  await fill(await PostgisGroundStore.open(url, silentLogger));
  const pgConfig = await writeGroundConfig(join(dir, 'pg.yaml'), { store: { url } });
  const [fromPg, fromGpkg] = await Promise.all([
    exportTo(pgConfig, 'csv', '--format', 'csv', '--since', T, '--drone', 'd1'),
    exportTo(gpkgConfig, 'csv', '--format', 'csv', '--since', T, '--drone', 'd1'),
  ]);
  expect(fromPg.code, fromPg.log).toBe(0);
  expect(fromGpkg.code, fromGpkg.log).toBe(0);
  const text = await readFile(fromPg.out, 'utf8');
  expect(csvObjects(text)).toHaveLength(30);
  expect(text).toBe(await readFile(fromGpkg.out, 'utf8'));

  const footprints = await exportTo(pgConfig, 'geojson', '--format', 'geojson', '--geometry', 'footprints', '--since', T);
  expect(footprints.code, footprints.log).toBe(0);
  expect(Object.values((await gdalLayers(footprints.out)).layers)).toEqual([{ geometry: 'Polygon', features: 19, epsg: 4326 }]);

  const gpkg = await exportTo(pgConfig, 'gpkg', '--since', T, '--flight', 'f2');
  expect(gpkg.code, gpkg.log).toBe(0);
  const { layers } = await gdalLayers(gpkg.out);
  expect([layers.results?.features, layers.footprints?.features, layers.flight_tracks?.features, layers.flights?.features, layers.health?.features]).toEqual([
    20, 13, 1, 1, 1,
  ]);
});

test('parseSince: dates, zones and fractions to the UTC millisecond; impossible dates refused', () => {
  expect(parseSince('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
  expect(parseSince('2024-05-01T10:30')).toBe('2024-05-01T10:30:00.000Z');
  expect(parseSince('2024-05-01T10:30:00-0130')).toBe('2024-05-01T12:00:00.000Z');
  expect(parseSince('2024-05-01T10:30:00.0001Z')).toBe('2024-05-01T10:30:00.001Z'); // rounded up: nothing before T
  expect(parseSince('2024-02-29T23:59:59.999+00:00')).toBe('2024-02-29T23:59:59.999Z');
  for (const bad of ['2023-02-29', '2024-13-01', '2024-05-01T24:00', '2024-05-01T10:60', '0099-01-01', '1714557600', '']) {
    expect(() => parseSince(bad), bad).toThrow(/--since: expected an ISO 8601 date/);
  }
});
