// The ground process end to end, for each store: a drone publishes a flight at full speed through a real Mosquitto,
// the ground process is SIGKILLed mid-flight and started again, and every result is stored exactly once; malformed
// messages land in `rejected`, never in `results`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { gdalLayers } from './gdal-layers.js';
import { GROUND_MAIN, killGrounds, publishFlight, startGround, writeGroundConfig } from './ground-harness.js';
import { groundResult, sampleFlight, sampleHealth } from './ground-samples.js';

const RESULTS = 2000;
/** Mosquitto queues at most 1000 messages per offline session by default and drops the rest: a ground broker needs more. */
const BROKER_CONFIG = ['max_queued_messages 1000000'];

let broker: MosquittoBroker;
let postgis: PostgisServer;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-ground-'));
  broker = await startMosquitto({ extraConfig: BROKER_CONFIG });
  postgis = await startPostgis();
});
afterAll(async () => {
  await killGrounds();
  await broker?.stop();
  await postgis?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface StoreUnderTest {
  store: Record<string, string>;
  scalar(sql: string): Promise<number>;
  texts(sql: string): Promise<string[]>;
}

async function geopackage(name: string): Promise<StoreUnderTest> {
  const path = join(dir, `${name}.gpkg`);
  const read = <T>(fn: (db: Database.Database) => T, fallback: T): T => {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch {
      return fallback;
    }
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    store: { url: '', path },
    scalar: (sql) => Promise.resolve(read((db) => Number(db.prepare(sql).pluck().get()), 0)),
    texts: (sql) => Promise.resolve(read((db) => db.prepare(sql).pluck().all() as string[], [])),
  };
}

async function postgisStore(name: string): Promise<StoreUnderTest> {
  const url = await postgis.createDatabase(name);
  const query = async (sql: string): Promise<unknown[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query({ text: sql, rowMode: 'array' })).rows.map((r: unknown[]) => r[0]);
    } catch {
      return []; // the tables do not exist before the ground process made them
    } finally {
      await client.end();
    }
  };
  return { store: { url }, scalar: async (sql) => Number((await query(sql))[0] ?? 0), texts: async (sql) => (await query(sql)) as string[] };
}

/** Messages a test drone sends besides its results: three malformed results, a health report, its flight, its status. */
async function publishOthers(droneId: string, flightId: string): Promise<void> {
  const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  const t = `fieldeye/v1/${droneId}/`;
  await client.publishAsync(`${t}result`, '{"not": json', { qos: 1 });
  await client.publishAsync(`${t}result`, JSON.stringify({ ...groundResult(droneId, flightId, 5), seq: -1 }), { qos: 1 });
  await client.publishAsync(`${t}result`, JSON.stringify(groundResult('someone-else', flightId, 6)), { qos: 1 });
  await client.publishAsync(`${t}health`, JSON.stringify(sampleHealth(droneId, flightId, '2013-06-04T13:41:00.000Z')), { qos: 1 });
  await client.publishAsync(`${t}flight`, JSON.stringify(sampleFlight(droneId, flightId)), { qos: 1, retain: true });
  await client.publishAsync(`${t}status`, 'online', { qos: 1, retain: true });
  await client.endAsync();
}

describe.each([
  ['GeoPackage', geopackage],
  ['PostGIS', postgisStore],
])('fieldeye ground into %s', (kind, makeStore) => {
  test('SIGKILL mid-flight and a restart: every result stored exactly once, malformed ones only in rejected', async () => {
    const name = `kill_${kind.toLowerCase()}`;
    const sut = await makeStore(name);
    const config = await writeGroundConfig(join(dir, `${name}.yaml`), {
      broker: { url: broker.url, clientId: `ground-${name}` },
      store: sut.store,
      batch: { maxMessages: 200, maxDelayMs: 50 },
      trackRebuildMs: 300,
      statsIntervalS: 0,
    });
    let ground = await startGround(config);
    const drone = 'drone-k';
    const publisher = await publishFlight(broker.url, drone, 'flight-1', RESULTS);
    await publishOthers(drone, 'flight-1');
    const stored = (): Promise<number> => sut.scalar('SELECT count(*) FROM results');
    for (let n = await stored(); n < 300; n = await stored()) await new Promise((r) => setTimeout(r, 20));
    await ground.kill();
    const beforeRestart = await stored();
    expect(beforeRestart).toBeLessThan(RESULTS); // killed mid-flight, or the test proves nothing

    ground = await startGround(config);
    await publisher.done;
    await publisher.close();
    // Bounded, so a lost result fails on the count below rather than on the test's timeout.
    const deadline = Date.now() + 30_000;
    for (let n = await stored(); n < RESULTS && Date.now() < deadline; n = await stored()) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // anything past RESULTS (a double) would show up now
    expect(await ground.stop()).toBe(0);
    const stopped = ground.lines().find((l) => l.msg === 'ground: stopped') as { counts: Record<string, number> } | undefined;

    expect(await stored()).toBe(RESULTS);
    expect(await sut.scalar(`SELECT count(DISTINCT seq) FROM results WHERE drone_id = '${drone}' AND flight_id = 'flight-1'`)).toBe(RESULTS);
    expect(await sut.scalar('SELECT min(seq) FROM results')).toBe(0);
    expect(await sut.scalar('SELECT max(seq) FROM results')).toBe(RESULTS - 1);
    // The second run stored exactly what the first had not committed; copies it was sent again were counted, not written.
    expect(stopped?.counts.resultsStored).toBe(RESULTS - beforeRestart);
    const reasons = await sut.texts('SELECT reason FROM rejected ORDER BY reason');
    expect(reasons).toHaveLength(3);
    expect(reasons.join('\n')).toMatch(/result: not JSON/);
    expect(reasons.join('\n')).toMatch(/result: does not match the result schema: seq: /);
    expect(reasons.join('\n')).toMatch(/droneId "someone-else" in the payload is not the topic's drone "drone-k"/);
    expect(await sut.scalar("SELECT count(*) FROM results WHERE drone_id = 'someone-else' OR seq < 0")).toBe(0);
    expect(await sut.scalar('SELECT count(*) FROM health')).toBe(1);
    expect(await sut.scalar('SELECT count(*) FROM flights')).toBe(1);
    expect(await sut.scalar("SELECT count(*) FROM drone_status WHERE status = 'online'")).toBe(1);
    const positioned = Array.from({ length: RESULTS }, (_, seq) => seq).filter((seq) => seq % 3 !== 2).length;
    expect(await sut.scalar('SELECT points FROM flight_tracks')).toBe(positioned);
    expect(await sut.scalar('SELECT sum(results) FROM class_cells')).toBe(positioned);
    if (kind === 'GeoPackage') {
      const { layers } = await gdalLayers(sut.store.path ?? '');
      expect(layers.results).toEqual({ geometry: 'Point', features: RESULTS, epsg: 4326 });
      expect(layers.flight_tracks).toEqual({ geometry: 'Line String', features: 1, epsg: 4326 });
    }
  });
});

test('a broker that refuses the credentials is a configuration fault: exit 78, the key named, the password not', async () => {
  const passwords = join(dir, 'no-users');
  await writeFile(passwords, ''); // nobody may log in
  const locked = await startMosquitto({ allowAnonymous: false, extraConfig: [`password_file ${passwords}`] });
  try {
    const config = await writeGroundConfig(join(dir, 'refused.yaml'), {
      broker: { url: locked.url, clientId: 'ground-refused', username: 'ground', passwordEnv: 'GROUND_TEST_PASSWORD' },
      store: { path: join(dir, 'refused.gpkg') },
    });
    const outcome = await promisify(execFile)(process.execPath, [GROUND_MAIN, '--config', config], {
      env: { ...process.env, GROUND_TEST_PASSWORD: 'hunter2' },
      timeout: 30_000,
    }).then(
      () => ({ code: 0, out: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
    );
    expect(outcome.code).toBe(78);
    expect(outcome.out).toMatch(/broker: mqtt:\/\/127\.0\.0\.1:\d+ refused the connection .*check broker\.username, the password and broker\.clientId/);
    expect(outcome.out).not.toContain('hunter2');
  } finally {
    await locked.stop();
  }
});
