// The drone's connection to the ground-station broker: connects in the background and keeps reconnecting with backoff,
// keeps the retained online/offline status (and the Last Will), checks that the broker delivers what it acknowledges,
// and publishes results, documents and previews.
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { settledWithin } from '../platform/with-timeout.js';
import { connectError, describeError, isConfigurationFault, waitForFirstConnack } from './mqtt-connect-errors.js';
import {
  credentialOptions,
  reconnectDelayMs,
  validateLinkOptions,
  type LinkState,
  type MqttLinkOpenOptions,
  type MqttLinkOptions,
  type MqttPublishOutcome,
  type PublishCheck,
} from './mqtt-link-options.js';
import { checkPublishEcho } from './publish-echo-check.js';
import { encodeResult, seqOf } from './result-encoding.js';
import type { Result } from './result-schema.js';

const DEFAULT_CLOSE_TIMEOUT_MS = 3_000;
const DEFAULT_RECONNECT_MIN_MS = 1_000;
const DEFAULT_RECONNECT_MAX_MS = 30_000;

export class MqttLink {
  readonly resultTopic: string;
  readonly statusTopic: string;
  readonly protocolVersion: 4 | 5;
  readonly safeUrl: string;
  readonly #client: MqttClient;
  readonly #options: MqttLinkOptions;
  readonly #logger: Logger;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #fatalListeners = new Set<(error: ConfigError) => void>();
  #closing: Promise<void> | undefined;
  #reconnectAttempt = 0;
  #everConnected = false;
  #fatal: ConfigError | null = null;
  #state: LinkState;
  #check: PublishCheck = { verdict: 'pending', detail: 'not checked yet: the broker has not answered' };
  /** connect() announces the first connection itself (and waits for it); open() leaves it to the connect event. */
  #announceFirstConnect = true;
  #checking: Promise<void> | undefined;

  private constructor(client: MqttClient, options: MqttLinkOptions, logger: Logger, safeUrl: string) {
    this.#client = client;
    this.#options = options;
    this.#logger = logger;
    this.safeUrl = safeUrl;
    this.protocolVersion = options.protocolVersion;
    this.resultTopic = `${options.topicPrefix}result`;
    this.statusTopic = `${options.topicPrefix}status`;
    this.#state = { link: 'down', detail: `connecting to ${safeUrl}`, sinceMs: Date.now() };
  }

  /**
   * Starts connecting and returns at once: a broker that is not up yet is a link that is down, not an error, and
   * the link keeps trying with backoff. Throws only for configuration faults found before connecting (URL, topic
   * prefix); those found when the broker first answers (credentials, client id, protocol, TLS) reach onFatal().
   */
  static open(options: MqttLinkOptions, logger: Logger, openOptions: MqttLinkOpenOptions = {}): MqttLink {
    const link = MqttLink.#create(options, logger, true);
    if (options.protocolVersion === 4 && openOptions.warnInvisibleRefusals !== false) {
      logger.warn(
        { url: link.safeUrl },
        'mqtt: MQTT 3.1.1 cannot report refusals: a broker that denies a publish (ACL) still acknowledges it, so ' +
          '"acknowledged" is not "delivered"; set sinks.mqtt.protocolVersion to 5 to see refusals',
      );
    }
    return link;
  }

  /**
   * For tools and tests that need the broker now: connects, publishes the retained `online` status and resolves once
   * the broker has acknowledged it. Rejects with an error naming the broker URL, the cause and what to change when
   * the first connection fails; later link losses are logged and retried in the background.
   */
  static async connect(options: MqttLinkOptions, logger: Logger): Promise<MqttLink> {
    const link = MqttLink.#create(options, logger, false);
    link.#announceFirstConnect = false;
    const client = link.#client;
    try {
      await waitForFirstConnack(client, options, link.safeUrl);
    } catch (error) {
      // A late 'error' from the dying connection must not become an uncaught exception.
      client.on('error', () => undefined);
      client.end(true);
      throw error;
    }
    // Bounded: a broker that denies the publish may also just drop the connection without an ack (aedes).
    let statusError: unknown;
    const acked = await settledWithin(
      link.#announceOnline().catch((error: unknown) => {
        statusError = error ?? new Error('rejected');
      }),
      options.connectTimeoutMs,
    );
    if (!acked || statusError !== undefined) {
      client.end(true);
      const cause = statusError === undefined ? `no PUBACK within ${options.connectTimeoutMs} ms` : describeError(statusError);
      throw new Error(
        `mqtt: broker ${link.safeUrl} did not accept the status message on ${link.statusTopic} (${cause}); ` +
          'check the broker ACL allows this client to publish under sinks.mqtt.topicPrefix',
        { cause: statusError },
      );
    }
    client.options.reconnectPeriod = link.#nextReconnectDelay(0);
    return link;
  }

  static #create(options: MqttLinkOptions, logger: Logger, reconnectFromStart: boolean): MqttLink {
    const safeUrl = redactUrl(options.url);
    validateLinkOptions(options, safeUrl);
    const sessionExpiryS = options.sessionExpiryS ?? 0;
    const minMs = options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    const clientOptions: IClientOptions = {
      protocolVersion: options.protocolVersion,
      clientId: options.clientId,
      clean: sessionExpiryS === 0,
      ...(options.protocolVersion === 5 && sessionExpiryS > 0 ? { properties: { sessionExpiryInterval: sessionExpiryS } } : {}),
      keepalive: options.keepaliveS,
      connectTimeout: options.connectTimeoutMs,
      // connect() wants the first answer as an error, so it does not retry until the first CONNACK.
      reconnectPeriod: reconnectFromStart ? reconnectDelayMs(0, minMs, options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS) : 0,
      resubscribe: false,
      // If the drone drops off the link, the broker tells subscribers on our behalf.
      will: { topic: `${options.topicPrefix}status`, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...credentialOptions(options),
    };
    // Never log clientOptions: it holds the password.
    logger.info(
      { url: safeUrl, clientId: options.clientId, protocolVersion: options.protocolVersion, topicPrefix: options.topicPrefix },
      'mqtt link: connecting',
    );
    const link = new MqttLink(connect(options.url, clientOptions), options, logger, safeUrl);
    link.#watch();
    return link;
  }

  /** true while connected to the broker. */
  get linkUp(): boolean {
    return this.#client.connected;
  }

  /** Up or down, why, and since when (for health reports and logs). */
  state(): LinkState {
    return { ...this.#state, link: this.#client.connected ? 'up' : 'down' };
  }

  publishCheck(): PublishCheck {
    return { ...this.#check };
  }

  /** The configuration fault found when the broker answered, if any (the link has stopped trying then). */
  get fatal(): ConfigError | null {
    return this.#fatal;
  }

  /** Called once when the broker's answer shows the configuration is wrong; the link stops retrying. */
  onFatal(listener: (error: ConfigError) => void): () => void {
    if (this.#fatal) listener(this.#fatal);
    else this.#fatalListeners.add(listener);
    return () => this.#fatalListeners.delete(listener);
  }

  /** Validates, publishes with QoS 1 and resolves on PUBACK. A result that fails the schema is never sent. */
  publishResult(result: Result): Promise<void> {
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
        if (refused) this.#logger.error({ seq, topic, err: (error as Error).message }, 'mqtt link: broker refused a result; dropped from the outbox');
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

  /**
   * Waits (bounded) for pending PUBACKs, publishes the retained `offline` status, then disconnects
   * gracefully, which also tells the broker not to send the Last Will.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #jsonProperties(): Pick<IClientPublishOptions, 'properties'> {
    return this.#options.protocolVersion === 5 ? { properties: { contentType: 'application/json', payloadFormatIndicator: true } } : {};
  }

  #nextReconnectDelay(attempt: number): number {
    return reconnectDelayMs(attempt, this.#options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS, this.#options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
  }

  #publishResult(topic: string, seq: number, payload: string): Promise<void> {
    return this.#client.publishAsync(topic, payload, { qos: 1, ...this.#jsonProperties() }).then(
      () => undefined,
      (error: unknown) => {
        // A numeric code is the broker's PUBACK reason (MQTT 5); anything else is our side giving up.
        if (typeof (error as { code?: unknown }).code === 'number') {
          throw new Error(
            `mqtt: broker ${this.safeUrl} refused result seq ${seq} on ${topic} (${describeError(error)}); ` + 'check the broker ACL for this client',
            { cause: error },
          );
        }
        throw new Error(
          `mqtt: result seq ${seq} was not acknowledged by broker ${this.safeUrl} (${describeError(error)}); ` +
            'the sink was closed before the link came back',
          { cause: error },
        );
      },
    );
  }

  async #close(): Promise<void> {
    const timeoutMs = this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const remaining = (): number => Math.max(0, deadline - Date.now());
    const pending = this.#pending.size;
    const flushed = await settledWithin(Promise.allSettled([...this.#pending]), remaining());
    if (!flushed) this.#logger.warn({ pending }, 'mqtt link: closing with results still waiting for PUBACK');

    // Don't let a dead link wait for a reconnect that would only deliver `offline` too late.
    this.#client.options.reconnectPeriod = 0;
    let offlineSent = false;
    if (this.#client.connected) {
      await settledWithin(
        this.#publishStatus('offline').then(
          () => {
            offlineSent = true;
          },
          (error: unknown) => {
            this.#logger.warn({ err: describeError(error) }, 'mqtt link: could not publish status offline');
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
      graceful = await settledWithin(this.#client.endAsync(false), remaining());
      // A stalled socket can hold the DISCONNECT; destroying it completes the end() above.
      if (!graceful) this.#client.stream?.destroy();
    } else {
      await this.#client.endAsync(true);
    }
    this.#logger.info(
      { url: this.safeUrl, offlineSent, graceful },
      offlineSent ? 'mqtt link closed, status offline' : 'mqtt link closed without publishing offline (link down)',
    );
  }

  #publishStatus(status: 'online' | 'offline'): Promise<unknown> {
    return this.#client.publishAsync(this.statusTopic, status, { qos: 1, retain: true });
  }

  /**
   * Publishes the retained `online` status. Until the broker has shown once that it delivers what it acknowledges,
   * this also subscribes to the status topic and waits for the publish to come back (the publish check).
   */
  #announceOnline(): Promise<void> {
    if (this.#check.verdict === 'delivered' || this.#check.verdict === 'swallowed') return this.#publishStatus('online').then(() => undefined);
    const checking = this.#checkedAnnouncement();
    this.#checking = checking.catch(() => undefined);
    return checking;
  }

  /**
   * Resolves when the first connection attempt has an outcome (accepted, refused, unreachable) or `timeoutMs` passes,
   * whichever is first; never rejects. A broker that is up is then connected before the first result, while one that
   * is down costs no more than its refusal (or the bound, for a host that does not answer).
   */
  firstAttempt(timeoutMs: number): Promise<void> {
    if (this.#everConnected || this.#fatal || this.#state.detail !== `connecting to ${this.safeUrl}`) return Promise.resolve();
    const client = this.#client;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const event of ['connect', 'error', 'close', 'offline'] as const) client.off(event, done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const event of ['connect', 'error', 'close', 'offline'] as const) client.on(event, done);
    });
  }

  /** Waits (bounded) for a publish check in progress, so a short flight still ends with its verdict. */
  async publishCheckSettled(timeoutMs: number): Promise<PublishCheck> {
    if (this.#checking) await settledWithin(this.#checking, timeoutMs);
    return this.publishCheck();
  }

  async #checkedAnnouncement(): Promise<void> {
    const result = await checkPublishEcho(this.#client, {
      topic: this.statusTopic,
      payload: 'online',
      retain: true,
      // A live forward has retain 0; the copy the broker sends because we just subscribed has retain 1 (MQTT 3.1.1
      // 3.3.1.3, and MQTT 5 without retain-as-published), so an old retained `online` cannot pass for our publish.
      isEcho: (payload, packet) => !packet.retain && payload.toString() === 'online',
    });
    // A dropped link is checked again on the next connection.
    if (result.verdict !== 'unverified' || this.#check.verdict === 'pending') this.#setCheck(result.verdict, result.detail);
    if (result.verdict === 'refused') throw new Error(result.detail);
  }

  #setCheck(verdict: PublishCheck['verdict'], detail: string): void {
    this.#check = { verdict, detail };
    if (verdict === 'swallowed' || verdict === 'refused') this.#logger.error({ url: this.safeUrl, verdict }, `mqtt link: ${detail}`);
    else this.#logger.info({ url: this.safeUrl, verdict }, `mqtt link: publish check: ${detail}`);
  }

  #setState(link: 'up' | 'down', detail: string): void {
    this.#state = { link, detail, sinceMs: Date.now() };
  }

  /** Configuration faults stop the link only before it was ever accepted: later, the configuration was proven right. */
  #failFatally(error: Error): void {
    this.#fatal = error instanceof ConfigError ? error : new ConfigError(error.message);
    this.#client.options.reconnectPeriod = 0;
    this.#client.end(true);
    this.#setState('down', error.message);
    this.#logger.error({ url: this.safeUrl, err: error.message }, 'mqtt link: configuration fault; not retrying');
    for (const listener of this.#fatalListeners) listener(this.#fatal);
    this.#fatalListeners.clear();
  }

  #watch(): void {
    const client = this.#client;
    client.on('error', (error) => {
      const explained =
        error.message === 'connack timeout'
          ? new Error(`mqtt: no answer from broker ${this.safeUrl} within ${this.#options.connectTimeoutMs} ms (timeout)`)
          : connectError(error, this.#options, this.safeUrl);
      if (!this.#everConnected && this.#closing === undefined && isConfigurationFault(error)) {
        this.#failFatally(explained);
        return;
      }
      const repeated = this.#state.detail === explained.message;
      this.#setState('down', explained.message);
      // One line per new reason: a broker that stays away for an hour must not fill the journal.
      if (!repeated) this.#logger.warn({ url: this.safeUrl, err: describeError(error) }, `mqtt link: ${explained.message}`);
    });
    client.on('offline', () => {
      if (this.#closing !== undefined || this.#fatal) return;
      if (this.#state.link === 'up') this.#setState('down', `lost the connection to ${this.safeUrl}; reconnecting with backoff`);
      this.#logger.warn({ url: this.safeUrl, detail: this.#state.detail }, 'mqtt link: link down, retrying');
    });
    // mqtt.js reads reconnectPeriod when it arms the next attempt, which happens after this event.
    client.on('reconnect', () => {
      if (this.#closing !== undefined) return;
      this.#reconnectAttempt += 1;
      client.options.reconnectPeriod = this.#nextReconnectDelay(this.#reconnectAttempt);
    });
    client.on('connect', () => {
      const first = !this.#everConnected;
      this.#everConnected = true;
      this.#reconnectAttempt = 0;
      this.#setState('up', `connected to ${this.safeUrl}`);
      if (this.#closing === undefined) client.options.reconnectPeriod = this.#nextReconnectDelay(0);
      this.#logger.info({ url: this.safeUrl }, first ? 'mqtt link: connected' : 'mqtt link: link up again');
      // The broker may have published our Last Will while we were away. connect() announces the first time itself.
      if (first && !this.#announceFirstConnect) return;
      this.#announceOnline().catch((error: unknown) => {
        this.#logger.warn({ err: describeError(error) }, 'mqtt link: could not publish status online');
      });
    });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const forget = (): void => {
      this.#pending.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }
}
