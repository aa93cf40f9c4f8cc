// The MQTT Sink the pipeline uses: write() commits the result to the durable outbox and returns; a forwarder drains it to the broker.
import type { Logger } from '../platform/logger.js';
import type { Result } from './result-schema.js';
import type { Sink } from './sink.js';
import { encodeResult, type MqttSink } from './mqtt-sink.js';
import { SqliteOutbox, type OutboxStats } from './sqlite-outbox.js';
import { OutboxForwarder, type ForwarderStats } from './outbox-forwarder.js';

export interface OutboxMqttSinkOptions {
  outbox: { path: string; maxMessages: number; maxAgeS: number; inflightWindow: number; drainTimeoutMs: number };
}

export type OutboxMqttSinkStats = OutboxStats & ForwarderStats;

export class OutboxMqttSink implements Sink {
  readonly name = 'mqtt';
  readonly #mqtt: MqttSink;
  readonly #outbox: SqliteOutbox;
  readonly #forwarder: OutboxForwarder;
  readonly #drainTimeoutMs: number;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  private constructor(mqtt: MqttSink, outbox: SqliteOutbox, forwarder: OutboxForwarder, drainTimeoutMs: number, logger: Logger) {
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
  static open(mqtt: MqttSink, options: OutboxMqttSinkOptions, logger: Logger): OutboxMqttSink {
    const outbox = SqliteOutbox.open(
      { path: options.outbox.path, maxMessages: options.outbox.maxMessages, maxAgeS: options.outbox.maxAgeS },
      logger,
    );
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
   * Waits up to drainTimeoutMs for the outbox to empty, then closes the link (status offline) and the
   * outbox. Anything not acknowledged by then stays on disk and goes out first on the next start.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const drained = await this.#forwarder.drain(this.#drainTimeoutMs);
      this.#forwarder.stop();
      await this.#mqtt.close();
      const stats = this.stats();
      this.#outbox.close();
      const summary = { depth: stats.depth, delivered: stats.delivered, refused: stats.refused, dropped: stats.droppedFull + stats.droppedAge };
      if (drained) this.#logger.info(summary, 'mqtt outbox sink closed: every result delivered');
      else this.#logger.warn({ ...summary, drainTimeoutMs: this.#drainTimeoutMs }, 'mqtt outbox sink closed with results still queued; they go out on the next start');
    })();
    return this.#closing;
  }
}
