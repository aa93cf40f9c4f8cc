// End to end: `fieldeye diff` on result sets from two models and a shifted geotag (exit codes for CI), and
// `fieldeye export` to GeoJSON, CSV and KML validated with GDAL (ogrinfo, ogr2ogr) and read back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { offsetLatLon } from '../../src/geo/footprint.js';
import { distanceM } from '../../src/geo/local-metres.js';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import { sampleResult } from '../publish/sample-result.js';
import { gdalLayers } from '../ground/gdal-layers.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-diff-export-'));
});

function writeResults(name: string, results: Result[]): string {
  const path = join(work, name);
  writeFileSync(path, results.map((r) => `${JSON.stringify(ResultSchema.parse(r))}\n`).join(''));
  return path;
}

const readLines = (path: string): Result[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => ResultSchema.parse(JSON.parse(l)));

describe('fieldeye diff', () => {
  it('passes identical sets, fails a model change and a geotag shift above the limits', async () => {
    const config = join(work, 'run.yaml');
    writeFileSync(
      config,
      ['log: { level: warn }', 'flightId: diff-1', `source: { type: images, dir: ${FLIGHT} }`, 'sinks: { mqtt: { enabled: false } }'].join('\n'),
    );
    const a = join(work, 'seed1.jsonl');
    const b = join(work, 'seed2.jsonl');
    expect((await runCli(['run', '--config', config, '--out', a])).code).toBe(0);
    expect((await runCli(['run', '--config', config, '--out', b], { FIELDEYE__model__synthSeed: '2' })).code).toBe(0);

    const same = await runCli(['diff', a, a]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain('top-1 agreement: 100.00 % (0 changed)');

    // Two differently seeded models: their top-1 classes differ on (nearly) every frame.
    const models = await runCli(['diff', a, b, '--json']);
    expect(models.code, models.stderr).toBe(2);
    const report = JSON.parse(models.stdout) as {
      matched: number;
      agreement: number;
      top1Changes: unknown[];
      overLimit: string[];
      geotagDrift: { maxM: number };
    };
    expect(report.matched).toBe(12);
    expect(report.top1Changes.length).toBeGreaterThan(0);
    expect(report.agreement).toBeCloseTo(1 - report.top1Changes.length / 12, 12);
    expect(report.geotagDrift.maxM).toBe(0);
    expect(report.overLimit).toEqual([expect.stringMatching(/^top-1 disagreement .* > --max-disagreement 5\.00 %$/)]);
    expect((await runCli(['diff', a, b, '--max-disagreement', '1'])).code).toBe(0);

    // One frame's geotag moved 3 m north.
    const shifted = readLines(a).map((r, i) => (i === 5 && r.position ? { ...r, position: { ...r.position, ...offsetLatLon(r.position, 3, 0) } } : r));
    const moved = await runCli(['diff', a, writeResults('shifted.jsonl', shifted), '--json']);
    expect(moved.code).toBe(2);
    const drift = JSON.parse(moved.stdout) as { geotagDrift: { maxM: number; compared: number }; overLimit: string[] };
    expect(drift.geotagDrift.maxM).toBeCloseTo(3, 3);
    expect(drift.geotagDrift.compared).toBe(12);
    expect(drift.overLimit).toEqual([expect.stringMatching(/^geotag drift 3\.00\d m > --max-geotag-drift-m 1$/)]);
  });
});

describe('fieldeye export', () => {
  // Three results in one corner of the field (two "crop", one with a comma in its label), two 100 m east
  // ("water"), one without a position; the first has a target and a footprint.
  const origin = { latDeg: 41.0349, lonDeg: -83.3052 };
  const at = (n: number, e: number) => offsetLatLon(origin, n, e);
  const ring = [at(-5, -5), at(-5, 5), at(5, 5), at(5, -5), at(-5, -5)].map((p) => [p.lonDeg, p.latDeg] as [number, number]);
  const top = (label: string, index: number) => [
    { index, label, score: 0.75 },
    { index: 99, label: 'other', score: 0.1 },
  ];
  const place = (seq: number, n: number, e: number, label: string, index: number, extra: Partial<Result> = {}) => {
    const base = sampleResult(seq);
    return sampleResult(seq, { position: { ...base.position!, ...at(n, e) }, top: top(label, index), ...extra });
  };
  const results: Result[] = [
    place(0, 0, 0, 'crop', 1, { target: at(0, 0), footprint: { type: 'Polygon', coordinates: [ring] }, footprintReason: null }),
    place(1, 3, 2, 'crop', 1),
    place(2, 4, 4, 'weeds, broadleaf', 7),
    place(3, 1, 100, 'water', 3),
    place(4, 2, 101, 'water', 3),
    sampleResult(5, { position: null, positionReason: 'no GPS fix', top: top('crop', 1) }),
  ];

  function gdal(file: string): { count: number; features: Array<{ geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }> } {
    const info = execFileSync('ogrinfo', ['-ro', '-al', '-so', file], { encoding: 'utf8' });
    expect(info).toMatch(/successful/);
    const count = [...info.matchAll(/Feature Count: (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
    const json = execFileSync('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', file], { encoding: 'utf8' });
    return { count, features: (JSON.parse(json) as { features: ReturnType<typeof gdal>['features'] }).features };
  }

  for (const format of ['geojson', 'csv', 'kml'] as const) {
    it(`${format}: one layer of one geometry type, points by default, footprints on request, readable by GDAL`, async () => {
      const input = writeResults('export.jsonl', results);
      const out = join(work, `points.${format}`);
      const run = await runCli(['export', input, '--format', format, '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('wrote 5 features (points)');
      expect(run.stdout).toContain('1 results without a position left out');
      const { count, features } = gdal(out);
      expect(count).toBe(5);
      // One geometry type per layer: GDAL and QGIS read a file mixing Points and Polygons as "Unknown (any)".
      expect(new Set(features.map((f) => f.geometry.type))).toEqual(new Set(['Point']));
      if (format === 'geojson') expect(execFileSync('ogrinfo', ['-ro', '-so', '-al', out], { encoding: 'utf8' })).toMatch(/Geometry: Point/);
      expect(features.map((f) => f.properties['class'])).toEqual(['crop', 'crop', 'weeds, broadleaf', 'water', 'water']);
      expect(features.map((f) => Number(f.properties['score']))).toEqual([0.75, 0.75, 0.75, 0.75, 0.75]);
      for (const [i, f] of features.entries()) {
        const [lon, lat] = f.geometry.coordinates as [number, number];
        const r = results[i] as Result;
        expect(distanceM({ latDeg: lat, lonDeg: lon }, r.target ?? r.position!)).toBeLessThan(0.001);
      }
      if (format === 'geojson') {
        // RFC 7946: a FeatureCollection without "crs", [lon, lat] order.
        const doc = JSON.parse(readFileSync(out, 'utf8')) as { type: string; crs?: unknown; features: Array<{ geometry: { coordinates: unknown } }> };
        expect(doc.type).toBe('FeatureCollection');
        expect(doc.crs).toBeUndefined();
        expect(doc.features[0]?.geometry.coordinates).toEqual([results[0]!.target!.lonDeg, results[0]!.target!.latDeg]);
      }

      const footprintsOut = join(work, `footprints.${format}`);
      const fp = await runCli(['export', input, '--format', format, '--geometry', 'footprints', '--out', footprintsOut]);
      expect(fp.code, fp.stderr).toBe(0);
      const polygons = gdal(footprintsOut).features;
      expect(polygons.map((f) => f.geometry.type)).toEqual(['Polygon']);
      expect((polygons[0]?.geometry.coordinates as number[][][])[0]).toHaveLength(5);
      expect(polygons[0]?.properties['class']).toBe('crop');
    });
  }

  it('gpkg: results, footprints and flight tracks as named layers, one geometry type each', async () => {
    const input = writeResults('export-gpkg.jsonl', results);
    const out = join(work, 'flight.gpkg');
    const run = await runCli(['export', input, '--format', 'gpkg', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const { layers, warnings } = await gdalLayers(out);
    expect(warnings).toEqual([]);
    // Every result is a row; the one without a position has no geometry.
    expect(layers['results']).toEqual({ geometry: 'Point', features: 6, epsg: 4326 });
    expect(layers['footprints']).toEqual({ geometry: 'Polygon', features: 1, epsg: 4326 });
    expect(layers['flight_tracks']).toEqual({ geometry: 'Line String', features: 1, epsg: 4326 });
    const refused = await runCli(['export', input, '--format', 'gpkg', '--geometry', 'points', '--out', join(work, 'x.gpkg')]);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain('--format gpkg writes every layer');
  });

  // counts is a JSON string in every format; GDAL hands it back from GeoJSON already parsed.
  const jsonValue = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

  it('--grid: one cell per square with class counts and the majority class', async () => {
    const input = writeResults('grid-input.jsonl', results);
    for (const format of ['geojson', 'csv', 'kml'] as const) {
      const out = join(work, `grid.${format}`);
      const run = await runCli(['export', input, '--format', format, '--grid', '20', '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      const { count, features } = gdal(out);
      expect(count, format).toBe(2);
      const cells = features.map((f) => ({
        majority: f.properties['majority'],
        frames: Number(f.properties['frames']),
        counts: jsonValue(f.properties['counts']),
      }));
      expect(cells).toEqual([
        { majority: 'crop', frames: 3, counts: { crop: 2, 'weeds, broadleaf': 1 } },
        { majority: 'water', frames: 2, counts: { water: 2 } },
      ]);
      for (const f of features) {
        const ringCoords = (f.geometry.coordinates as number[][][])[0] as number[][];
        const side = distanceM({ lonDeg: ringCoords[0]![0]!, latDeg: ringCoords[0]![1]! }, { lonDeg: ringCoords[1]![0]!, latDeg: ringCoords[1]![1]! });
        expect(side).toBeCloseTo(20, 3);
      }
    }
  });
});
