// Backoff between service restarts after transient faults: systemd 252 (Debian 12, Raspberry Pi OS) restarts at a fixed
// pace, so the service remembers its consecutive failures in its state directory and waits longer each time.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RestartBackoffOptions {
  /** Where the failure count lives (systemd's $STATE_DIRECTORY); null = not a service, no backoff. */
  dir: string | null;
  /** Delay after the first failure in a row; doubles per failure up to maxMs. */
  baseMs?: number;
  /** Must stay below the unit's TimeoutStartSec (180 s): the wait happens before READY=1. */
  maxMs?: number;
  /** A failure longer ago than this starts the count afresh. */
  forgetAfterMs?: number;
  now?: () => number;
}

interface State {
  consecutiveFailures: number;
  lastFailureAtMs: number;
  lastError: string;
}

const FILE = 'restart-backoff.json';

export class RestartBackoff {
  readonly #file: string | null;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #forgetAfterMs: number;
  readonly #now: () => number;

  constructor(options: RestartBackoffOptions) {
    this.#file = options.dir === null ? null : join(options.dir, FILE);
    this.#baseMs = options.baseMs ?? 10_000;
    this.#maxMs = options.maxMs ?? 120_000;
    this.#forgetAfterMs = options.forgetAfterMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Under systemd with a StateDirectory (INVOCATION_ID and STATE_DIRECTORY set); elsewhere a no-op. */
  static forThisProcess(env: NodeJS.ProcessEnv = process.env): RestartBackoff {
    const dir = env['INVOCATION_ID'] && env['STATE_DIRECTORY'] ? (env['STATE_DIRECTORY'].split(':')[0] ?? null) : null;
    return new RestartBackoff({ dir });
  }

  /** How long to wait before starting again, and why; 0 after a success or a quiet spell. */
  delay(): { ms: number; failures: number; lastError: string } {
    const state = this.#read();
    if (!state || state.consecutiveFailures === 0 || this.#now() - state.lastFailureAtMs > this.#forgetAfterMs) {
      return { ms: 0, failures: 0, lastError: '' };
    }
    const ms = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(state.consecutiveFailures - 1, 20));
    return { ms, failures: state.consecutiveFailures, lastError: state.lastError };
  }

  /** The service exits on a fault a restart may cure. */
  recordFailure(error: string): void {
    const state = this.#read();
    const fresh = !state || this.#now() - state.lastFailureAtMs > this.#forgetAfterMs;
    this.#write({ consecutiveFailures: (fresh ? 0 : state.consecutiveFailures) + 1, lastFailureAtMs: this.#now(), lastError: error.slice(0, 300) });
  }

  /** The pipeline works again (first frame classified): the next fault restarts at once. */
  recordSuccess(): void {
    if (this.#read()?.consecutiveFailures) this.#write({ consecutiveFailures: 0, lastFailureAtMs: 0, lastError: '' });
  }

  #read(): State | null {
    if (this.#file === null) return null;
    try {
      const parsed = JSON.parse(readFileSync(this.#file, 'utf8')) as Partial<State>;
      if (typeof parsed.consecutiveFailures !== 'number' || typeof parsed.lastFailureAtMs !== 'number') return null;
      return { consecutiveFailures: parsed.consecutiveFailures, lastFailureAtMs: parsed.lastFailureAtMs, lastError: String(parsed.lastError ?? '') };
    } catch {
      // Missing or damaged: start from no failures rather than refuse to fly.
      return null;
    }
  }

  #write(state: State): void {
    if (this.#file === null) return;
    try {
      mkdirSync(join(this.#file, '..'), { recursive: true });
      // Written aside and renamed: a power cut mid-write leaves the old count, not a torn file.
      writeFileSync(`${this.#file}.tmp`, JSON.stringify(state));
      renameSync(`${this.#file}.tmp`, this.#file);
    } catch {
      // The backoff is a courtesy to the SoC and the journal; failing to record it must not stop a flight.
    }
  }
}
