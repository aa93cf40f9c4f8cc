// A database restart is a pause, not a loss: PostgreSQL is restarted under a running ground process while a drone
// publishes at full speed; failed batches are retried and never acknowledged, and every result is stored once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { killGrounds, publishFlight, startGround, writeGroundConfig } from './ground-harness.js';

const RESULTS = 3000;
let broker: MosquittoBroker;
let postgis: PostgisServer;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-db-restart-'));
  broker = await startMosquitto({ extraConfig: ['max_queued_messages 1000000'] });
  postgis = await startPostgis();
});
afterAll(async () => {
  await killGrounds();
  await broker?.stop();
  await postgis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function stored(): Promise<number> {
  const client = new pg.Client({ connectionString: postgis.url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return Number((await client.query({ text: 'SELECT count(*) FROM results', rowMode: 'array' })).rows[0]?.[0] ?? 0);
  } catch {
    return -1; // down, or the tables are not there yet
  } finally {
    await client.end().catch(() => undefined);
  }
}

test('PostgreSQL restarted mid-flight: batches are retried, every result stored exactly once', async () => {
  const config = await writeGroundConfig(join(dir, 'ground.yaml'), {
    broker: { url: broker.url, clientId: 'ground-db-restart' },
    store: { url: postgis.url },
    batch: { maxMessages: 100, maxDelayMs: 20 },
    statsIntervalS: 0,
  });
  const ground = await startGround(config);
  const drone = await publishFlight(broker.url, 'drone-r', 'flight-1', RESULTS);
  for (let n = await stored(); n < 500; n = await stored()) await new Promise((r) => setTimeout(r, 20));
  await postgis.restart();
  await drone.done;
  await drone.close();
  const deadline = Date.now() + 60_000;
  for (let n = await stored(); n < RESULTS && Date.now() < deadline; n = await stored()) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500)); // a double would show up now
  expect(await ground.stop()).toBe(0);
  expect(await stored()).toBe(RESULTS);
  const stopped = ground.lines().find((l) => l.msg === 'ground: stopped') as { counts: Record<string, number> } | undefined;
  expect(stopped?.counts.resultsStored).toBe(RESULTS);
});
