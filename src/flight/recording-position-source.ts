// Position source over a recording's telemetry.jsonl: every recorded fix and attitude sample goes into a Track, and each frame is interpolated on it (an imported photo answers with its own geotag).
import type { Frame } from '../capture/frame-source.js';
import type { TelemetryRecord } from './recording-format.js';
import type { PositionLookup, PositionSource } from '../geo/position-source.js';
import { Track, type TrackOptions } from '../geo/track.js';
import { lookupOnTrack, type LinkState } from '../geo/track-lookup.js';

export class RecordingPositionSource implements PositionSource {
  readonly track: Track;
  readonly #link: LinkState = { state: 'up', sinceMs: 0, detail: 'recording' };
  readonly #maxGapMs: number;
  readonly #options: Pick<TrackOptions, 'maxExtrapolationMs' | 'maxGapMs'>;

  /** `telemetry` in time order (readFlight sorts it); the whole recording is kept, however long. */
  constructor(telemetry: readonly TelemetryRecord[], options: Pick<TrackOptions, 'maxExtrapolationMs' | 'maxGapMs'>) {
    this.track = new Track({ ...options, retentionMs: Infinity, maxSamples: Number.MAX_SAFE_INTEGER });
    this.#maxGapMs = options.maxGapMs;
    this.#options = { maxExtrapolationMs: options.maxExtrapolationMs, maxGapMs: options.maxGapMs };
    for (const s of telemetry) {
      if (s.kind === 'fix') {
        this.track.addFix({
          timeMs: s.timeMs,
          fix: s.fix,
          fixType: s.fixType,
          hdop: s.hdop,
          satellites: s.satellites,
          courseDeg: s.courseDeg,
          speedMps: s.speedMps,
        });
      } else if (s.kind === 'attitude') {
        this.track.addAttitude({ timeMs: s.timeMs, rollDeg: s.rollDeg, pitchDeg: s.pitchDeg, yawDeg: s.yawDeg });
      }
    }
  }

  async positionFor(frame: Frame): Promise<PositionLookup> {
    // Everything is already in the track: never wait for a sample that cannot arrive.
    const options = { waitForSampleMs: 0, maxGapMs: this.#maxGapMs };
    const own = frame.ownPosition;
    if (own === undefined) return lookupOnTrack(this.track, frame.capturedAtMs, 'recording', this.#link, options);
    // An imported photo geotags itself: two photos of the same second have one time in the telemetry and the track keeps
    // one of them. Its own samples alone, in a track of their own, give the answer the track gives for a photo alone
    // at its second (same numbers, same rounding), so replays of photos that share no second do not change.
    const t = frame.capturedAtMs;
    const alone = new Track({ ...this.#options, retentionMs: Infinity });
    const fix = own === null ? null : { latDeg: own.latDeg, lonDeg: own.lonDeg, altMslM: own.altMslM, altAglM: own.altAglM };
    alone.addFix({ timeMs: t, fix, fixType: fix ? 3 : 0, hdop: null, satellites: null, courseDeg: null, speedMps: null });
    if (own?.attitude) alone.addAttitude({ timeMs: t, ...own.attitude });
    const got = await lookupOnTrack(alone, t, 'recording', this.#link, options);
    // Without an attitude of its own, the photo's is what the recording's other attitude samples give at its time.
    if (got.position && !own?.attitude) got.position.attitude = this.track.attitudeAt(t);
    return got;
  }

  async close(): Promise<void> {}
}
