// The Sink port: every result goes to every configured sink; a sink never blocks the pipeline for long.
import type { Result } from './result-schema.js';

export interface Sink {
  readonly name: string;
  /**
   * Accept one result. Resolves once the sink has taken responsibility for it (durable where the sink is); rejects,
   * naming the seq, for a result that fails ResultSchema (nothing of it is stored) or a write after close.
   */
  write(result: Result): Promise<void>;
  /** Flush what is pending (bounded by the sink's own timeout) and release resources; a second call does nothing more. */
  close(): Promise<void>;
}
