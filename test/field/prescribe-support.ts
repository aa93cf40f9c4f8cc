// Test helper for `fieldeye prescribe`: a simulated flight replayed through the demo model (both cached), the
// shapefile read back by GDAL (ogrinfo, ogr2ogr), the ISOXML read back by the isoxml library, and the truth per cell.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ISOXMLManager, type ExtendedGrid, type ExtendedPartfield, type ExtendedTask } from 'isoxml';
import { northEastM } from '../../src/geo/local-metres.js';
import { ensureDemoModel } from '../../src/sim/demo-model.js';
import { SIMULATED_ORIGIN } from '../../src/sim/simulator.js';
import { zoneAt, type Field } from '../../src/sim/simulator-field.js';
import { packageRoot } from '../../src/platform/package-root.js';
import { runCli } from '../support/run-cli.js';

const run = promisify(execFile);

export const SIM = { seed: 7, widthM: 150, heightM: 100, altM: 20 };

/** The demo model (a head fitted on a small simulated field, seed 101) and a replay of another seed's flight. */
export async function simulatedResults(work: string): Promise<{ flight: string; results: string }> {
  // Kept between runs (keyed by content): building the head takes a while, reusing it a moment.
  const model = await ensureDemoModel({
    cacheDir: join(tmpdir(), 'fieldeye-prescribe-model'),
    backboneDir: join(packageRoot(), 'models', 'generated'),
    flightSeed: 101,
    widthM: 120,
    heightM: 80,
  });
  const flight = join(work, 'sim');
  const area = `${SIM.widthM}x${SIM.heightM}`;
  const sim = await runCli(['simulate', '--out', flight, '--seed', String(SIM.seed), '--area', area, '--alt', String(SIM.altM), '--speed', '5']);
  if (sim.code !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
  // simulate leaves the flight's own results.jsonl empty; a replay writes a fresh file elsewhere.
  const results = join(work, 'results.jsonl');
  const replay = await runCli(['replay', flight, '--speed', 'max', '--model', model.modelPath, '--out', results]);
  if (replay.code !== 0) throw new Error(`replay failed: ${replay.stderr}`);
  return { flight, results };
}

export interface OgrField {
  name: string;
  type: string;
}

/** `ogrinfo -ro -so -al` on a .shp: geometry, feature count and the fields. */
export async function ogrSummary(shp: string): Promise<{ geometry: string; features: number; fields: OgrField[]; epsg: number | null }> {
  const { stdout } = await run('ogrinfo', ['-ro', '-so', '-al', shp]);
  const fields = [...stdout.matchAll(/^(\w+): (\w+) \(/gm)].map((m) => ({ name: m[1] as string, type: m[2] as string }));
  return {
    geometry: /^Geometry: (.+)$/m.exec(stdout)?.[1]?.trim() ?? '?',
    features: Number(/^Feature Count: (\d+)$/m.exec(stdout)?.[1]),
    fields,
    epsg: Number(/ID\["EPSG",(\d+)\]\]\s*$/m.exec(stdout)?.[1] ?? NaN) || null,
  };
}

export interface ShpFeature {
  properties: { RATE: number; CLASS: string; SHARE: number; SEEN: number; FRAMES: number; CONF: number };
  geometry: { type: 'Polygon'; coordinates: Array<Array<[number, number]>> };
}

/** The shapefile's features as GDAL reads them (ogr2ogr to GeoJSON). */
export async function shapefileFeatures(shp: string): Promise<ShpFeature[]> {
  const { stdout } = await run('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', shp], { maxBuffer: 256 * 1024 * 1024 });
  return (JSON.parse(stdout) as { features: ShpFeature[] }).features;
}

export async function unzipInto(zip: string, dir: string): Promise<void> {
  await run('unzip', ['-o', '-q', zip, '-d', dir]);
}

/** The TASKDATA folder as written, zipped by the zip tool and parsed by the isoxml library (grid file included). */
export async function readTaskData(
  outDir: string,
): Promise<{ task: ExtendedTask; grid: ExtendedGrid; values: Int32Array; partfields: ExtendedPartfield[]; warnings: string[] }> {
  const tmp = await mkdtemp(join(tmpdir(), 'fieldeye-taskdata-'));
  try {
    const zip = join(tmp, 'taskdata.zip');
    await run('zip', ['-q', '-r', zip, 'TASKDATA'], { cwd: outDir });
    const manager = new ISOXMLManager();
    await manager.parseISOXMLFile(new Uint8Array(await readFile(zip)), 'application/zip');
    const task = (manager.rootElement.attributes.Task ?? [])[0] as ExtendedTask;
    const grid = (task.attributes.Grid ?? [])[0] as ExtendedGrid;
    const bytes = grid.binaryData;
    const values = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const partfields = (manager.rootElement.attributes.Partfield ?? []) as ExtendedPartfield[];
    return { task, grid, values, partfields, warnings: manager.getWarnings() };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export function pointInRings(point: [number, number], rings: ReadonlyArray<ReadonlyArray<[number, number]>>): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Share of a cell's ground the simulator calls `zone`: 7x7 points spread over the cell (its corners' span). */
export function trueShare(field: Field, feature: ShpFeature, zone: string): number {
  const ring = feature.geometry.coordinates[0]!;
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  let hits = 0;
  let total = 0;
  for (let a = 0; a < 7; a++) {
    for (let b = 0; b < 7; b++) {
      const lonDeg = Math.min(...lons) + ((a + 0.5) / 7) * (Math.max(...lons) - Math.min(...lons));
      const latDeg = Math.min(...lats) + ((b + 0.5) / 7) * (Math.max(...lats) - Math.min(...lats));
      // Only points inside the (rotated) cell count: the box's corners belong to the neighbours.
      if (!pointInRings([lonDeg, latDeg], feature.geometry.coordinates)) continue;
      const local = northEastM(SIMULATED_ORIGIN, { latDeg, lonDeg });
      total++;
      if (zoneAt(field, local.eastM, local.northM) === zone) hits++;
    }
  }
  return total === 0 ? 0 : hits / total;
}

export function exists(path: string): boolean {
  return existsSync(path);
}
