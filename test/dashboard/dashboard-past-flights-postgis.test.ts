// Past flights from PostGIS: the same records written into PostGIS and into a GeoPackage by the ground store classes,
// `fieldeye dashboard --store` on each, and the answers compared; a database that goes away is a clear 503.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlightListView, StoredFlightView } from '../../src/dashboard/dashboard-types.js';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import type { GroundRecord } from '../../src/ground/ground-store.js';
import { PostgisGroundStore } from '../../src/ground/postgis-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { writeGroundConfig } from '../ground/ground-harness.js';
import { resultRecord } from '../ground/ground-samples.js';
import { startDashboardCli, type DashboardProcess } from './dashboard-cli.js';
import { http, SURVEY_FLIGHT, SURVEYS, surveyResults } from './past-flights-support.js';

/** Nothing listens there: these dashboards only read the store. */
const NO_BROKER = 'mqtt://127.0.0.1:1';

let work: string;
let postgis: PostgisServer;
const dashboards: DashboardProcess[] = [];

function records(): GroundRecord[] {
  const flight: GroundRecord = { kind: 'flight', topic: 'fieldeye/v1/field-1/flight', receivedAt: '2024-05-01T10:00:00.000Z', flight: SURVEY_FLIGHT };
  return [flight, ...SURVEYS.flatMap((s) => surveyResults(s.droneId, s.flightId).map(resultRecord))];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-past-flights-pg-'));
  postgis = await startPostgis();
  const gpkg = GeoPackageGroundStore.open(join(work, 'ground.gpkg'));
  await gpkg.write(records());
  await gpkg.close();
  const pg = await PostgisGroundStore.open(postgis.url, silentLogger);
  await pg.write(records());
  await pg.close();
}, 120_000);

afterAll(async () => {
  for (const d of dashboards) await d.stop();
  await postgis?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function dashboardOn(store: Record<string, unknown>, name: string): Promise<DashboardProcess> {
  const config = await writeGroundConfig(join(work, `${name}.yaml`), { store });
  const dashboard = await startDashboardCli(['--broker', NO_BROKER, '--store', config]);
  dashboards.push(dashboard);
  return dashboard;
}

async function json<T>(dashboard: DashboardProcess, path: string): Promise<T> {
  const res = await http(`${dashboard.url}${path}`);
  expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBe(200);
  return res.json as T;
}

describe('fieldeye dashboard --store with PostGIS', () => {
  it('lists and serves the same flights as the GeoPackage holding the same records; a stopped database is a 503', async () => {
    const [fromPg, fromGpkg] = await Promise.all([dashboardOn({ url: postgis.url }, 'postgis'), dashboardOn({ path: 'ground.gpkg' }, 'gpkg')]);
    const pgList = await json<FlightListView>(fromPg, 'api/flights');
    expect(pgList.store).toMatch(/^PostGIS postgres:\/\//);
    expect(pgList.flights.map((f) => [f.droneId, f.flightId, f.results, f.kind])).toEqual([
      ['field-2', 'survey-b', 12, null],
      ['field-1', 'survey-a', 30, 'run'],
    ]);
    expect(pgList.flights).toEqual((await json<FlightListView>(fromGpkg, 'api/flights')).flights);

    for (const path of ['api/flights/field-1/survey-a', 'api/flights/field-1/survey-a?after=6&limit=7', 'api/flights/field-2/survey-b']) {
      const pg = await json<StoredFlightView>(fromPg, path);
      expect(pg, path).toEqual(await json<StoredFlightView>(fromGpkg, path));
      expect(pg.results.length, path).toBeGreaterThan(0);
    }
    // Footprints come back as polygons from PostGIS too (every positioned sample result has one).
    const one = await json<StoredFlightView>(fromPg, 'api/flights/field-1/survey-a?limit=1');
    expect(one.results[0]?.footprint).toEqual(surveyResults('field-1', 'survey-a')[0]?.footprint);
    expect((await http(`${fromPg.url}api/flights/field-1/nope`)).status).toBe(404);

    await postgis.stop();
    const down = await http(`${fromPg.url}api/flights/field-1/survey-a`);
    expect(down.status).toBe(503);
    expect((down.json as { error: string }).error).toMatch(/^ground store not readable now: PostGIS postgres:\/\/fieldeye@127\.0\.0\.1:\d+\/fieldeye: /);
    // The listing is reused for 2 s, then asked again, and refused the same way.
    await expect.poll(async () => (await http(`${fromPg.url}api/flights`)).status, { timeout: 10_000, interval: 250 }).toBe(503);
  });
});
