// Pings the systemd watchdog only while the pipeline makes progress: a stalled pipeline (camera hung,
// inference wedged) stops the pings and systemd restarts the service.
import type { SystemdNotifier } from './systemd-notifier.js';

export interface ProgressWatchdogOptions {
  notifier: Pick<SystemdNotifier, 'watchdog' | 'status'>;
  intervalMs: number;
  /** No progress for this long counts as a stall. */
  stallAfterMs: number;
  /** STATUS= text refreshed with each ping (fps etc.). */
  statusText?: () => string;
  now?: () => number;
}

export class ProgressWatchdog {
  private lastProgressMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stalledReported = false;
  private readonly now: () => number;

  constructor(private readonly options: ProgressWatchdogOptions) {
    this.now = options.now ?? (() => performance.now());
    this.lastProgressMs = this.now();
  }

  /** Call on every frame the pipeline finishes. */
  progress(): void {
    this.lastProgressMs = this.now();
    this.stalledReported = false;
  }

  /** One watchdog decision; exposed so tests can drive it without timers. Returns whether it pinged. */
  tick(): boolean {
    const idleMs = this.now() - this.lastProgressMs;
    if (idleMs > this.options.stallAfterMs) {
      if (!this.stalledReported) {
        this.stalledReported = true;
        void this.options.notifier.status(`stalled: no frame for ${Math.round(idleMs / 1000)} s`);
      }
      return false;
    }
    void this.options.notifier.watchdog();
    if (this.options.statusText) void this.options.notifier.status(this.options.statusText());
    return true;
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
