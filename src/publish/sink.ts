// The Sink port: every result goes to every configured sink; a sink never blocks the pipeline for long.
import type { Result } from './result-schema.js';

export interface Sink {
  readonly name: string;
  /** Accept one result. Resolves once the sink has taken responsibility for it. */
  write(result: Result): Promise<void>;
  /** Flush what is pending (bounded by the sink's own timeout) and release resources. */
  close(): Promise<void>;
}
