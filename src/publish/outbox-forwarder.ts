// Drains the outbox to the broker in id (hence seq) order with a bounded in-flight window, deleting each row only on its PUBACK.
import type { Logger } from '../platform/logger.js';
import type { OutboxRow, SqliteOutbox } from './sqlite-outbox.js';

/** How a publish ended: the broker acknowledged it, refused it for good, or the link gave up before an answer. */
export type PublishOutcome = 'acked' | 'refused' | 'unacknowledged';

export interface OutboxForwarderOptions {
  /** Messages published but not yet acknowledged, at most. */
  inflightWindow: number;
  /** After an unacknowledged publish (not a refusal) the row is retried after this pause. */
  retryDelayMs?: number;
  /** How often the age limit is applied while idle. */
  ageCheckIntervalMs?: number;
}

export interface ForwarderStats {
  delivered: number;
  refused: number;
  inflight: number;
}

/**
 * Publishes a row and says how it ended. It must not reject; a link that is down is not an outcome:
 * the publisher keeps the message until the link is back (mqtt.js keeps QoS 1 messages across reconnects).
 */
export type PublishRow = (row: OutboxRow) => Promise<PublishOutcome>;

const DEFAULT_RETRY_DELAY_MS = 1_000;
const DEFAULT_AGE_CHECK_INTERVAL_MS = 60_000;

export class OutboxForwarder {
  readonly #outbox: SqliteOutbox;
  readonly #publish: PublishRow;
  readonly #logger: Logger;
  readonly #window: number;
  readonly #retryDelayMs: number;
  /** Ids published and waiting for an outcome. */
  readonly #inflight = new Set<number>();
  /** Highest id handed to the publisher; rows after it are not sent yet. */
  #cursor = 0;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #ageTimer: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  #delivered = 0;
  #refused = 0;
  readonly #idleWaiters = new Set<() => void>();

  constructor(outbox: SqliteOutbox, publish: PublishRow, options: OutboxForwarderOptions, logger: Logger) {
    if (!Number.isInteger(options.inflightWindow) || options.inflightWindow < 1) {
      throw new Error(`outbox: sinks.mqtt.outbox.inflightWindow must be a positive integer (received ${String(options.inflightWindow)})`);
    }
    this.#outbox = outbox;
    this.#publish = publish;
    this.#logger = logger;
    this.#window = options.inflightWindow;
    this.#retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.#unsubscribe = outbox.onAppend(() => this.#pump());
    this.#ageTimer = setInterval(() => {
      outbox.enforceAge();
      this.#wakeIdle();
    }, options.ageCheckIntervalMs ?? DEFAULT_AGE_CHECK_INTERVAL_MS);
    this.#ageTimer.unref();
    outbox.enforceAge();
    this.#pump();
  }

  stats(): ForwarderStats {
    return { delivered: this.#delivered, refused: this.#refused, inflight: this.#inflight.size };
  }

  /** Resolves true once the outbox is empty and nothing is in flight, false when `timeoutMs` passes first. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.#idle()) return true;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    try {
      return await new Promise<boolean>((resolve) => {
        waiter = () => resolve(true);
        this.#idleWaiters.add(waiter);
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      if (waiter !== undefined) this.#idleWaiters.delete(waiter);
    }
  }

  /** Stops sending; rows not acknowledged stay in the outbox for the next run. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#ageTimer);
    this.#unsubscribe();
  }

  #idle(): boolean {
    return this.#inflight.size === 0 && this.#outbox.stats().depth === 0;
  }

  #wakeIdle(): void {
    if (this.#idleWaiters.size > 0 && this.#idle()) for (const wake of this.#idleWaiters) wake();
  }

  #pump(): void {
    if (this.#stopped) return;
    const room = this.#window - this.#inflight.size;
    if (room <= 0) return;
    // Ask for a little more than the room: rows still in flight after a rewind are skipped, not sent twice at once.
    const rows = this.#outbox.rowsAfter(this.#cursor, room + this.#inflight.size);
    let sent = 0;
    for (const row of rows) {
      if (sent >= room) break;
      this.#cursor = row.id;
      if (this.#inflight.has(row.id)) continue;
      sent += 1;
      this.#send(row);
    }
    this.#wakeIdle();
  }

  #send(row: OutboxRow): void {
    this.#inflight.add(row.id);
    this.#outbox.protect(row.id);
    void this.#publish(row).then((outcome) => {
      this.#inflight.delete(row.id);
      this.#outbox.release(row.id);
      if (outcome === 'acked') {
        this.#delivered += 1;
        this.#outbox.ack(row.id);
      } else if (outcome === 'refused') {
        // The broker said no (ACL, payload rules): resending the same bytes gets the same answer, and
        // keeping it would hold every later result back. The publisher has logged why.
        this.#refused += 1;
        this.#outbox.ack(row.id);
      } else if (!this.#stopped) {
        // Not acknowledged and not refused: go back and send it again, in order, after a pause.
        this.#logger.debug({ seq: row.seq, flightId: row.flightId }, 'outbox: publish not acknowledged; resending in order');
        this.#cursor = Math.min(this.#cursor, row.id - 1);
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => this.#pump(), this.#retryDelayMs);
        return;
      }
      // The ack is committed on the next turn; check for idleness after it.
      setImmediate(() => {
        this.#pump();
        this.#wakeIdle();
      });
    });
  }
}
