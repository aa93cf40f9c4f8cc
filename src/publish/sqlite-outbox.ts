// The durable outbox in front of the broker: every result lands in a SQLite file (WAL) before the pipeline moves on, and leaves it only on PUBACK.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../platform/logger.js';

export interface SqliteOutboxOptions {
  /** The SQLite file; parent folders are created. */
  path: string;
  /** Upper bound on queued messages; beyond it the oldest are dropped (counted, logged). */
  maxMessages: number;
  /** Messages older than this are dropped (counted, logged); 0 = no age limit. */
  maxAgeS: number;
  /** Clock for enqueue times and ages; tests replace it. */
  now?: () => number;
}

export interface OutboxEntry {
  topic: string;
  flightId: string;
  seq: number;
  /** The exact bytes to publish (JSON text): a resend after a reconnect or a restart is the same message. */
  payload: string;
}

export interface OutboxRow extends OutboxEntry {
  id: number;
  enqueuedAtMs: number;
}

export interface OutboxStats {
  depth: number;
  /** Age of the oldest queued message, or null when the outbox is empty. */
  oldestAgeMs: number | null;
  /** Dropped because the outbox was full (oldest first), since open. */
  droppedFull: number;
  /** Dropped because they were older than maxAgeS, since open. */
  droppedAge: number;
  /** Rows an earlier run left, found at open. */
  carriedOver: number;
  /** Rows appended since open. */
  appended: number;
}

/** At most one drop line per this interval: a full outbox drops on every frame and must not flood the journal. */
const DROP_LOG_INTERVAL_MS = 10_000;

interface PendingAppend {
  entry: OutboxEntry;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class SqliteOutbox {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #options: SqliteOutboxOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #insert: Database.Statement<[string, string, number, string, number]>;
  readonly #deleteById: Database.Statement<[number]>;
  readonly #oldestIds: Database.Statement<[number], { id: number }>;
  readonly #idsOlderThan: Database.Statement<[number], { id: number }>;
  readonly #oldest: Database.Statement<[], { enqueued_at_ms: number }>;
  readonly #after: Database.Statement<[number, number], RowRecord>;
  #depth: number;
  #pending: PendingAppend[] = [];
  #acks: number[] = [];
  #flushScheduled = false;
  #closed = false;
  #droppedFull = 0;
  #droppedAge = 0;
  readonly #carriedOver: number;
  #appended = 0;
  /** Rows handed to the broker and not answered yet: the client resends them after a reconnect, so they are never dropped. */
  readonly #inflight = new Set<number>();
  #lastDropLogMs = -Infinity;
  #unloggedDrops = { full: 0, age: 0 };
  readonly #appendListeners = new Set<() => void>();

  private constructor(db: Database.Database, path: string, options: SqliteOutboxOptions, logger: Logger) {
    this.#db = db;
    this.path = path;
    this.#options = options;
    this.#logger = logger;
    this.#now = options.now ?? Date.now;
    this.#insert = db.prepare('INSERT INTO outbox (topic, flight_id, seq, payload, enqueued_at_ms) VALUES (?, ?, ?, ?, ?)');
    this.#deleteById = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.#oldestIds = db.prepare<[number], { id: number }>('SELECT id FROM outbox ORDER BY id LIMIT ?');
    this.#idsOlderThan = db.prepare<[number], { id: number }>('SELECT id FROM outbox WHERE enqueued_at_ms < ? ORDER BY id');
    this.#oldest = db.prepare<[], { enqueued_at_ms: number }>('SELECT enqueued_at_ms FROM outbox ORDER BY id LIMIT 1');
    this.#after = db.prepare<[number, number], RowRecord>(
      'SELECT id, topic, flight_id, seq, payload, enqueued_at_ms FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
    );
    this.#depth = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    this.#carriedOver = this.#depth;
  }

  /**
   * Opens (or creates) the outbox file. Rows a previous run left behind are kept and come out first,
   * so a restarted flight drains what the last one could not deliver.
   */
  static open(options: SqliteOutboxOptions, logger: Logger): SqliteOutbox {
    if (!Number.isInteger(options.maxMessages) || options.maxMessages < 1) {
      throw new Error(`outbox: sinks.mqtt.outbox.maxMessages must be a positive integer (received ${String(options.maxMessages)})`);
    }
    const path = resolve(options.path);
    let db: Database.Database;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      // WAL: a commit appends to the log instead of rewriting pages, and readers never block the writer.
      const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
      if (mode.toLowerCase() !== 'wal') throw new Error(`the file system refused WAL mode (journal_mode is ${mode})`);
      // FULL, not NORMAL: in WAL mode NORMAL survives a killed process (the WAL is in the page cache) but
      // may lose the last commits on power loss, because it fsyncs the WAL only at checkpoints. A drone
      // losing its battery is power loss; FULL fsyncs the WAL on every commit, and group commit (below)
      // keeps that to one fsync per batch of results rather than one per result.
      db.pragma('synchronous = FULL');
      // Another process (a test, an operator with the sqlite3 shell) may read while we write.
      db.pragma('busy_timeout = 5000');
      db.exec(
        'CREATE TABLE IF NOT EXISTS outbox (' +
          'id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, flight_id TEXT NOT NULL, seq INTEGER NOT NULL, ' +
          'payload TEXT NOT NULL, enqueued_at_ms INTEGER NOT NULL)',
      );
    } catch (error) {
      throw new Error(`outbox: cannot open ${path} (${describe(error)}); check that its folder is writable or set sinks.mqtt.outbox.path`, { cause: error });
    }
    const outbox = new SqliteOutbox(db, path, options, logger);
    const stats = outbox.stats();
    logger.info(
      { path, depth: stats.depth, oldestAgeMs: stats.oldestAgeMs, maxMessages: options.maxMessages, maxAgeS: options.maxAgeS },
      stats.depth > 0 ? 'outbox: opened with results left by an earlier run; they go out first' : 'outbox: opened',
    );
    return outbox;
  }

  /**
   * Queues one message. Resolves once it is committed and fsynced (durable against kill -9 and power
   * loss); appends made in the same event-loop turn share one transaction.
   */
  append(entry: OutboxEntry): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new Error(`outbox: append of seq ${entry.seq} after close (${this.path}); this is a bug in the caller`));
    }
    return new Promise<void>((resolvePromise, reject) => {
      this.#pending.push({ entry, resolve: resolvePromise, reject });
      this.#scheduleFlush();
    });
  }

  /** Up to `limit` queued rows with id > `afterId`, oldest first. */
  rowsAfter(afterId: number, limit: number): OutboxRow[] {
    if (this.#closed) return [];
    return this.#after.all(afterId, limit).map((r) => ({
      id: r.id,
      topic: r.topic,
      flightId: r.flight_id,
      seq: r.seq,
      payload: r.payload,
      enqueuedAtMs: r.enqueued_at_ms,
    }));
  }

  /** The row is on its way to the broker: the size and age limits skip it until release() or ack(). */
  protect(id: number): void {
    this.#inflight.add(id);
  }

  /** The row came back unanswered and waits for a resend like any other. */
  release(id: number): void {
    this.#inflight.delete(id);
  }

  /** The broker acknowledged this row: delete it (batched with other acks into one transaction). */
  ack(id: number): void {
    this.#inflight.delete(id);
    if (this.#closed) return;
    this.#acks.push(id);
    this.#scheduleFlush();
  }

  stats(): OutboxStats {
    const oldest = this.#closed ? undefined : this.#oldest.get();
    return {
      depth: this.#depth,
      oldestAgeMs: oldest === undefined ? null : Math.max(0, this.#now() - oldest.enqueued_at_ms),
      droppedFull: this.#droppedFull,
      droppedAge: this.#droppedAge,
      carriedOver: this.#carriedOver,
      appended: this.#appended,
    };
  }

  /** Called after each commit that added rows (the forwarder wakes up on it). */
  onAppend(listener: () => void): () => void {
    this.#appendListeners.add(listener);
    return () => this.#appendListeners.delete(listener);
  }

  /** Applies the age limit now (the forwarder calls this periodically, so an idle outbox also ages out). */
  enforceAge(): void {
    if (this.#closed || this.#options.maxAgeS <= 0) return;
    const cutoff = this.#now() - this.#options.maxAgeS * 1000;
    const oldest = this.#oldest.get();
    if (oldest === undefined || oldest.enqueued_at_ms >= cutoff) return;
    const ids = this.#idsOlderThan
      .all(cutoff)
      .map((r) => r.id)
      .filter((id) => !this.#inflight.has(id));
    const dropped = this.#db.transaction(() => this.#deleteIds(ids))();
    this.#depth -= dropped;
    this.#droppedAge += dropped;
    this.#unloggedDrops.age += dropped;
    this.#logDrops();
  }

  /** Commits what is pending, then closes the file. Queued rows stay for the next run. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#logDrops(true);
    this.#db.close();
    this.#logger.info({ path: this.path, depth: this.#depth }, 'outbox closed');
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // setImmediate, not a microtask: every result the loop produced this turn joins the same commit.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    const acks = this.#acks;
    this.#pending = [];
    this.#acks = [];
    if (batch.length === 0 && acks.length === 0) return;
    let added = 0;
    let removed = 0;
    let droppedFull = 0;
    const now = this.#now();
    try {
      this.#db.transaction(() => {
        for (const id of acks) removed += this.#deleteById.run(id).changes;
        for (const { entry } of batch) {
          this.#insert.run(entry.topic, entry.flightId, entry.seq, entry.payload, now);
          added += 1;
        }
        const over = this.#depth - removed + added - this.#options.maxMessages;
        // Oldest first: on a long outage the newest results describe where the drone is now.
        if (over > 0) {
          // Rows in flight are skipped: they are the client's to resend, and will be delivered or come back to us.
          const ids = this.#oldestIds
            .all(over + this.#inflight.size)
            .map((r) => r.id)
            .filter((id) => !this.#inflight.has(id));
          droppedFull = this.#deleteIds(ids.slice(0, over));
        }
      })();
    } catch (error) {
      const first = batch[0]?.entry.seq;
      const failure = new Error(
        `outbox: cannot commit ${batch.length} result(s) from seq ${String(first)} to ${this.path} (${describe(error)}); ` +
          'check free space on the card and the file permissions',
        { cause: error },
      );
      for (const p of batch) p.reject(failure);
      if (acks.length > 0) this.#logger.warn({ path: this.path, err: describe(error) }, 'outbox: could not delete acknowledged rows; they will be sent again');
      return;
    }
    this.#depth += added - removed - droppedFull;
    this.#appended += added;
    if (droppedFull > 0) {
      this.#droppedFull += droppedFull;
      this.#unloggedDrops.full += droppedFull;
      this.#logDrops();
    }
    for (const p of batch) p.resolve();
    if (added > 0) for (const listener of this.#appendListeners) listener();
  }

  #deleteIds(ids: readonly number[]): number {
    let deleted = 0;
    for (const id of ids) deleted += this.#deleteById.run(id).changes;
    return deleted;
  }

  #logDrops(force = false): void {
    const { full, age } = this.#unloggedDrops;
    if (full + age === 0) return;
    const now = this.#now();
    if (!force && now - this.#lastDropLogMs < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLogMs = now;
    this.#unloggedDrops = { full: 0, age: 0 };
    this.#logger.warn(
      {
        path: this.path,
        droppedFull: full,
        droppedAge: age,
        droppedFullTotal: this.#droppedFull,
        droppedAgeTotal: this.#droppedAge,
        depth: this.#depth,
        maxMessages: this.#options.maxMessages,
        maxAgeS: this.#options.maxAgeS,
      },
      'outbox: dropped the oldest results (outbox full or too old); raise sinks.mqtt.outbox.maxMessages/maxAgeS or restore the link',
    );
  }
}

interface RowRecord {
  id: number;
  topic: string;
  flight_id: string;
  seq: number;
  payload: string;
  enqueued_at_ms: number;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.startsWith(code) ? `${code}: ${message}` : message;
}
