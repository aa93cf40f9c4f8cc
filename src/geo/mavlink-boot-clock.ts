// Maps an autopilot's time_boot_ms onto the receiver's wall clock, the clock frames are stamped with, without trusting arrival times.
//
// Each packet gives one observation: receivedMs - timeBootMs = offset + link delay. The delay is never negative,
// so the smallest observation is the best estimate of the offset; late, queued or reordered packets only raise
// it and are ignored. The minimum is taken over a sliding window (by receive time) so that slow drift between
// the two clocks, or a step of the receiver's clock, is followed within one window. The remaining error is the
// smallest link delay seen in the window (a few ms over a local UDP link), the same for every sample, which is
// what interpolating at frame times needs.

export interface BootClockOptions {
  /** The minimum is taken over observations received in the last windowMs. */
  windowMs: number;
  /** time_boot_ms going back by more than this is a reboot of the autopilot (reordering moves it back by far less). */
  rebootBackstepMs: number;
}

export const DEFAULT_BOOT_CLOCK_OPTIONS: BootClockOptions = { windowMs: 30_000, rebootBackstepMs: 5_000 };

const BUCKETS = 4;

export class BootClock {
  private readonly options: BootClockOptions;
  /** Minimum observation per quarter-window, newest last. */
  private buckets: Array<{ startMs: number; min: number }> = [];
  private newestBootMs: number | null = null;
  /** How often the autopilot's boot time went backwards (a reboot): the mapping then starts again. */
  reboots = 0;

  constructor(options: Partial<BootClockOptions> = {}) {
    this.options = { ...DEFAULT_BOOT_CLOCK_OPTIONS, ...options };
  }

  /** Records a packet's boot time and when it arrived; returns 'reboot' when the boot time jumped back. */
  observe(timeBootMs: number, receivedMs: number): 'ok' | 'reboot' {
    let outcome: 'ok' | 'reboot' = 'ok';
    if (this.newestBootMs !== null && timeBootMs < this.newestBootMs - this.options.rebootBackstepMs) {
      this.buckets = [];
      this.newestBootMs = null;
      this.reboots++;
      outcome = 'reboot';
    }
    this.newestBootMs = Math.max(this.newestBootMs ?? timeBootMs, timeBootMs);
    const candidate = receivedMs - timeBootMs;
    const width = this.options.windowMs / BUCKETS;
    const last = this.buckets[this.buckets.length - 1];
    if (last && receivedMs >= last.startMs && receivedMs < last.startMs + width) {
      last.min = Math.min(last.min, candidate);
    } else if (!last || receivedMs >= last.startMs + width) {
      this.buckets.push({ startMs: receivedMs, min: candidate });
      while (this.buckets.length > BUCKETS) this.buckets.shift();
    } else {
      // The receiver's clock stepped back: what came before was measured on another scale.
      this.buckets = [{ startMs: receivedMs, min: candidate }];
    }
    return outcome;
  }

  /** receivedMs - timeBootMs with the link delay taken out (as far as the window allows); null before any packet. */
  get offsetMs(): number | null {
    if (this.buckets.length === 0) return null;
    return Math.min(...this.buckets.map((b) => b.min));
  }

  /** The wall-clock time of an autopilot boot time, or null before any observation. */
  toWallMs(timeBootMs: number): number | null {
    const offset = this.offsetMs;
    return offset === null ? null : timeBootMs + offset;
  }
}
