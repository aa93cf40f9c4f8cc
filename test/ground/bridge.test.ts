// The fleet layout in small: a drone publishes to a field Mosquitto bridged (QoS 1) to a central Mosquitto, where the
// ground process stores; the ground process is SIGKILLed and restarted mid-flight, and every result is stored once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { until } from '../support/until.js';
import { killGrounds, publishFlight, startGround, writeGroundConfig } from './ground-harness.js';

const RESULTS = 1500;
let central: MosquittoBroker;
let field: MosquittoBroker;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-bridge-'));
  central = await startMosquitto({ extraConfig: ['max_queued_messages 1000000'] });
  field = await startMosquitto({
    extraConfig: [
      'max_queued_messages 1000000',
      'connection central',
      `address 127.0.0.1:${central.port}`,
      'bridge_protocol_version mqttv311',
      'cleansession false',
      'remote_clientid field-station-1',
      'topic fieldeye/v1/# out 1',
    ],
  });
  // The bridge is up when a message published on the field broker reaches the central one.
  const probe = await connectAsync(central.url, { protocolVersion: 5, reconnectPeriod: 0 });
  let arrived = false;
  probe.on('message', () => (arrived = true));
  await probe.subscribeAsync('fieldeye/v1/bridge-probe/status', { qos: 1 });
  const sender = await connectAsync(field.url, { protocolVersion: 5, reconnectPeriod: 0 });
  await until(
    'the field-to-central bridge',
    () => {
      void sender.publishAsync('fieldeye/v1/bridge-probe/status', 'online', { qos: 1 });
      return arrived;
    },
    20_000,
  );
  await sender.endAsync();
  await probe.endAsync();
});
afterAll(async () => {
  await killGrounds();
  await field?.stop();
  await central?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('drone -> field broker -> bridge -> central broker -> ground: SIGKILL and restart, every result once', async () => {
  const path = join(dir, 'central.gpkg');
  const config = await writeGroundConfig(join(dir, 'ground.yaml'), {
    broker: { url: central.url, clientId: 'ground-central' },
    store: { path },
    batch: { maxMessages: 200, maxDelayMs: 50 },
    statsIntervalS: 0,
  });
  const count = (): number => {
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        return Number(db.prepare("SELECT count(*) FROM results WHERE drone_id = 'drone-field'").pluck().get());
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  };
  let ground = await startGround(config);
  const drone = await publishFlight(field.url, 'drone-field', 'flight-1', RESULTS);
  await until('a few hundred results stored', () => count() >= 300, 30_000);
  await ground.kill();
  expect(count()).toBeLessThan(RESULTS); // killed mid-flight, or the test proves nothing
  ground = await startGround(config);
  await drone.done;
  await drone.close();
  await until(`${RESULTS} results stored`, () => count() >= RESULTS, 60_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500)); // a double would show up now
  expect(await ground.stop()).toBe(0);
  expect(count()).toBe(RESULTS);
  const db = new Database(path, { readonly: true });
  expect(db.prepare("SELECT count(DISTINCT seq) FROM results WHERE drone_id = 'drone-field'").pluck().get()).toBe(RESULTS);
  db.close();
});
