// A one-frame mailbox between a live camera and the pipeline: the newest frame waits, an older waiting one is dropped.

/**
 * A live camera does not wait for the classifier. Queueing its frames would make every result older
 * than the last; instead one slot holds the newest frame, a frame arriving while the slot is full
 * replaces it (a 'classifier-busy' drop), and the pipeline takes whatever is newest when it is ready.
 */
export class LatestFrameSlot<T> {
  private waiting: T | null = null;
  private taker: ((value: T | null) => void) | null = null;
  private closed = false;

  constructor(private readonly onReplaced: (dropped: T) => void) {}

  put(value: T): void {
    if (this.closed) return;
    if (this.taker) {
      const take = this.taker;
      this.taker = null;
      take(value);
      return;
    }
    if (this.waiting !== null) this.onReplaced(this.waiting);
    this.waiting = value;
  }

  /** The newest frame, waiting for one if none is there; null once closed. One taker at a time. */
  take(): Promise<T | null> {
    if (this.waiting !== null) {
      const value = this.waiting;
      this.waiting = null;
      return Promise.resolve(value);
    }
    if (this.closed) return Promise.resolve(null);
    if (this.taker) throw new Error('LatestFrameSlot.take: a take() is already pending; frames go to one consumer');
    return new Promise((resolve) => {
      this.taker = resolve;
    });
  }

  /** Wakes a pending take() with null; a frame still waiting is kept for one last take(). */
  close(): void {
    this.closed = true;
    const take = this.taker;
    this.taker = null;
    take?.(null);
  }
}
