// The Mosquitto test helper itself: persists into its dir, restarts on the same port and dir, and always stops.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startMosquitto } from './mosquitto.js';
import { collectMessages } from './mqtt-collector.js';

describe('startMosquitto', () => {
  it('removes its own temp dir on stop', async () => {
    const broker = await startMosquitto();
    await access(join(broker.dir, 'mosquitto.conf'));
    await broker.stop();
    await expect(access(broker.dir)).rejects.toThrow(/ENOENT/);
  });

  it('restarts with persisted state when given the same dir and port, and keeps a dir it was given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fieldeye-mosquitto-keep-'));
    try {
      const first = await startMosquitto({ dir });
      const client = await connectAsync(first.url, { protocolVersion: 5, reconnectPeriod: 0 });
      await client.publishAsync('t/retained', 'survives restart', { qos: 1, retain: true });
      await client.endAsync();
      await first.stop();
      // Written on clean shutdown: proves the broker could write into the dir (the `user root` case).
      await access(join(dir, 'mosquitto.db'));

      const second = await startMosquitto({ dir, port: first.port });
      expect(second.url).toBe(first.url);
      const retained = await collectMessages(second.url, 't/retained', 1, 2_000);
      await second.stop();
      expect(retained.map((m) => m.text)).toEqual(['survives restart']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops a broker right after it started (SIGTERM can be ignored then)', async () => {
    for (let i = 0; i < 5; i += 1) {
      const broker = await startMosquitto();
      await broker.stop();
      expect(() => process.kill(broker.pid, 0)).toThrow(/ESRCH/);
    }
  });
});
