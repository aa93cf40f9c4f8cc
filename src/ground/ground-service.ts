// The ground station's store process, composed: the store, one MQTT 5 client with a persistent session subscribed at
// QoS 1 to every drone's topics (optionally as one worker of a shared subscription), and the batch committer between them.
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { BatchCommitter, type GroundCounts } from './batch-committer.js';
import { decodeMessage } from './decode-message.js';
import { DeferredPubacks } from './deferred-puback.js';
import type { GroundConfig } from './ground-config.js';
import { groundTopics, type GroundTopics } from './ground-topics.js';
import { openGroundStore } from './open-ground-store.js';
import type { GroundStore } from './ground-store.js';

/** MQTT 5 CONNACK / SUBACK reason codes that no retry can cure: bad credentials, not authorised, client id refused. */
const FATAL_REASON_CODES = new Set([133, 134, 135, 138, 140]);

export interface GroundService {
  /** The subscription filter, e.g. $share/ground/fieldeye/v1/+/#. */
  readonly filter: string;
  readonly store: GroundStore;
  counts(): GroundCounts & { backlog: number; awaitingCommit: number };
  /** Settles when the broker refuses us for good (credentials, ACL): a configuration fault. */
  readonly fatal: Promise<Error>;
  /** Settles at the first subscription the broker granted: from then on nothing published is missed. */
  readonly subscribed: Promise<void>;
  /** Commits what came, sends its acknowledgements, disconnects (the session stays with the broker), closes the store. */
  stop(): Promise<void>;
}

export interface GroundServiceOptions {
  config: GroundConfig;
  password: string | undefined;
  logger: Logger;
  /** An already opened store (tests, embedding); default: the one config.store names. */
  store?: GroundStore;
}

function subscriptionFilter(config: GroundConfig): { filter: string; layout: GroundTopics } {
  const layout = groundTopics(config.broker.topicPrefix);
  const group = config.broker.sharedGroup;
  return { filter: group === '' ? layout.filter : `$share/${group}/${layout.filter}`, layout };
}

function clientOptions(config: GroundConfig, password: string | undefined): IClientOptions {
  const b = config.broker;
  const file = (key: string, path: string): Buffer | undefined => {
    if (path === '') return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(`broker.tls.${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  const ca = file('caFile', b.tls.caFile);
  const cert = file('certFile', b.tls.certFile);
  const key = file('keyFile', b.tls.keyFile);
  return {
    protocolVersion: 5,
    clientId: b.clientId,
    // A persistent session: while this process is down (or restarting after a crash) the broker queues the
    // drones' results for it and keeps the ones it had sent but that were never acknowledged.
    clean: false,
    properties: {
      sessionExpiryInterval: b.sessionExpiryS,
      // How many unacknowledged messages the broker may have out with us: room for a batch being committed and
      // the next one filling. Mosquitto otherwise allows 20, which would cap every batch at 20 messages.
      receiveMaximum: Math.min(65_535, config.batch.maxMessages * 2),
    },
    resubscribe: false,
    reconnectPeriod: b.reconnectMs,
    connectTimeout: b.connectTimeoutMs,
    keepalive: b.keepaliveS,
    ...(b.username !== '' ? { username: b.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    rejectUnauthorized: true,
  };
}

export async function startGroundService(options: GroundServiceOptions): Promise<GroundService> {
  const { config, logger } = options;
  const { filter, layout } = subscriptionFilter(config);
  const mqttOptions = clientOptions(config, options.password);
  const store = options.store ?? (await openGroundStore(config, logger));
  const client: MqttClient = connect(config.broker.url, mqttOptions);
  const pubacks = new DeferredPubacks(client);
  const committer = new BatchCommitter({
    store,
    maxMessages: config.batch.maxMessages,
    maxDelayMs: config.batch.maxDelayMs,
    trackRebuildMs: config.trackRebuildMs,
    classMapCellM: config.classMapCellM,
    maxBacklog: config.batch.maxMessages * 2,
    release: (acks) => pubacks.release(acks),
    logger,
  });
  const decode = { layout, excerptChars: config.rejectedExcerptChars };
  // Attached before the first CONNACK: a persistent session's queued messages arrive right after it.
  client.on('message', (topic, payload, packet) => {
    committer.add({ record: decodeMessage(decode, topic, payload, new Date().toISOString()), ack: pubacks.token(packet) });
  });
  // mqtt.js's documented backpressure hook: it reads the next packet only when this calls back.
  client.handleMessage = (_packet, callback) => committer.admit(() => callback());
  const broker = redactUrl(config.broker.url);
  let onFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (onFatal = resolve));
  let onSubscribed: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
  client.on('connect', (connack) => {
    logger.info({ broker, clientId: config.broker.clientId, sessionPresent: connack.sessionPresent }, 'ground: connected');
    client.subscribe(filter, { qos: 1 }, (error, granted) => {
      const refused = granted?.find((g) => g.qos > 2);
      if (error || refused) {
        const detail = error ? error.message : `reason code ${String(refused?.qos)}`;
        onFatal(new ConfigError(`broker: subscription to ${filter} refused by ${broker} (${detail}); check the broker's ACL for this user`));
        return;
      }
      logger.info({ broker, filter, store: store.description }, 'ground: subscribed');
      onSubscribed();
    });
  });
  client.on('error', (error) => {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' && FATAL_REASON_CODES.has(code)) {
      onFatal(
        new ConfigError(
          `broker: ${broker} refused the connection (${error.message}, reason code ${code}); check broker.username, the password and broker.clientId`,
        ),
      );
    } else {
      logger.warn({ broker, err: error.message }, 'ground: broker link error; reconnecting');
    }
  });
  client.on('close', () => logger.debug({ broker }, 'ground: broker connection closed'));
  return {
    filter,
    store,
    fatal,
    subscribed,
    counts: () => ({ ...committer.counts, backlog: committer.backlog, awaitingCommit: pubacks.waiting }),
    stop: async () => {
      await committer.close();
      await client.endAsync(false).catch(() => undefined);
      await store.close();
    },
  };
}
