// OutboxMqttSink against a real Mosquitto: write() returns while the link is down, a full outbox drops the oldest (counted, logged), the rest arrives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttLink } from '../../src/publish/mqtt-link.js';
import { OutboxMqttSink } from '../../src/publish/outbox-mqtt-sink.js';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { sampleResult } from './sample-result.js';

let broker: MosquittoBroker;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'fieldeye-outbox-sink-'));
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OutboxMqttSink', () => {
  it('outbox full while the link is down: the oldest are dropped, counted and logged, the newest arrive once the link is back', async () => {
    const chunks: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk.toString('utf8'));
          callback();
        },
      }),
    );
    const proxy = await startTcpProxy(broker.port);
    const prefix = `fieldeye/v1/full-${process.pid}/`;
    const collector = await startCollector(broker.url, `${prefix}result`);
    const mqtt = await MqttLink.connect(
      {
        url: proxy.url,
        protocolVersion: 5,
        clientId: `full-${process.pid}`,
        topicPrefix: prefix,
        connectTimeoutMs: 5_000,
        keepaliveS: 1,
        reconnectMinMs: 100,
        reconnectMaxMs: 300,
      },
      logger,
    );
    const sink = OutboxMqttSink.open(
      mqtt,
      { outbox: { path: join(dir, 'full.sqlite'), maxMessages: 10, maxAgeS: 0, inflightWindow: 4, drainTimeoutMs: 10_000 } },
      logger,
    );
    proxy.setPaused(true);
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sink.linkUp).toBe(false);

    // Every write resolves (durable in the outbox) although nothing can reach the broker.
    await Promise.all(Array.from({ length: 30 }, (_, seq) => sink.write(sampleResult(seq))));
    expect(sink.stats()).toMatchObject({ depth: 10, droppedFull: 20 });
    const log = chunks.join('');
    expect(log).toContain('outbox: dropped the oldest results (outbox full or too old)');
    expect(log).toContain('"droppedFull":20');

    proxy.setPaused(false);
    const arrived = await collector.waitFor(11, 5_000);
    await sink.close();
    await collector.close();
    await proxy.close();
    const seqs = arrived.map((m) => ResultSchema.parse(JSON.parse(m.text)).seq);
    expect([...new Set(seqs)]).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect(sink.stats()).toMatchObject({ depth: 0, delivered: 10 });
  });
});
