// What a live position source reports in the health document: link state, sample rate and age, fix quality, damaged input.
import type { FixSample, Track } from './track.js';

/** The position source's part of `health` (see HealthSchema.position). */
export interface PositionHealth {
  /** The configured position type. */
  type: string;
  /** udp | serial | tcp | file | tlog */
  input: string;
  link: 'up' | 'down';
  /** Why, in words: "receiving", "no NMEA datagram for 4000 ms", "ECONNREFUSED"... */
  linkDetail: string;
  /** Times the link went down and came back (or gpsd reconnected), since the start. */
  linkLosses: number;
  /** Since the newest position sample arrived here, ms; null before the first. */
  lastSampleAgeMs: number | null;
  /** Position samples per second over the last few seconds. */
  samplesPerS: number;
  /** From the newest position sample: 0 no fix, 2 2D, 3 3D; null before the first. */
  fixType: number | null;
  satellites: number | null;
  hdop: number | null;
  /** Input that failed its checksum or could not be parsed (NMEA sentences, MAVLink packets, gpsd lines), since the start. */
  garbled: number;
  /** MAVLink: packets missing from the vehicle's sequence numbers; null for other sources. */
  droppedPackets: number | null;
}

const RATE_WINDOW_MS = 10_000;

/** Watches a track's samples as they arrive (arrival time on this computer's clock) for the health report. */
export class TelemetryMonitor {
  readonly #arrivals: number[] = [];
  #firstArrivalMs: number | null = null;
  #newest: FixSample | null = null;
  #lastArrivalMs: number | null = null;

  constructor(
    track: Track,
    private readonly now: () => number = Date.now,
  ) {
    track.observe((s) => {
      if (s.kind === 'fix') this.#sample(s.sample);
    });
  }

  #sample(sample: FixSample): void {
    // NMEA sends an epoch early and again when it is complete: one sample, counted once.
    const repeat = this.#newest !== null && sample.timeMs === this.#newest.timeMs;
    if (this.#newest === null || sample.timeMs >= this.#newest.timeMs) this.#newest = sample;
    if (repeat) return;
    const at = this.now();
    this.#lastArrivalMs = at;
    this.#firstArrivalMs ??= at;
    this.#arrivals.push(at);
    while ((this.#arrivals[0] as number) < at - RATE_WINDOW_MS) this.#arrivals.shift();
  }

  snapshot(): Pick<PositionHealth, 'lastSampleAgeMs' | 'samplesPerS' | 'fixType' | 'satellites' | 'hdop'> {
    const at = this.now();
    // Over the last 10 s, or since the first sample when that is more recent (at least 1 s, so one sample is not a burst).
    const windowMs = Math.min(RATE_WINDOW_MS, Math.max(1_000, at - (this.#firstArrivalMs ?? at)));
    const recent = this.#arrivals.filter((t) => t >= at - windowMs).length;
    const n = this.#newest;
    return {
      lastSampleAgeMs: this.#lastArrivalMs === null ? null : Math.max(0, at - this.#lastArrivalMs),
      samplesPerS: (recent * 1000) / windowMs,
      fixType: n ? n.fixType : null,
      satellites: n ? n.satellites : null,
      hdop: n ? n.hdop : null,
    };
  }
}
