// The ground process holds a bounded number of uncommitted messages whatever the broker sends: while the store is busy,
// mqtt.js stops reading (its handleMessage backpressure) and the rest waits at the broker. Mosquitto 2.0.11 alone does
// not bound it: it overshoots the Receive Maximum as soon as PUBACKs come back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import { parseGroundConfig } from '../../src/ground/ground-config.js';
import { startGroundService } from '../../src/ground/ground-service.js';
import type { GroundStore } from '../../src/ground/ground-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { until } from '../support/until.js';
import { publishFlight } from './ground-harness.js';

let broker: MosquittoBroker;
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-backpressure-'));
  broker = await startMosquitto({ extraConfig: ['max_queued_messages 1000000'] });
});
afterAll(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A real store that takes `delayMs` longer per batch (a busy database), so PUBACKs come back slowly but steadily. */
function slow(store: GroundStore, delayMs: number): GroundStore {
  return {
    description: store.description,
    write: async (records) => {
      await new Promise((r) => setTimeout(r, delayMs));
      return await store.write(records);
    },
    rebuildTracks: (flights) => store.rebuildTracks(flights),
    rebuildClassCells: (flights, cellM) => store.rebuildClassCells(flights, cellM),
    close: () => store.close(),
  };
}

test('a slow store holds the broker back: uncommitted messages in memory stay bounded, and all are stored once', async () => {
  const maxMessages = 50;
  const config = parseGroundConfig({ broker: { url: broker.url, clientId: 'ground-backpressure' }, batch: { maxMessages, maxDelayMs: 10 } }, 'test');
  const store = slow(GeoPackageGroundStore.open(join(dir, 'bp.gpkg')), 30);
  const service = await startGroundService({ config, password: undefined, logger: silentLogger, store });
  await service.subscribed;
  let most = 0;
  const sampler = setInterval(() => {
    const c = service.counts();
    most = Math.max(most, c.received - c.resultsStored);
  }, 1);
  const publisher = await publishFlight(broker.url, 'drone-bp', 'f1', 3000);
  await publisher.done;
  await publisher.close();
  await until('3000 results stored', () => service.counts().resultsStored === 3000, 60_000);
  clearInterval(sampler);
  await service.stop();
  // One batch in its write plus at most 2 x maxMessages waiting for the next one.
  expect(most).toBeLessThanOrEqual(3 * maxMessages + 1);
  expect(service.counts()).toMatchObject({ received: 3000, resultsStored: 3000, resultsDuplicate: 0, backlog: 0 });
});
