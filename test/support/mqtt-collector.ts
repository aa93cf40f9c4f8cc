// Test helper: subscribes to a topic filter on a real broker and collects what arrives, until a count or a timeout.
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

export type QoS = 0 | 1 | 2;

export interface CollectedMessage {
  topic: string;
  payload: Buffer;
  /** payload as UTF-8 */
  text: string;
  /** QoS of the delivery (the lower of publish QoS and subscription QoS). */
  qos: QoS;
  /** true for a retained message delivered on subscribe (or any retained message when `rap` is set). */
  retain: boolean;
  dup: boolean;
  /** MQTT 5 publish properties as received (contentType, payloadFormatIndicator, ...). */
  properties: Record<string, unknown> | undefined;
}

export interface CollectorOptions {
  /** Default 5; use 4 against aedes. */
  protocolVersion?: 4 | 5;
  /** Subscription QoS; default 1 so a QoS 1 publish arrives as QoS 1. */
  qos?: QoS;
  /** MQTT 5 "retain as published": live messages keep their retain flag. Default false. */
  rap?: boolean;
  /** Anything else for mqtt.connect (username, password, clientId...). */
  clientOptions?: IClientOptions;
}

export interface MqttCollector {
  /** Everything received so far, in arrival order. */
  readonly messages: readonly CollectedMessage[];
  /**
   * Resolves with all messages received once at least `count` have arrived, or, when `timeoutMs`
   * passes first, with what has arrived (so a test can assert "exactly N" or "none" and see the rest).
   */
  waitFor(count: number, timeoutMs: number): Promise<CollectedMessage[]>;
  close(): Promise<void>;
}

/** Subscribe first, then act: the collector is ready (SUBACK received) when this resolves. */
export async function startCollector(url: string, topicFilter: string, options: CollectorOptions = {}): Promise<MqttCollector> {
  const client: MqttClient = await connectAsync(url, {
    protocolVersion: options.protocolVersion ?? 5,
    clientId: `fieldeye-test-collector-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options.clientOptions,
  });
  const messages: CollectedMessage[] = [];
  const waiters = new Set<() => void>();
  // Attached before subscribing: retained messages arrive right after SUBACK.
  client.on('message', (topic, payload, packet) => {
    messages.push({
      topic,
      payload,
      text: payload.toString('utf8'),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      properties: packet.properties as Record<string, unknown> | undefined,
    });
    for (const wake of waiters) wake();
  });
  const granted = await client.subscribeAsync(topicFilter, {
    qos: options.qos ?? 1,
    ...(options.rap === true ? { rap: true } : {}),
  });
  const grant = granted[0];
  if (grant === undefined || grant.qos > 2) {
    await client.endAsync(true);
    throw new Error(`startCollector: subscription to ${topicFilter} on ${url} was refused (${JSON.stringify(granted)})`);
  }

  return {
    messages,
    waitFor: (count, timeoutMs) =>
      new Promise<CollectedMessage[]>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...messages]);
        };
        const check = (): void => {
          if (messages.length >= count) done();
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      await client.endAsync(true);
    },
  };
}

/** One-shot: subscribe, wait for `count` messages or `timeoutMs`, disconnect, return what arrived. */
export async function collectMessages(
  url: string,
  topicFilter: string,
  count: number,
  timeoutMs: number,
  options: CollectorOptions = {},
): Promise<CollectedMessage[]> {
  const collector = await startCollector(url, topicFilter, options);
  try {
    return await collector.waitFor(count, timeoutMs);
  } finally {
    await collector.close();
  }
}
