// The MQTT Sink the pipeline uses: write() commits the result to the durable outbox and returns; a forwarder drains it to the broker.
import type { Logger } from '../platform/logger.js';
import type { Result } from './result-schema.js';
import type { Sink } from './sink.js';
import type { MqttLink } from './mqtt-link.js';
import { encodeResult } from './result-encoding.js';
import { SqliteOutbox, type OutboxStats } from './sqlite-outbox.js';
import { OutboxForwarder, type ForwarderStats } from './outbox-forwarder.js';

export interface OutboxMqttSinkOptions {
  outbox: { path: string; maxMessages: number; maxAgeS: number; inflightWindow: number; drainTimeoutMs: number };
}

export type OutboxMqttSinkStats = OutboxStats & ForwarderStats;

/**
 * Where every result this process queued went, at close: each is acknowledged, refused, dropped or still queued,
 * and the counts add up (carriedOver + queuedThisRun = acknowledged + refused + dropped + stillQueued).
 */
export interface DeliveryAccount {
  /** Left by an earlier run and sent first. */
  carriedOver: number;
  queuedThisRun: number;
  /** PUBACK received. Under MQTT 3.1.1 a broker acknowledges what it drops too, so this is not "delivered". */
  acknowledged: number;
  /** The broker said no (MQTT 5 reason code): failures. */
  refused: number;
  /** Outbox full or too old. */
  dropped: number;
  /** Still on disk: they go out first on the next start. */
  stillQueued: number;
}

export class OutboxMqttSink implements Sink {
  readonly name = 'mqtt';
  readonly #mqtt: MqttLink;
  readonly #outbox: SqliteOutbox;
  readonly #forwarder: OutboxForwarder;
  readonly #drainTimeoutMs: number;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;
  #drained: Promise<boolean> | undefined;

  private constructor(mqtt: MqttLink, outbox: SqliteOutbox, forwarder: OutboxForwarder, drainTimeoutMs: number, logger: Logger) {
    this.#mqtt = mqtt;
    this.#outbox = outbox;
    this.#forwarder = forwarder;
    this.#drainTimeoutMs = drainTimeoutMs;
    this.#logger = logger;
  }

  /**
   * Opens the outbox and starts forwarding through `mqtt` (already connected). What an earlier run left
   * in the outbox is sent first, before this flight's results.
   */
  static open(mqtt: MqttLink, options: OutboxMqttSinkOptions, logger: Logger): OutboxMqttSink {
    const outbox = SqliteOutbox.open({ path: options.outbox.path, maxMessages: options.outbox.maxMessages, maxAgeS: options.outbox.maxAgeS }, logger);
    let forwarder: OutboxForwarder;
    try {
      forwarder = new OutboxForwarder(
        outbox,
        (row) => mqtt.publishQueued(row.topic, row.seq, row.payload),
        { inflightWindow: options.outbox.inflightWindow },
        logger,
      );
    } catch (error) {
      outbox.close();
      throw error;
    }
    return new OutboxMqttSink(mqtt, outbox, forwarder, options.outbox.drainTimeoutMs, logger);
  }

  get resultTopic(): string {
    return this.#mqtt.resultTopic;
  }

  get linkUp(): boolean {
    return this.#mqtt.linkUp;
  }

  /** The link under the outbox: its state, publish check and configuration faults. */
  get link(): MqttLink {
    return this.#mqtt;
  }

  account(): DeliveryAccount {
    const s = this.stats();
    return {
      carriedOver: s.carriedOver,
      queuedThisRun: s.appended,
      acknowledged: s.delivered,
      refused: s.refused,
      dropped: s.droppedFull + s.droppedAge,
      stillQueued: s.depth,
    };
  }

  /** Validates, then resolves once the result is durable in the outbox; the broker is never awaited here. */
  write(result: Result): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new Error(`mqtt: write after close (seq ${result.seq}); this is a bug in the caller`));
    }
    let payload: string;
    try {
      payload = encodeResult(result);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#outbox.append({ topic: this.#mqtt.resultTopic, flightId: result.flightId, seq: result.seq, payload });
  }

  stats(): OutboxMqttSinkStats {
    return { ...this.#outbox.stats(), ...this.#forwarder.stats() };
  }

  /**
   * Waits up to drainTimeoutMs for the outbox to empty (once; later calls get the same answer). Anything not
   * acknowledged by then stays on disk and goes out first on the next start.
   */
  drain(): Promise<boolean> {
    this.#drained ??= this.#forwarder.drain(this.#drainTimeoutMs);
    return this.#drained;
  }

  /** Drains (see drain()), then closes the link (status offline) and the outbox, and says where every result went. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const drained = await this.drain();
      this.#forwarder.stop();
      await this.#mqtt.close();
      const account = this.account();
      this.#outbox.close();
      // Say only what is known: a PUBACK is an acknowledgement, and under MQTT 3.1.1 not even a sign of delivery.
      const check = this.#mqtt.publishCheck();
      const caveat = this.#mqtt.protocolVersion === 4 ? ' (MQTT 3.1.1: a broker acknowledges what its ACL drops too)' : '';
      if (account.refused > 0) {
        this.#logger.error(account, `mqtt outbox sink closed: the broker refused ${account.refused} result(s); check its ACL for this client`);
      } else if (check.verdict === 'swallowed') {
        this.#logger.error(account, `mqtt outbox sink closed: ${account.acknowledged} result(s) acknowledged, but ${check.detail}`);
      } else if (drained) this.#logger.info(account, `mqtt outbox sink closed: every result acknowledged by the broker${caveat}`);
      else
        this.#logger.warn(
          { ...account, drainTimeoutMs: this.#drainTimeoutMs },
          'mqtt outbox sink closed with results still queued; they go out on the next start',
        );
    })();
    return this.#closing;
  }
}
