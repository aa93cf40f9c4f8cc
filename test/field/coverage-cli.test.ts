// `fieldeye coverage` end to end: a simulated flight replayed with the seeded model, measured against the simulated
// field (its boundary as GeoJSON, KML or a shapefile); blur from the recorded exposure; a gap appears where results are
// taken out; GDAL reads the map files; the retained message reaches Mosquitto.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offsetLatLon } from '../../src/geo/footprint.js';
import { CoverageSchema, type Coverage } from '../../src/publish/coverage-schema.js';
import type { Result } from '../../src/publish/result-schema.js';
import { SIMULATED_ORIGIN } from '../../src/sim/simulator.js';
import { gdalLayers } from '../ground/gdal-layers.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { collectMessages } from '../support/mqtt-collector.js';
import { runCli } from '../support/run-cli.js';

const gdal = promisify(execFile);
let work: string;
let flight: string;
let results: string;
let boundary: string;

/** Ray casting over a MultiPolygon's rings (holes included): inside when an odd number of edges cross. */
function inside(mp: Coverage['gaps']['geometry'], [x, y]: [number, number]): boolean {
  return mp.coordinates.some((polygon) => {
    let odd = false;
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i]!;
        const [xj, yj] = ring[j]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
      }
    }
    return odd;
  });
}

async function coverage(args: string[]): Promise<Coverage> {
  const run = await runCli(['coverage', ...args, '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return CoverageSchema.parse(JSON.parse(run.stdout));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-coverage-'));
  flight = join(work, 'sim');
  const sim = await runCli(['simulate', '--out', flight, '--seed', '3', '--area', '80x50', '--alt', '20', '--speed', '5']);
  expect(sim.code, sim.stdout + sim.stderr).toBe(0);
  results = join(work, 'results.jsonl');
  const replay = await runCli(['replay', flight, '--speed', 'max', '--out', results]);
  expect(replay.code, replay.stdout + replay.stderr).toBe(0);
  // The simulated field: 80 x 50 m from its south-west corner.
  const corner = (northM: number, eastM: number) => {
    const p = offsetLatLon(SIMULATED_ORIGIN, northM, eastM);
    return [p.lonDeg, p.latDeg];
  };
  boundary = join(work, 'field.geojson');
  const ring = [corner(0, 0), corner(0, 80), corner(50, 80), corner(50, 0), corner(0, 0)];
  writeFileSync(
    boundary,
    JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }] }),
  );
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('fieldeye coverage', () => {
  it('measures a simulated flight against its field: 76.7 % covered (the model crop is narrower than the survey swath)', async () => {
    const c = await coverage([results, '--boundary', boundary, '--flight', flight]);
    expect(c.boundary).toMatchObject({ kind: 'file', name: 'field.geojson' });
    expect(c.boundary.areaM2).toBeCloseTo(4000, -1);
    // Measured 0.767 (seed 3, 80 x 50 m at 20 m): three survey lines 16.7 m apart, crops 13.4 m wide leave strips.
    expect(c.coveredShare).toBeGreaterThan(0.75);
    expect(c.coveredShare).toBeLessThan(0.8);
    expect(c.frames).toMatchObject({ total: 24, withFootprint: 24, noPosition: { count: 0 }, noFootprint: { count: 0 } });
    // The simulator flies east-west lines: the extra lines run the same way, a crop width apart.
    expect(Math.abs(c.lines.headingDeg! - 90)).toBeLessThan(3);
    expect(c.lines.spacingM).toBeGreaterThan(12);
    expect(c.lines.lines.length).toBeGreaterThanOrEqual(2);
    // The simulator records its 1/1000 s shutter per frame (source.exposureUs): 5 mm of motion, far under the GSD.
    expect(c.blur).toMatchObject({ checked: 24, notCheckable: 0, blurred: { count: 0 }, note: null });
    // A results file alone does not say the exposure: blur is reported as not checkable, and why.
    const alone = await coverage([results, '--boundary', boundary]);
    expect(alone.blur).toMatchObject({ checked: 0, notCheckable: 24 });
    expect(alone.blur.note).toMatch(/without a known exposure time/);
    // Without a boundary: the hull of the footprints, measured 83.5 %.
    const hull = await coverage([results]);
    expect(hull.boundary.kind).toBe('convex-hull');
    expect(hull.coveredShare).toBeGreaterThan(0.8);
    // A fixed shutter given by the operator, instead of the recorded one: every frame is checked (1/2000 s at 5 m/s is 2.5 mm).
    const fixed = await coverage([results, '--flight', flight, '--exposure-us', '500']);
    expect(fixed.blur).toMatchObject({ checked: 24, notCheckable: 0, blurred: { count: 0 } });
  });

  it("counts blurred frames from the recording's exposure, without --exposure-us; the flag overrides it", async () => {
    // The same flight with a 1/25 s shutter: 5 m/s x 40 ms = 20 cm of motion, about five times the 4 cm GSD.
    const slow = join(work, 'slow');
    const sim = await runCli(['simulate', '--out', slow, '--seed', '3', '--area', '80x50', '--alt', '20', '--speed', '5', '--exposure-us', '40000']);
    expect(sim.code, sim.stderr).toBe(0);
    const frames = readFileSync(join(slow, 'frames.jsonl'), 'utf8').trim().split('\n');
    expect(frames.map((l) => (JSON.parse(l) as { source: { exposureUs: number } }).source.exposureUs)).toEqual(frames.map(() => 40000));
    // The frames are the same images as the first flight's (the shutter only goes into the record): reuse its results.
    const recorded = await coverage([results, '--flight', slow]);
    expect(recorded.blur).toMatchObject({ checked: 24, notCheckable: 0, blurred: { count: 24 } });
    expect(recorded.blur.blurred.seqs).toEqual([...Array(24).keys()]);
    const overridden = await coverage([results, '--flight', slow, '--exposure-us', '500']);
    expect(overridden.blur).toMatchObject({ checked: 24, blurred: { count: 0 } });
  });

  it('takes the same field as KML and as a zipped shapefile (both written by GDAL) and measures the same coverage', async () => {
    const kml = join(work, 'field.kml');
    const shp = join(work, 'field.shp.zip');
    await gdal('ogr2ogr', ['-f', 'KML', kml, boundary]);
    await gdal('ogr2ogr', ['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:32631', shp, boundary]);
    const fromGeojson = await coverage([results, '--boundary', boundary]);
    for (const [file, name] of [
      [kml, 'field.kml'],
      [shp, 'field.shp.zip'],
    ] as const) {
      const c = await coverage([results, '--boundary', file]);
      expect(c.boundary).toMatchObject({ kind: 'file', name });
      expect(c.boundary.areaM2).toBeCloseTo(fromGeojson.boundary.areaM2, 0);
      expect(c.coveredShare).toBeCloseTo(fromGeojson.coveredShare!, 4);
    }
  });

  it('shows a gap where results were taken out of the file', async () => {
    const all = readFileSync(results, 'utf8').trim().split('\n');
    const removed = [11, 12];
    const cut = join(work, 'cut.jsonl');
    writeFileSync(cut, `${all.filter((line) => !removed.includes((JSON.parse(line) as Result).seq)).join('\n')}\n`);
    const full = await coverage([results, '--boundary', boundary]);
    const less = await coverage([cut, '--boundary', boundary]);
    const targets = removed.map((seq) => {
      const t = (JSON.parse(all[seq]!) as Result).target!;
      return [t.lonDeg, t.latDeg] as [number, number];
    });
    for (const t of targets) {
      expect(inside(full.gaps.geometry, t)).toBe(false);
      expect(inside(less.gaps.geometry, t)).toBe(true);
    }
    // Two frames 9 m apart with 13 m crops: a hole about 14 m along the line and a crop wide.
    expect(less.gaps.areaM2 - full.gaps.areaM2).toBeGreaterThan(100);
    expect(less.coveredShare!).toBeLessThan(full.coveredShare! - 0.025);
  });

  it('writes map files GDAL reads with one geometry type each', async () => {
    const out = join(work, 'maps');
    const run = await runCli(['coverage', results, '--boundary', boundary, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/covered: +76\.\d %/);
    const gaps = await gdalLayers(join(out, 'gaps.geojson'));
    const lines = await gdalLayers(join(out, 'lines.geojson'));
    const covered = await gdalLayers(join(out, 'coverage.geojson'));
    expect(Object.values(gaps.layers)[0]).toMatchObject({ geometry: 'Polygon', epsg: 4326 });
    expect(Object.values(lines.layers)[0]).toMatchObject({ geometry: 'Line String', epsg: 4326 });
    expect(Object.values(lines.layers)[0]!.features).toBeGreaterThanOrEqual(2);
    expect(Object.values(covered.layers)[0]!.geometry).toBe('Polygon');
    expect([...gaps.warnings, ...lines.warnings, ...covered.warnings]).toEqual([]);
  });
});

describe('the retained coverage message', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('is published at the end of `replay --publish` and is valid against the schema', async () => {
    const config = join(work, 'publish.yaml');
    writeFileSync(config, `sinks: { mqtt: { url: "${broker.url}", outbox: { path: ${join(work, 'outbox.sqlite')} } } }\n`);
    const replay = await runCli(['replay', flight, '--speed', 'max', '--publish', '--config', config]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    // Subscribed after the flight: only a retained message can arrive.
    const [message] = await collectMessages(broker.url, 'fieldeye/v1/simulator/coverage', 1, 5_000);
    expect(message, broker.log()).toBeDefined();
    expect(message!.retain).toBe(true);
    const c = CoverageSchema.parse(JSON.parse(message!.text));
    expect(c).toMatchObject({ droneId: 'simulator', flightId: 'sim-seed-3', boundary: { kind: 'convex-hull' }, frames: { total: 24, withFootprint: 24 } });
    // The same footprints as the command's hull figure.
    const hull = await coverage([results]);
    expect(c.coveredShare).toBeCloseTo(hull.coveredShare!, 3);
  });
});
