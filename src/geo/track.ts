// A bounded, time-indexed track of telemetry samples that answers "where, and how oriented, at time t" by interpolation.
import { angleDiffDeg, wrap180 } from './angles.js';
import type { Attitude } from './attitude.js';
import { gimbalEarthAttitude, nlerpQuaternion, type GimbalYawFrame, type Quaternion } from './gimbal-attitude.js';

/** A position sample; `fix: null` records that the receiver said "no fix" at that time (a state, kept in the track). */
export interface FixSample {
  timeMs: number;
  fix: {
    latDeg: number;
    lonDeg: number;
    altMslM: number | null;
    altAglM: number | null;
  } | null;
  /** 0 no fix, 2 2D, 3 3D. */
  fixType: number;
  hdop: number | null;
  satellites: number | null;
  /** Course over ground, degrees from true north, when the receiver reports one. */
  courseDeg: number | null;
  speedMps: number | null;
}

export interface AttitudeSample extends Attitude {
  timeMs: number;
}

/** A camera gimbal's attitude (GIMBAL_DEVICE_ATTITUDE_STATUS): roll and pitch to the horizon, yaw per `yawFrame`. */
export interface GimbalSample {
  timeMs: number;
  q: Quaternion;
  yawFrame: GimbalYawFrame;
  /** The vehicle's heading as the gimbal saw it (MAVLink delta_yaw), degrees; null when not reported. */
  vehicleYawDeg: number | null;
}

export interface TrackOptions {
  /** Past the newest (or before the oldest) sample, answer for at most this long; beyond it the track is stale. */
  maxExtrapolationMs: number;
  /** Two samples further apart than this are not interpolated across: a frame between them gets "gap". */
  maxGapMs: number;
  /** Samples older than the newest minus this are dropped (the ring is by time)... */
  retentionMs: number;
  /** ...and never more than this many are kept, whatever their times. */
  maxSamples: number;
  /** A gimbal attitude further than this from the frame's time is not used (the mount angles are); default 1000, 0 = never. */
  gimbalMaxAgeMs?: number;
}

export const DEFAULT_TRACK_OPTIONS: TrackOptions = {
  maxExtrapolationMs: 200,
  maxGapMs: 2_500,
  retentionMs: 120_000,
  maxSamples: 20_000,
};

export interface TrackFix {
  latDeg: number;
  lonDeg: number;
  altMslM: number | null;
  altAglM: number | null;
  fixType: number;
  hdop: number | null;
  satellites: number | null;
  courseDeg: number | null;
  /** Interpolated vehicle attitude at the same time, when the source reports one. */
  attitude: Attitude | null;
  /** The camera gimbal's attitude in the earth frame at the same time, when one is reported and fresh. */
  gimbal: Attitude | null;
  /** Distance in time to the nearest position sample used. */
  sampleAgeMs: number;
}

export type TrackLookup = { fix: TrackFix; reason?: undefined } | { fix: null; reason: string };

/** A sample as the track accepted it, for observers (a flight recorder keeps the raw telemetry). */
export type TrackSample = { kind: 'fix'; sample: FixSample } | { kind: 'attitude'; sample: AttitudeSample };

/** Samples sorted by time, trimmed by age and count; insertion tolerates mild reordering. */
class TimeRing<T extends { timeMs: number }> {
  readonly items: T[] = [];

  constructor(private readonly options: TrackOptions) {}

  get newest(): T | undefined {
    return this.items[this.items.length - 1];
  }

  /** Returns 'reset' when the sample jumps back in time by more than the gap limit (the clock restarted). */
  add(sample: T): 'added' | 'replaced' | 'reset' {
    const items = this.items;
    const newest = this.newest;
    let outcome: 'added' | 'replaced' | 'reset' = 'added';
    if (newest && sample.timeMs < newest.timeMs - this.options.maxGapMs) {
      // Receivers restarted or logs concatenated: the old samples describe another time line, forget them.
      items.length = 0;
      outcome = 'reset';
    }
    const i = this.firstAtOrAfter(sample.timeMs);
    if (items[i]?.timeMs === sample.timeMs) {
      items[i] = sample;
      outcome = 'replaced';
    } else {
      items.splice(i, 0, sample);
    }
    const newestMs = (this.newest as T).timeMs;
    let drop = 0;
    while (drop < items.length - 1 && (items[drop] as T).timeMs < newestMs - this.options.retentionMs) drop++;
    drop = Math.max(drop, items.length - this.options.maxSamples);
    if (drop > 0) items.splice(0, drop);
    return outcome;
  }

  /** Index of the first sample with timeMs >= t (items.length when none). */
  firstAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.items[mid] as T).timeMs < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lerp(a: number, b: number, f: number): number {
  return a + (b - a) * f;
}

function lerpNullable(a: number | null, b: number | null, f: number): number | null {
  return a === null || b === null ? null : lerp(a, b, f);
}

function lerpAngle(a: number, b: number, f: number): number {
  return wrap180(a + angleDiffDeg(a, b) * f);
}

function fmtTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

export class Track {
  private readonly options: TrackOptions;
  private readonly fixes: TimeRing<FixSample>;
  private readonly attitudes: TimeRing<AttitudeSample>;
  private readonly gimbals: TimeRing<GimbalSample>;
  private waiters: Array<{ timeMs: number; resolve: () => void; timer: NodeJS.Timeout }> = [];
  private readonly observers = new Set<(s: TrackSample) => void>();
  /** How often the time line jumped backwards and the track restarted. */
  resets = 0;

  constructor(options: Partial<TrackOptions> = {}) {
    this.options = { ...DEFAULT_TRACK_OPTIONS, ...options };
    this.fixes = new TimeRing(this.options);
    this.attitudes = new TimeRing(this.options);
    this.gimbals = new TimeRing(this.options);
  }

  get size(): number {
    return this.fixes.items.length;
  }

  get newestMs(): number | null {
    return this.fixes.newest?.timeMs ?? null;
  }

  /**
   * Calls `listener` with every sample the track holds now, then with each one it accepts; returns the
   * unsubscribe. Samples the ring later trims were still seen, so an observer gets the whole telemetry.
   */
  observe(listener: (s: TrackSample) => void): () => void {
    const held: TrackSample[] = [
      ...this.fixes.items.map((sample): TrackSample => ({ kind: 'fix', sample })),
      ...this.attitudes.items.map((sample): TrackSample => ({ kind: 'attitude', sample })),
    ];
    for (const s of held.sort((a, b) => a.sample.timeMs - b.sample.timeMs)) listener(s);
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  addFix(sample: FixSample): void {
    if (!Number.isFinite(sample.timeMs)) return;
    if (this.fixes.add(sample) === 'reset') {
      this.resets++;
      this.attitudes.items.length = 0;
      this.gimbals.items.length = 0;
    }
    for (const o of this.observers) o({ kind: 'fix', sample });
    this.wake();
  }

  addAttitude(sample: AttitudeSample): void {
    if (!Number.isFinite(sample.timeMs)) return;
    // Sources disagree on ranges (MAVLink yaw is -180..180, gpsd heading 0..360): store one convention.
    const normalised: AttitudeSample = {
      timeMs: sample.timeMs,
      rollDeg: wrap180(sample.rollDeg),
      pitchDeg: wrap180(sample.pitchDeg),
      yawDeg: (wrap180(sample.yawDeg) + 360) % 360,
    };
    this.attitudes.add(normalised);
    for (const o of this.observers) o({ kind: 'attitude', sample: normalised });
  }

  /** A gimbal attitude sample (not passed to observers: the recording format keeps vehicle telemetry only). */
  addGimbal(sample: GimbalSample): void {
    if (!Number.isFinite(sample.timeMs) || sample.q.some((c) => !Number.isFinite(c))) return;
    this.gimbals.add(sample);
  }

  /**
   * Resolves once a position sample at or after `timeMs` is in the track, or after `timeoutMs`:
   * a live frame is usually captured before the fix that brackets it arrives.
   */
  waitForSampleAfter(timeMs: number, timeoutMs: number): Promise<void> {
    const newest = this.newestMs;
    if ((newest !== null && newest >= timeMs) || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        timeMs,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Releases everyone waiting (the source is closing). */
  releaseWaiters(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.waiters = [];
  }

  private wake(): void {
    const newest = this.newestMs;
    if (newest === null || this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.timeMs <= newest);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.timeMs > newest);
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  /** The position at time t, or null with the reason (no samples, no fix, stale, gap). */
  at(t: number): TrackLookup {
    const items = this.fixes.items;
    const { maxExtrapolationMs, maxGapMs } = this.options;
    if (items.length === 0) return { fix: null, reason: 'no position samples received yet' };
    const i = this.fixes.firstAtOrAfter(t);
    const after = items[i];
    const before = after?.timeMs === t ? after : items[i - 1];

    // A sample exactly at t (a recorded per-frame geotag) is answered as is: interpolating would add rounding noise.
    if (after?.timeMs === t && after.fix) return { fix: this.held(after, t) };
    if (before && after) {
      const nearest = t - before.timeMs <= after.timeMs - t ? before : after;
      const span = after.timeMs - before.timeMs;
      if (span > maxGapMs) {
        return {
          fix: null,
          reason: `telemetry gap: no position sample between ${fmtTime(before.timeMs)} and ${fmtTime(after.timeMs)} (${Math.round(span)} ms > maxGapMs ${maxGapMs})`,
        };
      }
      if (before.fix && after.fix) {
        const f = span === 0 ? 0 : (t - before.timeMs) / span;
        return {
          fix: {
            latDeg: lerp(before.fix.latDeg, after.fix.latDeg, f),
            lonDeg: lerpAngle(before.fix.lonDeg, after.fix.lonDeg, f),
            altMslM: lerpNullable(before.fix.altMslM, after.fix.altMslM, f),
            altAglM: lerpNullable(before.fix.altAglM, after.fix.altAglM, f),
            // Between a 3D and a 2D fix the weaker one is what we can vouch for.
            fixType: Math.min(before.fixType, after.fixType),
            hdop: nearest.hdop,
            satellites: nearest.satellites,
            courseDeg:
              before.courseDeg !== null && after.courseDeg !== null ? (lerpAngle(before.courseDeg, after.courseDeg, f) + 360) % 360 : nearest.courseDeg,
            ...this.orientationAt(t),
            sampleAgeMs: Math.abs(t - nearest.timeMs),
          },
        };
      }
      // One side has no fix: answer from the other only when it is close enough to hold.
      const withFix = before.fix ? before : after.fix ? after : null;
      if (withFix && Math.abs(t - withFix.timeMs) <= maxExtrapolationMs) return { fix: this.held(withFix, t) };
      const noFix = nearest.fix ? (nearest === before ? after : before) : nearest;
      return { fix: null, reason: `no GPS fix: the receiver reported no fix at ${fmtTime(noFix.timeMs)}` };
    }

    const edge = (before ?? after) as FixSample;
    const distance = Math.abs(t - edge.timeMs);
    if (!edge.fix) return { fix: null, reason: `no GPS fix: the receiver reported no fix at ${fmtTime(edge.timeMs)}` };
    if (distance > maxExtrapolationMs) {
      return before
        ? {
            fix: null,
            reason: `stale: the newest position sample (${fmtTime(edge.timeMs)}) is ${Math.round(distance)} ms before the frame (maxExtrapolationMs ${maxExtrapolationMs})`,
          }
        : {
            fix: null,
            reason: `the frame is ${Math.round(distance)} ms before the oldest position sample kept (${fmtTime(edge.timeMs)})`,
          };
    }
    return { fix: before ? this.extrapolated(edge, i - 2, t) : this.held(edge, t) };
  }

  private held(sample: FixSample, t: number): TrackFix {
    const fix = sample.fix as NonNullable<FixSample['fix']>;
    return {
      ...fix,
      fixType: sample.fixType,
      hdop: sample.hdop,
      satellites: sample.satellites,
      courseDeg: sample.courseDeg,
      ...this.orientationAt(t),
      sampleAgeMs: Math.abs(t - sample.timeMs),
    };
  }

  /** Past the newest sample: continue along the last two samples' velocity (bounded by maxExtrapolationMs). */
  private extrapolated(newest: FixSample, prevIndex: number, t: number): TrackFix {
    const out = this.held(newest, t);
    const prev = this.fixes.items[prevIndex];
    if (!prev?.fix || newest.timeMs - prev.timeMs > this.options.maxGapMs || newest.timeMs === prev.timeMs) return out;
    const a = prev.fix;
    const b = newest.fix as NonNullable<FixSample['fix']>;
    const f = (t - prev.timeMs) / (newest.timeMs - prev.timeMs);
    out.latDeg = lerp(a.latDeg, b.latDeg, f);
    out.lonDeg = lerpAngle(a.lonDeg, b.lonDeg, f);
    out.altMslM = lerpNullable(a.altMslM, b.altMslM, f);
    out.altAglM = lerpNullable(a.altAglM, b.altAglM, f);
    return out;
  }

  /** The vehicle's attitude and the gimbal's (earth frame) at t: the gimbal's yaw may be relative to the vehicle's. */
  private orientationAt(t: number): { attitude: Attitude | null; gimbal: Attitude | null } {
    const attitude = this.attitudeAt(t);
    const g = this.gimbalAt(t);
    if (!g) return { attitude, gimbal: null };
    return { attitude, gimbal: gimbalEarthAttitude(g.q, g.yawFrame, attitude?.yawDeg ?? g.vehicleYawDeg) };
  }

  /** The gimbal quaternion at t: interpolated between samples around it, else the nearest within gimbalMaxAgeMs. */
  gimbalAt(t: number): GimbalSample | null {
    const maxAgeMs = this.options.gimbalMaxAgeMs ?? 1_000;
    const items = this.gimbals.items;
    if (items.length === 0 || maxAgeMs <= 0) return null;
    const i = this.gimbals.firstAtOrAfter(t);
    const after = items[i];
    const before = after?.timeMs === t ? after : items[i - 1];
    if (before && after && before !== after && before.yawFrame === after.yawFrame && after.timeMs - before.timeMs <= 2 * maxAgeMs) {
      const f = (t - before.timeMs) / (after.timeMs - before.timeMs);
      const yaws = before.vehicleYawDeg !== null && after.vehicleYawDeg !== null;
      return {
        timeMs: t,
        q: nlerpQuaternion(before.q, after.q, f),
        yawFrame: before.yawFrame,
        vehicleYawDeg: yaws ? (lerpAngle(before.vehicleYawDeg as number, after.vehicleYawDeg as number, f) + 360) % 360 : null,
      };
    }
    const nearest = [before, after].filter((s): s is GimbalSample => s !== undefined).sort((a, b) => Math.abs(t - a.timeMs) - Math.abs(t - b.timeMs))[0];
    return nearest && Math.abs(t - nearest.timeMs) <= maxAgeMs ? nearest : null;
  }

  /** Attitude at t, interpolated on the circle; null when none is close enough. */
  attitudeAt(t: number): Attitude | null {
    const items = this.attitudes.items;
    if (items.length === 0) return null;
    const i = this.attitudes.firstAtOrAfter(t);
    const after = items[i];
    const before = after?.timeMs === t ? after : items[i - 1];
    const { maxExtrapolationMs, maxGapMs } = this.options;
    if (before && after) {
      const span = after.timeMs - before.timeMs;
      if (span > maxGapMs) return null;
      const f = span === 0 ? 0 : (t - before.timeMs) / span;
      return {
        rollDeg: lerpAngle(before.rollDeg, after.rollDeg, f),
        pitchDeg: lerpAngle(before.pitchDeg, after.pitchDeg, f),
        yawDeg: (lerpAngle(before.yawDeg, after.yawDeg, f) + 360) % 360,
      };
    }
    const edge = (before ?? after) as AttitudeSample;
    if (Math.abs(t - edge.timeMs) > maxExtrapolationMs) return null;
    return { rollDeg: edge.rollDeg, pitchDeg: edge.pitchDeg, yawDeg: edge.yawDeg };
  }
}
