// Turns a track lookup into the PositionSource answer for a frame: waits briefly for the bracketing sample, names link loss.
import type { Position, PositionLookup } from './position-source.js';
import type { Track } from './track.js';

/** The link to a telemetry source, as a state: lookups report it, nothing throws because of it. */
export interface LinkState {
  state: 'up' | 'down';
  /** When the link entered this state (ms since the epoch, system clock). */
  sinceMs: number;
  /** What happened last ("connection refused", "no datagram for 3000 ms"...). */
  detail: string;
}

export interface TrackLookupOptions {
  /**
   * How long a lookup may wait for a sample at or after the frame's time. A live frame is captured
   * before the fix that brackets it arrives; waiting turns "latest fix" into interpolation.
   */
  waitForSampleMs: number;
  /** Only wait when the frame is at most this far past the newest sample (a sample is due soon). */
  maxGapMs: number;
}

export async function lookupOnTrack(
  track: Track,
  capturedAtMs: number,
  source: Position['source'],
  link: LinkState,
  options: TrackLookupOptions,
): Promise<PositionLookup> {
  const newest = track.newestMs;
  if (link.state === 'up' && newest !== null && capturedAtMs > newest && capturedAtMs - newest <= options.maxGapMs) {
    await track.waitForSampleAfter(capturedAtMs, options.waitForSampleMs);
  }
  const got = track.at(capturedAtMs);
  if (!got.fix) {
    const linkNote = link.state === 'down' ? `; ${source} link down since ${new Date(link.sinceMs).toISOString()} (${link.detail})` : '';
    return { position: null, reason: `${got.reason}${linkNote}` };
  }
  const f = got.fix;
  return {
    position: {
      latDeg: f.latDeg,
      lonDeg: f.lonDeg,
      altMslM: f.altMslM,
      altAglM: f.altAglM,
      source,
      fixType: f.fixType,
      hdop: f.hdop,
      satellites: f.satellites,
      sampleAgeMs: f.sampleAgeMs,
      courseDeg: f.courseDeg,
      attitude: f.attitude,
      // Only when there is one: results of sources without a gimbal look the same whatever the source.
      ...(f.gimbal ? { gimbal: f.gimbal } : {}),
    },
  };
}
