// A Sink that publishes each validated result to the ground-station MQTT broker (QoS 1) and keeps a retained online/offline status.
import { connect, ReasonCodes, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { Logger } from '../platform/logger.js';
import { ResultSchema, type Result } from './result-schema.js';
import type { Sink } from './sink.js';

export interface MqttSinkOptions {
  url: string;
  /** 5 for Mosquitto and other modern brokers; 4 (MQTT 3.1.1) for the embedded aedes broker. */
  protocolVersion: 4 | 5;
  clientId: string;
  /** Ends with '/', e.g. 'fieldeye/v1/drone-1/'; topics are `<prefix>result` and `<prefix>status`. */
  topicPrefix: string;
  username?: string;
  password?: string;
  connectTimeoutMs: number;
  keepaliveS: number;
  /** Upper bound for close(): pending PUBACKs, the `offline` status and DISCONNECT. Default 3000 ms. */
  closeTimeoutMs?: number;
  /** For mqtts:// and wss://: the CA that signed the broker's certificate, and an optional client certificate + key (PEM). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** 0 = clean session; > 0 = the broker keeps this client's session that long after a disconnect (MQTT 5 session expiry). */
  sessionExpiryS?: number;
  /** Reconnect delays after a link loss: exponential from min to max, with jitter. Default 1000 / 30000 ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 3_000;
const DEFAULT_RECONNECT_MIN_MS = 1_000;
const DEFAULT_RECONNECT_MAX_MS = 30_000;

/**
 * Delay before reconnect attempt `attempt` (0-based): doubles from min up to max, then a random 50-100 %
 * of that, so a fleet that lost the same broker does not come back in lockstep.
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(Math.max(minMs, maxMs), minMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}

/** How a queued publish ended (see OutboxForwarder): acknowledged, refused by the broker, or never answered. */
export type MqttPublishOutcome = 'acked' | 'refused' | 'unacknowledged';

export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly resultTopic: string;
  readonly statusTopic: string;
  readonly #client: MqttClient;
  readonly #options: MqttSinkOptions;
  readonly #logger: Logger;
  readonly #safeUrl: string;
  readonly #pending = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #reconnectAttempt = 0;

  private constructor(client: MqttClient, options: MqttSinkOptions, logger: Logger) {
    this.#client = client;
    this.#options = options;
    this.#logger = logger;
    this.#safeUrl = redactUrl(options.url);
    this.resultTopic = `${options.topicPrefix}result`;
    this.statusTopic = `${options.topicPrefix}status`;
  }

  /**
   * Connects, publishes the retained `online` status and resolves once the broker has acknowledged it.
   * Rejects with an error naming the broker URL, the cause and what to change when the first connection fails;
   * later link losses are logged and retried in the background.
   */
  static async connect(options: MqttSinkOptions, logger: Logger): Promise<MqttSink> {
    validateOptions(options);
    const safeUrl = redactUrl(options.url);
    const statusTopic = `${options.topicPrefix}status`;
    const sessionExpiryS = options.sessionExpiryS ?? 0;
    const clientOptions: IClientOptions = {
      protocolVersion: options.protocolVersion,
      clientId: options.clientId,
      clean: sessionExpiryS === 0,
      ...(options.protocolVersion === 5 && sessionExpiryS > 0 ? { properties: { sessionExpiryInterval: sessionExpiryS } } : {}),
      keepalive: options.keepaliveS,
      connectTimeout: options.connectTimeoutMs,
      // No reconnect until the first CONNACK: a refused first connection is a startup error for the operator.
      reconnectPeriod: 0,
      resubscribe: false,
      // If the drone drops off the link, the broker tells subscribers on our behalf.
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...credentialOptions(options),
    };
    // Never log clientOptions: it holds the password.
    logger.info(
      { url: safeUrl, clientId: options.clientId, protocolVersion: options.protocolVersion, topicPrefix: options.topicPrefix },
      'mqtt sink: connecting',
    );

    const client = connect(options.url, clientOptions);
    try {
      await waitForFirstConnack(client, options, safeUrl);
    } catch (error) {
      // A late 'error' from the dying connection must not become an uncaught exception.
      client.on('error', () => undefined);
      client.end(true);
      throw error;
    }
    const sink = new MqttSink(client, options, logger);
    client.options.reconnectPeriod = sink.#nextReconnectDelay(0);
    sink.#watchLink();
    // Bounded: a broker that denies the publish may also just drop the connection without an ack (aedes).
    let statusError: unknown;
    const acked = await withTimeout(
      sink.#publishStatus('online').catch((error: unknown) => {
        statusError = error ?? new Error('rejected');
      }),
      options.connectTimeoutMs,
    );
    if (!acked || statusError !== undefined) {
      client.end(true);
      const cause = statusError === undefined ? `no PUBACK within ${options.connectTimeoutMs} ms` : describeError(statusError);
      throw new Error(
        `mqtt: broker ${safeUrl} did not accept the status message on ${statusTopic} (${cause}); ` +
          'check the broker ACL allows this client to publish under sinks.mqtt.topicPrefix',
        { cause: statusError },
      );
    }
    logger.info({ url: safeUrl, resultTopic: sink.resultTopic }, 'mqtt sink: connected, status online');
    return sink;
  }

  /** Validates, publishes with QoS 1 and resolves on PUBACK. A result that fails the schema is never sent. */
  write(result: Result): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new Error(`mqtt: write after close (seq ${seqOf(result)}); this is a bug in the caller`));
    }
    let payload: string;
    try {
      payload = encodeResult(result);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#track(this.#publishResult(this.resultTopic, result.seq, payload));
  }

  /** true while connected to the broker. */
  get linkUp(): boolean {
    return this.#client.connected;
  }

  /**
   * Publishes an already validated result payload from the outbox (QoS 1) and says how it ended; never
   * rejects. While the link is down the message waits in the client and goes out after the reconnect.
   */
  publishQueued(topic: string, seq: number, payload: string): Promise<MqttPublishOutcome> {
    if (this.#closing !== undefined) return Promise.resolve('unacknowledged');
    return this.#publishResult(topic, seq, payload).then(
      () => 'acked' as const,
      (error: unknown) => {
        const refused = typeof ((error as Error).cause as { code?: unknown } | undefined)?.code === 'number';
        if (refused) this.#logger.error({ seq, topic, err: (error as Error).message }, 'mqtt sink: broker refused a result; dropped from the outbox');
        return refused ? ('refused' as const) : ('unacknowledged' as const);
      },
    );
  }

  /** Publishes a JSON document (flight, health) on `<prefix><suffix>`; resolves on PUBACK for QoS 1. */
  publishJson(suffix: string, document: unknown, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const topic = `${this.#options.topicPrefix}${suffix}`;
    return this.#client
      .publishAsync(topic, JSON.stringify(document), { qos: options.qos, retain: options.retain, ...this.#jsonProperties() })
      .then(() => undefined);
  }

  /**
   * Publishes a binary payload (thumbnails) on `<prefix><suffix>` at QoS 0; MQTT 5 user properties carry
   * what a subscriber needs to match it to its result (3.1.1 has none: the topic carries the seq).
   */
  publishBinary(suffix: string, payload: Buffer, userProperties: Record<string, string>): Promise<void> {
    const topic = `${this.#options.topicPrefix}${suffix}`;
    const properties = this.#options.protocolVersion === 5 ? { properties: { contentType: 'image/jpeg', userProperties } } : {};
    return this.#client.publishAsync(topic, payload, { qos: 0, retain: false, ...properties }).then(() => undefined);
  }

  #jsonProperties(): Pick<IClientPublishOptions, 'properties'> {
    return this.#options.protocolVersion === 5 ? { properties: { contentType: 'application/json', payloadFormatIndicator: true } } : {};
  }

  #nextReconnectDelay(attempt: number): number {
    return reconnectDelayMs(
      attempt,
      this.#options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS,
      this.#options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS,
    );
  }

  #publishResult(topic: string, seq: number, payload: string): Promise<void> {
    const publishOptions: IClientPublishOptions = {
      qos: 1,
      ...this.#jsonProperties(),
    };
    return this.#client.publishAsync(topic, payload, publishOptions).then(
      () => undefined,
      (error: unknown) => {
        // A numeric code is the broker's PUBACK reason (MQTT 5); anything else is our side giving up.
        if (typeof (error as { code?: unknown }).code === 'number') {
          throw new Error(
            `mqtt: broker ${this.#safeUrl} refused result seq ${seq} on ${topic} (${describeError(error)}); ` +
              'check the broker ACL for this client',
            { cause: error },
          );
        }
        throw new Error(
          `mqtt: result seq ${seq} was not acknowledged by broker ${this.#safeUrl} (${describeError(error)}); ` +
            'the sink was closed before the link came back',
          { cause: error },
        );
      },
    );
  }

  /**
   * Waits (bounded) for pending PUBACKs, publishes the retained `offline` status, then disconnects
   * gracefully, which also tells the broker not to send the Last Will.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const timeoutMs = this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const remaining = (): number => Math.max(0, deadline - Date.now());
    const pending = this.#pending.size;
    const flushed = await withTimeout(Promise.allSettled([...this.#pending]), remaining());
    if (!flushed) this.#logger.warn({ pending }, 'mqtt sink: closing with results still waiting for PUBACK');

    // Don't let a dead link wait for a reconnect that would only deliver `offline` too late.
    this.#client.options.reconnectPeriod = 0;
    let offlineSent = false;
    if (this.#client.connected) {
      await withTimeout(
        this.#publishStatus('offline').then(
          () => {
            offlineSent = true;
          },
          (error: unknown) => {
            this.#logger.warn({ err: describeError(error) }, 'mqtt sink: could not publish status offline');
          },
        ),
        remaining(),
      );
    }
    // mqtt.js's graceful end waits, without limit, until nothing awaits an ack; with anything still
    // outstanding we end by force, which also rejects those writes ("Connection closed") instead of leaving
    // them pending forever.
    let graceful = offlineSent && this.#pending.size === 0;
    if (graceful) {
      graceful = await withTimeout(this.#client.endAsync(false), remaining());
      // A stalled socket can hold the DISCONNECT; destroying it completes the end() above.
      if (!graceful) this.#client.stream?.destroy();
    } else {
      await this.#client.endAsync(true);
    }
    this.#logger.info(
      { url: this.#safeUrl, offlineSent, graceful },
      offlineSent ? 'mqtt sink closed, status offline' : 'mqtt sink closed without publishing offline (link down)',
    );
  }

  #publishStatus(status: 'online' | 'offline'): Promise<unknown> {
    return this.#client.publishAsync(this.statusTopic, status, { qos: 1, retain: true });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const forget = (): void => {
      this.#pending.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  #watchLink(): void {
    const client = this.#client;
    client.on('error', (error) => {
      this.#logger.warn({ url: this.#safeUrl, err: describeError(error) }, 'mqtt sink: link error');
    });
    client.on('offline', () => {
      if (this.#closing === undefined) this.#logger.warn({ url: this.#safeUrl }, 'mqtt sink: link down, retrying');
    });
    // mqtt.js reads reconnectPeriod when it arms the next attempt, which happens after this event.
    client.on('reconnect', () => {
      if (this.#closing !== undefined) return;
      this.#reconnectAttempt += 1;
      client.options.reconnectPeriod = this.#nextReconnectDelay(this.#reconnectAttempt);
    });
    client.on('connect', () => {
      this.#reconnectAttempt = 0;
      if (this.#closing === undefined) client.options.reconnectPeriod = this.#nextReconnectDelay(0);
      // The broker may have published our Last Will while we were away.
      this.#logger.info({ url: this.#safeUrl }, 'mqtt sink: link up again');
      this.#publishStatus('online').catch((error: unknown) => {
        this.#logger.warn({ err: describeError(error) }, 'mqtt sink: could not republish status online');
      });
    });
  }
}

/** Validates a result and returns the exact JSON text to publish; throws naming the seq and the field when it is not valid. */
export function encodeResult(result: Result): string {
  const parsed = ResultSchema.safeParse(result);
  if (!parsed.success) {
    throw new Error(
      `mqtt: result seq ${seqOf(result)} is not a valid payload, not published: ${formatIssues(parsed.error)}; ` +
        'fix the stage that produced this field (schema: src/publish/result-schema.ts)',
    );
  }
  return JSON.stringify(parsed.data);
}

/** Username, password and TLS material for mqtt.js (also used by the preflight's broker probe). */
export function credentialOptions(options: MqttSinkOptions): IClientOptions {
  return {
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
    ...(options.tls?.cert !== undefined ? { cert: options.tls.cert } : {}),
    ...(options.tls?.key !== undefined ? { key: options.tls.key } : {}),
    // Never accept a broker certificate we cannot verify: the link is a radio anyone can listen to.
    rejectUnauthorized: true,
  };
}

/** Resolves on the first CONNACK; rejects with an error naming the broker, the cause and what to change (also used by the preflight's broker probe). */
export function waitForFirstConnack(client: MqttClient, options: MqttSinkOptions, safeUrl: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const timedOut = (): Error =>
      new Error(
        `mqtt: no answer from broker ${safeUrl} within ${options.connectTimeoutMs} ms (timeout); ` +
          'check sinks.mqtt.url (host, port, mqtt:// or mqtts://) and the network link to it',
      );
    const onError = (error: Error): void => {
      // mqtt.js runs the same timer for CONNACK and may get there first.
      fail(error.message === 'connack timeout' ? timedOut() : connectError(error, options, safeUrl));
    };
    const onClose = (): void => {
      fail(
        new Error(
          `mqtt: broker ${safeUrl} closed the connection before accepting it; if it only speaks MQTT 3.1.1 ` +
            '(like the embedded aedes broker) set sinks.mqtt.protocolVersion to 4',
        ),
      );
    };
    const timer = setTimeout(() => fail(timedOut()), options.connectTimeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    }
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

function connectError(error: Error, options: MqttSinkOptions, safeUrl: string): Error {
  const code: unknown = (error as { code?: unknown }).code;
  const cause = { cause: error };
  if (typeof code === 'string') {
    switch (code) {
      case 'ECONNREFUSED':
        return new Error(
          `mqtt: cannot reach broker ${safeUrl} (ECONNREFUSED); is it running? ` +
            'set sinks.mqtt.url or leave it empty to use the embedded broker',
          cause,
        );
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new Error(`mqtt: cannot resolve the host of ${safeUrl} (${code}); check sinks.mqtt.url`, cause);
      default:
        if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/i.test(code)) {
          return new Error(
            `mqtt: TLS handshake with broker ${safeUrl} failed (${code}: ${error.message}); check sinks.mqtt.tls.caFile ` +
              "(the CA that signed the broker's certificate), that the URL's host is in that certificate, and " +
              'sinks.mqtt.tls.certFile/keyFile when the broker requires a client certificate',
            cause,
          );
        }
        return new Error(
          `mqtt: cannot reach broker ${safeUrl} (${code}: ${error.message}); check sinks.mqtt.url and the network link to it`,
          cause,
        );
    }
  }
  if (typeof code === 'number') {
    const v5 = options.protocolVersion === 5;
    const label = `${(ReasonCodes as Record<number, string | undefined>)[code] ?? 'refused'} (code ${code})`;
    if (code === (v5 ? 134 : 4)) {
      return new Error(
        `mqtt: broker ${safeUrl} refused the connection: ${label}; check sinks.mqtt.username and sinks.mqtt.password`,
        cause,
      );
    }
    if (code === (v5 ? 135 : 5)) {
      return new Error(
        `mqtt: broker ${safeUrl} refused the connection: ${label}; check sinks.mqtt.username/password and the broker's ACL for this client`,
        cause,
      );
    }
    // A 3.1.1-only broker (aedes) answers an MQTT 5 CONNECT with the 3.1.1 code 1, not 132.
    if (code === 132 || code === 1) {
      return new Error(
        `mqtt: broker ${safeUrl} refused the connection: ${label}; set sinks.mqtt.protocolVersion to ${v5 ? 4 : 5}`,
        cause,
      );
    }
    if (code === (v5 ? 133 : 2)) {
      return new Error(
        `mqtt: broker ${safeUrl} refused client id "${options.clientId}": ${label}; use a unique client id (it defaults to the drone id)`,
        cause,
      );
    }
    return new Error(`mqtt: broker ${safeUrl} refused the connection: ${label}; see the broker's log`, cause);
  }
  return new Error(`mqtt: cannot connect to broker ${safeUrl} (${error.message}); check sinks.mqtt.url`, cause);
}

function validateOptions(options: MqttSinkOptions): void {
  const prefix = options.topicPrefix;
  if (prefix.length === 0 || !prefix.endsWith('/') || prefix.includes('+') || prefix.includes('#') || prefix.includes('\0')) {
    throw new Error(
      `mqtt: sinks.mqtt.topicPrefix must end with '/' and contain no '+', '#' or NUL, e.g. 'fieldeye/v1/drone-1/' (received ${JSON.stringify(prefix)})`,
    );
  }
  if (options.clientId.length === 0) {
    throw new Error('mqtt: sinks.mqtt.clientId must not be empty (received "")');
  }
  if (!Number.isFinite(options.connectTimeoutMs) || options.connectTimeoutMs <= 0) {
    throw new Error(`mqtt: sinks.mqtt.connectTimeoutMs must be a positive number (received ${String(options.connectTimeoutMs)})`);
  }
}

/** The URL as it may appear in logs and errors: an embedded password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:redacted@');
  }
}

function seqOf(result: unknown): string {
  const seq = (result as { seq?: unknown } | null | undefined)?.seq;
  return typeof seq === 'number' ? String(seq) : JSON.stringify(seq) ?? 'undefined';
}

/** `top[0].score: Too big: expected number to be <=1` for each issue; the path is what the producer has to fix. */
function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
        .join('');
      return `${path === '' ? '(root)' : path}: ${issue.message}`;
    })
    .join('; ');
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code: unknown = (error as { code?: unknown }).code;
    return code !== undefined ? `${String(code)}: ${error.message}` : error.message;
  }
  return String(error);
}

/** true when `promise` settled within `ms`, false when the time ran out (the promise is left running). */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
