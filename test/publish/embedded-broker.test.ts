// The embedded aedes broker: loopback only, MQTT 3.1.1 end to end with MqttLink, and a clear error for MQTT 5 clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/platform/logger.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/publish/embedded-broker.js';
import { MqttLink } from '../../src/publish/mqtt-link.js';
import type { MqttLinkOptions } from '../../src/publish/mqtt-link-options.js';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { collectMessages, startCollector } from '../support/mqtt-collector.js';
import { sampleResult } from './sample-result.js';

let broker: EmbeddedBroker;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 }, silentLogger);
});
afterAll(async () => {
  await broker?.close();
});

function options(drone: string, extra: Partial<MqttLinkOptions> = {}): MqttLinkOptions {
  return {
    url: broker.url,
    protocolVersion: 4,
    clientId: `fieldeye-${drone}`,
    topicPrefix: `fieldeye/v1/${drone}/`,
    connectTimeoutMs: 5_000,
    keepaliveS: 30,
    ...extra,
  };
}

describe('startEmbeddedBroker', () => {
  it('listens on a free loopback port when asked for port 0', () => {
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
  });

  it('refuses any host but loopback, saying what to use instead', async () => {
    const host = '0.0.0.0' as '127.0.0.1';
    await expect(startEmbeddedBroker({ host, port: 0 }, silentLogger)).rejects.toThrow(
      'embedded broker: host must be 127.0.0.1 (received 0.0.0.0); it has no authentication, so expose a real broker (Mosquitto) instead',
    );
  });

  it('names the port when it is taken', async () => {
    await expect(startEmbeddedBroker({ host: '127.0.0.1', port: broker.port }, silentLogger)).rejects.toThrow(
      `embedded broker: cannot listen on 127.0.0.1:${broker.port} (EADDRINUSE); choose another port or use 0 for any free port`,
    );
  });

  it('close() is idempotent', async () => {
    const other = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 }, silentLogger);
    await Promise.all([other.close(), other.close()]);
  });
});

describe('MqttLink over MQTT 3.1.1 with the embedded broker', () => {
  it('delivers every result with QoS 1, keeps the retained status, and goes offline on close', async () => {
    const opts = options('drone-aedes');
    const results = await startCollector(broker.url, `${opts.topicPrefix}result`, { protocolVersion: 4 });
    const sink = await MqttLink.connect(opts, silentLogger);

    const online = await collectMessages(broker.url, `${opts.topicPrefix}status`, 1, 2_000, { protocolVersion: 4 });
    expect(online.map((m) => [m.text, m.retain])).toEqual([['online', true]]);

    await Promise.all([0, 1, 2, 3, 4, 5].map((seq) => sink.publishResult(sampleResult(seq))));
    const messages = await results.waitFor(7, 1_000);
    expect(messages).toHaveLength(6);
    expect(messages.every((m) => m.qos === 1 && m.topic === `${opts.topicPrefix}result`)).toBe(true);
    expect(messages.map((m) => ResultSchema.parse(JSON.parse(m.text)).seq).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);

    await sink.close();
    await results.close();
    const offline = await collectMessages(broker.url, `${opts.topicPrefix}status`, 1, 2_000, { protocolVersion: 4 });
    expect(offline.map((m) => [m.text, m.retain])).toEqual([['offline', true]]);
  });

  it('tells an MQTT 5 client to use protocolVersion 4', async () => {
    await expect(MqttLink.connect(options('drone-v5', { protocolVersion: 5 }), silentLogger)).rejects.toThrow(
      `mqtt: broker ${broker.url} refused the connection: Unacceptable protocol version (code 1); set sinks.mqtt.protocolVersion to 4`,
    );
  });
});
