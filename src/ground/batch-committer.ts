// Groups received messages into batches (up to batch.maxMessages, or batch.maxDelayMs after the first), writes each
// batch in one transaction, and only then releases the batch's acknowledgements; a failed write is retried, never acked.
import type { Logger } from '../platform/logger.js';
import type { AckToken } from './deferred-puback.js';
import type { FlightKey, GroundRecord, GroundStore, WriteOutcome } from './ground-store.js';

export interface Pending {
  record: GroundRecord;
  ack: AckToken | null;
}

export interface CommitterOptions {
  store: GroundStore;
  maxMessages: number;
  maxDelayMs: number;
  trackRebuildMs: number;
  /** Class map cell size; 0 = no class map. */
  classMapCellM: number;
  /** Above this many received-but-uncommitted messages, admit() holds mqtt.js back from reading more. */
  maxBacklog: number;
  /** Sends the acknowledgements of a committed batch (in arrival order). */
  release(acks: readonly (AckToken | null)[]): void;
  logger: Logger;
}

export interface GroundCounts {
  received: number;
  resultsStored: number;
  /** Results already in the store when they came again (redeliveries after a restart or a lost PUBACK). */
  resultsDuplicate: number;
  rejected: number;
  ignored: number;
  health: number;
  flights: number;
  statuses: number;
  batches: number;
  /** Batches whose write failed (and was retried). */
  writeFailures: number;
  tracks: number;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export class BatchCommitter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private trackTimer: NodeJS.Timeout;
  /** Commits and track rebuilds run one at a time: a store has one connection and one transaction at a time. */
  private queue: Promise<void> = Promise.resolve();
  private draining = false;
  private closing = false;
  private readonly dirtyFlights = new Map<string, FlightKey>();
  private readonly admitWaiting: Array<() => void> = [];
  readonly counts: GroundCounts = {
    received: 0,
    resultsStored: 0,
    resultsDuplicate: 0,
    rejected: 0,
    ignored: 0,
    health: 0,
    flights: 0,
    statuses: 0,
    batches: 0,
    writeFailures: 0,
    tracks: 0,
  };

  constructor(private readonly options: CommitterOptions) {
    this.trackTimer = setInterval(() => void this.rebuildTracks(), options.trackRebuildMs);
  }

  add(entry: Pending): void {
    if (this.closing) return; // not committed, so never acknowledged: the broker delivers it again next time
    this.counts.received += 1;
    this.pending.push(entry);
    if (this.pending.length >= this.options.maxMessages) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
  }

  /**
   * Lets mqtt.js read the next packet (`go`) now, or once a commit has made room. The broker's Receive Maximum
   * should bound what we hold, but Mosquitto 2.0.11 overshoots it as soon as PUBACKs come back in bulk (measured:
   * 14,000 unacknowledged with a Receive Maximum of 1,000), so memory is bounded here, on our side.
   */
  admit(go: () => void): void {
    if (this.pending.length < this.options.maxBacklog || this.closing) go();
    else this.admitWaiting.push(go);
  }

  private wake(): void {
    while (this.admitWaiting.length > 0 && (this.pending.length < this.options.maxBacklog || this.closing)) this.admitWaiting.shift()?.();
  }

  /** Messages received and not yet committed. */
  get backlog(): number {
    return this.pending.length;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.draining) return;
    this.draining = true;
    this.queue = this.queue
      .then(() => this.drain())
      .catch((error: unknown) => this.options.logger.error({ err: (error as Error).message }, 'ground: batch loop failed'))
      .finally(() => (this.draining = false));
  }

  /** Commits full batches back to back; a partial batch waits for its delay (or for close()). */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxMessages);
      // Reading resumes while this batch commits, so the next one fills meanwhile.
      this.wake();
      await this.commit(batch);
      if (this.pending.length > 0 && this.pending.length < this.options.maxMessages && !this.closing) {
        this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
        return;
      }
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const records = batch.map((p) => p.record);
    let delay = RETRY_MIN_MS;
    let outcome: WriteOutcome;
    for (;;) {
      try {
        outcome = await this.options.store.write(records);
        break;
      } catch (error) {
        this.counts.writeFailures += 1;
        this.options.logger.error(
          { store: this.options.store.description, messages: records.length, retryInMs: delay, err: (error as Error).message },
          'ground: cannot write a batch; nothing of it is acknowledged, retrying',
        );
        // While closing, give up: unacknowledged messages stay with the broker for the next start.
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    this.options.release(batch.map((p) => p.ack));
    this.count(records, outcome);
  }

  private count(records: readonly GroundRecord[], outcome: WriteOutcome): void {
    const c = this.counts;
    c.batches += 1;
    c.resultsStored += outcome.resultsInserted;
    c.resultsDuplicate += outcome.resultsDuplicate;
    for (const r of records) {
      if (r.kind === 'rejected') c.rejected += 1;
      else if (r.kind === 'ignored') c.ignored += 1;
      else if (r.kind === 'health') c.health += 1;
      else if (r.kind === 'flight') c.flights += 1;
      else if (r.kind === 'status') c.statuses += 1;
      else this.dirtyFlights.set(`${r.result.droneId}\u0000${r.result.flightId}`, { droneId: r.result.droneId, flightId: r.result.flightId });
    }
  }

  /** Tracks and class cells are derived data: rebuilt on a timer rather than in every batch, so long flights do not slow commits. */
  private rebuildTracks(): Promise<void> {
    if (this.dirtyFlights.size === 0) return this.queue;
    const flights = [...this.dirtyFlights.values()];
    this.dirtyFlights.clear();
    this.queue = this.queue.then(async () => {
      try {
        this.counts.tracks = await this.options.store.rebuildTracks(flights);
        if (this.options.classMapCellM > 0) await this.options.store.rebuildClassCells(flights, this.options.classMapCellM);
      } catch (error) {
        for (const f of flights) this.dirtyFlights.set(`${f.droneId}\u0000${f.flightId}`, f);
        this.options.logger.warn(
          { err: (error as Error).message, flights: flights.length },
          'ground: cannot rebuild flight tracks and class cells; trying again later',
        );
      }
    });
    return this.queue;
  }

  /** Commits what has arrived (its acknowledgements go out while the link is up), rebuilds tracks, stops the timers. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    clearInterval(this.trackTimer);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = this.queue.then(() => this.drain());
    await this.queue;
    await this.rebuildTracks();
  }
}
