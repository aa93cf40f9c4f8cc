// Pins the mechanism the ground store's "nothing lost" rests on, against a real Mosquitto: mqtt.js keeps reading while
// PUBACKs are held, only released PUBACKs reach the broker, and a held one makes the broker deliver the message again.
import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DeferredPubacks, type AckToken } from '../../src/ground/deferred-puback.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { until } from '../support/until.js';

let broker: MosquittoBroker;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

const session: IClientOptions = {
  protocolVersion: 5,
  clientId: 'deferred-puback-test',
  clean: false,
  properties: { sessionExpiryInterval: 60, receiveMaximum: 100 },
  reconnectPeriod: 0,
};

interface Received {
  payload: string;
  token: AckToken | null;
}

async function subscriber(): Promise<{ client: MqttClient; pubacks: DeferredPubacks; received: Received[] }> {
  // Not connected yet: the handlers must be in place before a persistent session's messages arrive.
  const client = connect(broker.url, { ...session, manualConnect: true });
  const pubacks = new DeferredPubacks(client);
  const received: Received[] = [];
  client.on('message', (_topic, payload, packet) => received.push({ payload: payload.toString(), token: pubacks.token(packet) }));
  client.connect();
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync('deferred/#', { qos: 1 });
  return { client, pubacks, received };
}

test('held PUBACKs do not stop reading; only released ones reach the broker, the rest are delivered again', async () => {
  const first = await subscriber();
  const publisher = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  for (let i = 0; i < 10; i += 1) await publisher.publishAsync('deferred/x', `m${i}`, { qos: 1 });
  await publisher.endAsync();
  // All ten arrive although none is acknowledged: with mqtt.js's handleMessage only the first would.
  await until('ten messages while every PUBACK is held', () => first.received.length === 10, 10_000);
  expect(first.pubacks.waiting).toBe(10);
  expect(first.pubacks.release(first.received.slice(0, 4).map((r) => r.token))).toBe(4);
  expect(first.pubacks.waiting).toBe(6);
  // The broker handles a connection's packets in order: once it answers a SUBSCRIBE sent after them, it has the PUBACKs.
  await first.client.subscribeAsync('deferred-sync/none', { qos: 0 });
  // A crash: the socket goes without a DISCONNECT; the held PUBACKs die with it.
  first.client.stream.destroy();
  await first.client.endAsync(true);
  expect(first.pubacks.dropped).toBe(6);
  // A token from the dead connection is never sent on a new one.
  expect(first.pubacks.release(first.received.slice(4).map((r) => r.token))).toBe(0);

  const second = await subscriber();
  await until('the six unacknowledged messages again', () => second.received.length >= 6, 10_000);
  await new Promise((r) => setTimeout(r, 300));
  expect(second.received.map((r) => r.payload)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  second.pubacks.release(second.received.map((r) => r.token));
  await second.client.endAsync();

  const third = await subscriber();
  await new Promise((r) => setTimeout(r, 300));
  expect(third.received).toEqual([]);
  await third.client.endAsync();
});
