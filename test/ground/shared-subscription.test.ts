// Scale-out: two ground workers in one MQTT 5 shared subscription ($share/<group>/...) on a real Mosquitto write into
// one PostGIS while three drones publish at full speed; one worker is SIGKILLed and restarted mid-run, and every
// (droneId, flightId, seq) is stored exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { killGrounds, publishFlight, startGround, writeGroundConfig, type GroundChild } from './ground-harness.js';

const DRONES = ['drone-a', 'drone-b', 'drone-c'];
const PER_DRONE = 1500;

let broker: MosquittoBroker;
let postgis: PostgisServer;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-shared-'));
  broker = await startMosquitto({ extraConfig: ['max_queued_messages 1000000'] });
  postgis = await startPostgis();
});
afterAll(async () => {
  await killGrounds();
  await broker?.stop();
  await postgis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function scalar(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query({ text: sql, rowMode: 'array' })).rows[0]?.[0] ?? 0);
  } catch {
    return 0;
  } finally {
    await client.end();
  }
}

test('two workers share the drones; one killed and restarted mid-run; every result stored exactly once', async () => {
  const url = await postgis.createDatabase('shared');
  const config = (worker: string): Promise<string> =>
    writeGroundConfig(join(dir, `${worker}.yaml`), {
      broker: { url: broker.url, clientId: `ground-${worker}`, sharedGroup: 'ground' },
      store: { url },
      batch: { maxMessages: 200, maxDelayMs: 50 },
      statsIntervalS: 0,
    });
  const [one, two] = [await config('w1'), await config('w2')];
  const workers: GroundChild[] = [await startGround(one), await startGround(two)];
  const total = DRONES.length * PER_DRONE;
  const publishers = await Promise.all(DRONES.map((d) => publishFlight(broker.url, d, 'flight-1', PER_DRONE)));
  const stored = (): Promise<number> => scalar(url, 'SELECT count(*) FROM results');
  for (let n = await stored(); n < total / 4; n = await stored()) await new Promise((r) => setTimeout(r, 20));
  await workers[0]?.kill();
  expect(await stored()).toBeLessThan(total); // killed mid-run
  workers[0] = await startGround(one);
  await Promise.all(publishers.map((p) => p.done));
  await Promise.all(publishers.map((p) => p.close()));
  const deadline = Date.now() + 60_000;
  for (let n = await stored(); n < total && Date.now() < deadline; n = await stored()) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500)); // a double would show up now
  const codes = await Promise.all(workers.map((w) => w.stop()));
  expect(codes).toEqual([0, 0]);

  expect(await stored()).toBe(total);
  expect(await scalar(url, 'SELECT count(*) FROM (SELECT DISTINCT drone_id, flight_id, seq FROM results) k')).toBe(total);
  for (const drone of DRONES) {
    expect(await scalar(url, `SELECT count(*) FROM results WHERE drone_id = '${drone}' AND seq BETWEEN 0 AND ${PER_DRONE - 1}`)).toBe(PER_DRONE);
  }
  // Both workers took part: the broker split the messages between them.
  const storedBy = workers.map((w) => (w.lines().find((l) => l.msg === 'ground: stopped') as { counts: { received: number } }).counts.received);
  expect(storedBy.every((n) => n > 0)).toBe(true);
});
