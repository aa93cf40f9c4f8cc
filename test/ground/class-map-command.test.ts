// `fieldeye ground classmap` through the CLI against a real GeoPackage store and a throwaway PostGIS: a hand-worked
// case, the two stores agreeing on a survey, capture-time ranges, GDAL reading the layer, and the refusals (exit 78).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { fromUtm } from '../../src/geo/utm.js';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import type { GroundRecord, GroundStore } from '../../src/ground/ground-store.js';
import { PostgisGroundStore } from '../../src/ground/postgis-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import { runCli } from '../support/run-cli.js';
import { E0, footprintRecord, HAND_CELLS, HAND_FOOTPRINTS, N0, readClassMap, surveyFootprints, ZONE, type Footprint } from './class-map-fixtures.js';
import { gdalLayers, GPKG_VALIDATOR } from './gdal-layers.js';
import { withTempDirAndPostgis, writeGroundConfig } from './ground-harness.js';

const suite = withTempDirAndPostgis('fieldeye-classmap-');
let outs = 0;

type Kind = 'gpkg' | 'postgis';

/** The same records into a new store of each kind; returns a ground config file per kind. */
async function stores(name: string, records: GroundRecord[]): Promise<Record<Kind, string>> {
  const fill = async (store: GroundStore): Promise<void> => {
    await store.write(records);
    await store.close();
  };
  const path = join(suite.dir, `${name}.gpkg`);
  await fill(GeoPackageGroundStore.open(path));
  const url = await suite.server.createDatabase(name);
  await fill(await PostgisGroundStore.open(url, silentLogger));
  return {
    gpkg: await writeGroundConfig(join(suite.dir, `${name}-gpkg.yaml`), { store: { path } }),
    postgis: await writeGroundConfig(join(suite.dir, `${name}-pg.yaml`), { store: { url } }),
  };
}

async function classmap(config: string, ...args: string[]): Promise<{ code: number; out: string; output: string }> {
  const out = join(suite.dir, `map-${(outs += 1)}.gpkg`);
  const run = await runCli(['ground', 'classmap', '--config', config, '--out', out, ...args]);
  return { code: run.code, out, output: run.stdout + run.stderr };
}

const flight = (flightId: string, footprints: Footprint[], droneId = 'd1'): GroundRecord[] =>
  footprints.map((f, seq) => footprintRecord(droneId, flightId, seq, f));

test('a hand-worked case: shares are the footprints area fractions, in both stores', async () => {
  const configs = await stores('hand', flight('f1', HAND_FOOTPRINTS));
  for (const kind of ['gpkg', 'postgis'] as const) {
    const run = await classmap(configs[kind], '--flight', 'f1', '--cell-m', '10');
    expect(run.code, run.output).toBe(0);
    const cells = readClassMap(run.out);
    const expected = Object.entries(HAND_CELLS).map(([key, cell]) => {
      const [r, c] = key.split(':').map(Number) as [number, number];
      return [`${N0 / 10 + r}:${E0 / 10 + c}`, cell] as const;
    });
    expect([...cells.keys()].sort(), kind).toEqual(expected.map(([key]) => key).sort());
    for (const [key, want] of expected) {
      const got = cells.get(key)!;
      const covered = Object.values(want.area).reduce((a, b) => a + b, 0);
      const [majority, most] = Object.entries(want.area).sort(([la, a], [lb, b]) => b - a || (la < lb ? -1 : 1))[0]!;
      expect(Object.keys(got.shares).sort(), `${kind} ${key}`).toEqual(Object.keys(want.area).sort());
      for (const [label, area] of Object.entries(want.area)) expect(got.shares[label]! - area / covered).toBeCloseTo(0, 6);
      expect(Math.abs(got.covered_m2 - covered) / covered, `${kind} ${key} covered`).toBeLessThan(0.001);
      expect(got).toMatchObject({ cell_m: 10, majority_label: majority, footprints: want.footprints, crs_epsg: 32631 });
      expect(got.majority_share - most / covered).toBeCloseTo(0, 6);
      expect(got.mean_score - want.scoreArea / covered).toBeCloseTo(0, 6);
      // The cell's south-west corner, back in lon/lat.
      const [lon, lat] = fromUtm(ZONE, got.col * 10, got.row * 10);
      expect(Math.abs(got.ring[0]![0] - lon) + Math.abs(got.ring[0]![1] - lat)).toBeLessThan(1e-9);
    }
  }
});

test('PostGIS (SQL) and the GeoPackage (TypeScript) give the same cells, labels and shares', async () => {
  const configs = await stores('survey', [...flight('s1', surveyFootprints(80, 7)), ...flight('s1', surveyFootprints(40, 9), 'd2')]);
  for (const cellM of ['10', '7.5']) {
    const [a, b] = await Promise.all([
      classmap(configs.gpkg, '--flight', 's1', '--cell-m', cellM),
      classmap(configs.postgis, '--flight', 's1', '--cell-m', cellM),
    ]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    const [ts, sql] = [readClassMap(a.out), readClassMap(b.out)];
    expect(ts.size).toBeGreaterThan(30);
    expect([...ts.keys()]).toEqual([...sql.keys()]);
    for (const [key, t] of ts) {
      const s = sql.get(key)!;
      expect({ ...t, shares: 0, covered_m2: 0, mean_score: 0, majority_share: 0, ring: 0 }).toEqual({
        ...s,
        shares: 0,
        covered_m2: 0,
        mean_score: 0,
        majority_share: 0,
        ring: 0,
      });
      expect(Object.keys(t.shares)).toEqual(Object.keys(s.shares));
      for (const label of Object.keys(t.shares)) expect(Math.abs(t.shares[label]! - s.shares[label]!), `${key} ${label}`).toBeLessThan(1e-6);
      expect(Math.abs(t.covered_m2 - s.covered_m2)).toBeLessThan(1e-6 * s.covered_m2 + 1e-9);
      expect(Math.abs(t.mean_score - s.mean_score)).toBeLessThan(1e-6);
      t.ring.forEach(([x, y], i) => expect(Math.abs(x - s.ring[i]![0]) + Math.abs(y - s.ring[i]![1])).toBeLessThan(1e-9));
    }
    // --drone narrows a flight id two drones share.
    const one = await classmap(configs.postgis, '--flight', 's1', '--drone', 'd2', '--cell-m', cellM);
    expect(one.code, one.output).toBe(0);
    const total = (m: Map<string, { footprints: number }>): number => [...m.values()].reduce((n, c) => n + c.footprints, 0);
    expect(total(readClassMap(one.out))).toBeLessThan(total(sql));
  }
});

test('--since and --until select by capture time (at or after, before)', async () => {
  const at =
    (iso: string) =>
    (f: Footprint): Footprint => ({ ...f, capturedAt: iso });
  const records = [
    ...flight('early', HAND_FOOTPRINTS.map(at('2024-06-11T23:59:59.999Z'))),
    ...flight('day', HAND_FOOTPRINTS.map(at('2024-06-12T00:00:00.000Z'))),
    ...flight('late', HAND_FOOTPRINTS.map(at('2024-06-13T00:00:00.000Z'))),
  ];
  const configs = await stores('times', records);
  const footprintsIn = (file: string): number => [...readClassMap(file).values()].reduce((n, c) => n + c.footprints, 0);
  const perFlight = Object.values(HAND_CELLS).reduce((n, c) => n + c.footprints, 0);
  for (const kind of ['gpkg', 'postgis'] as const) {
    const day = await classmap(configs[kind], '--since', '2024-06-12', '--until', '2024-06-13');
    expect(day.code, day.output).toBe(0);
    expect(footprintsIn(day.out), kind).toBe(perFlight);
    const onward = await classmap(configs[kind], '--since', '2024-06-12T02:00:00+02:00');
    expect(footprintsIn(onward.out), kind).toBe(2 * perFlight);
  }
});

test('GDAL reads the layer: Polygon, EPSG:4326, one feature per cell; the file passes validate_gpkg', async () => {
  const configs = await stores('gdal', flight('g1', HAND_FOOTPRINTS));
  const run = await classmap(configs.postgis, '--flight', 'g1');
  expect(run.code, run.output).toBe(0);
  const { layers, warnings } = await gdalLayers(run.out);
  expect(warnings).toEqual([]);
  expect(layers).toEqual({ class_map: { geometry: 'Polygon', features: 9, epsg: 4326 } });
  expect((await promisify(execFile)('/usr/bin/python3', [GPKG_VALIDATOR, run.out])).stdout).toBe('');
});

test('refusals exit 78 and name the option', async () => {
  const configs = await stores('errors', flight('e1', HAND_FOOTPRINTS));
  const taken = join(suite.dir, 'taken.gpkg');
  await writeFile(taken, '');
  const cases: Array<[string, string[]]> = [
    ['--cell-m', ['--flight', 'e1', '--cell-m', '0']],
    ['--cell-m', ['--flight', 'e1', '--cell-m', '1001']],
    ['--cell-m', ['--flight', 'e1', '--cell-m', 'ten']],
    ['--since', ['--since', 'yesterday']],
    ['--until', ['--since', '2024-06-12', '--until', '2024-06-31']],
    ['--until', ['--since', '2024-06-12', '--until', '2024-06-11']],
    ['--flight or --since', []],
    ['--flight', ['--flight', 'e1', '--since', '2024-06-12']],
  ];
  for (const [option, args] of cases) {
    const run = await classmap(configs.gpkg, ...args);
    expect(run.code, run.output).toBe(78);
    expect(run.output, args.join(' ')).toContain(`${option}:`);
  }
  for (const kind of ['gpkg', 'postgis'] as const) {
    const none = await classmap(configs[kind], '--flight', 'nope', '--drone', 'd1');
    expect(none.code, none.output).toBe(78);
    expect(none.output).toMatch(/--flight: no footprints selected by --flight \\"nope\\" --drone \\"d1\\"/);
    const later = await classmap(configs[kind], '--since', '2030-01-01');
    expect(later.code, later.output).toBe(78);
    expect(later.output).toContain('--since: no footprints selected by --since 2030-01-01T00:00:00.000Z');
  }
  const exists = await runCli(['ground', 'classmap', '--config', configs.gpkg, '--flight', 'e1', '--out', taken]);
  expect(exists.code).toBe(78);
  expect(exists.stdout + exists.stderr).toContain('--out:');
});
