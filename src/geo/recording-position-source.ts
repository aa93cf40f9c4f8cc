// Position source over a recording's telemetry.jsonl: every recorded fix and attitude sample goes into a Track, and each frame is interpolated on it.
import type { Frame } from '../capture/frame-source.js';
import type { TelemetryRecord } from '../flight/recording-format.js';
import type { PositionLookup, PositionSource } from './position-source.js';
import { Track, type TrackOptions } from './track.js';
import { lookupOnTrack, type LinkState } from './track-lookup.js';

export class RecordingPositionSource implements PositionSource {
  readonly track: Track;
  readonly #link: LinkState = { state: 'up', sinceMs: 0, detail: 'recording' };
  readonly #maxGapMs: number;

  /** `telemetry` in time order (readFlight sorts it); the whole recording is kept, however long. */
  constructor(telemetry: readonly TelemetryRecord[], options: Pick<TrackOptions, 'maxExtrapolationMs' | 'maxGapMs'>) {
    this.track = new Track({ ...options, retentionMs: Infinity, maxSamples: Number.MAX_SAFE_INTEGER });
    this.#maxGapMs = options.maxGapMs;
    for (const s of telemetry) {
      if (s.kind === 'fix') {
        this.track.addFix({ timeMs: s.timeMs, fix: s.fix, fixType: s.fixType, hdop: s.hdop, satellites: s.satellites, courseDeg: s.courseDeg, speedMps: s.speedMps });
      } else if (s.kind === 'attitude') {
        this.track.addAttitude({ timeMs: s.timeMs, rollDeg: s.rollDeg, pitchDeg: s.pitchDeg, yawDeg: s.yawDeg });
      }
    }
  }

  positionFor(frame: Frame): Promise<PositionLookup> {
    // Everything is already in the track: never wait for a sample that cannot arrive.
    return lookupOnTrack(this.track, frame.capturedAtMs, 'recording', this.#link, { waitForSampleMs: 0, maxGapMs: this.#maxGapMs });
  }

  async close(): Promise<void> {}
}
