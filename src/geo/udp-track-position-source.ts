// What the UDP telemetry sources (NMEA, MAVLink) share: a Track fed by datagrams or a log file, lookups that
// wait briefly for the bracketing sample and name link loss, and the socket's lifetime.
import type { Socket } from 'node:dgram';
import type { Frame } from '../capture/frame-source.js';
import type { Position, PositionLookup, PositionSource } from './position-source.js';
import { Track, type TrackOptions } from './track.js';
import { lookupOnTrack, type LinkState } from './track-lookup.js';
import { closeUdpTelemetry } from './udp-telemetry-input.js';

export interface TrackSourceOptions {
  track: TrackOptions;
  /** How long a lookup may wait for the sample after a frame (see TrackLookupOptions). */
  waitForSampleMs: number;
}

export abstract class UdpTrackPositionSource implements PositionSource {
  readonly track: Track;
  protected socket: Socket | null = null;
  protected readonly openedMs = Date.now();

  protected constructor(
    private readonly sourceName: Position['source'],
    private readonly lookup: TrackSourceOptions,
  ) {
    this.track = new Track(lookup.track);
  }

  /** Up or down, with why: from the data's silence for UDP, always up for a log file. */
  abstract get link(): LinkState;

  /** The UDP port actually bound (useful with port 0). */
  get port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  positionFor(frame: Frame): Promise<PositionLookup> {
    return lookupOnTrack(this.track, frame.capturedAtMs, this.sourceName, this.link, {
      waitForSampleMs: this.lookup.waitForSampleMs,
      maxGapMs: this.lookup.track.maxGapMs,
    });
  }

  async close(): Promise<void> {
    this.track.releaseWaiters();
    const socket = this.socket;
    this.socket = null;
    await closeUdpTelemetry(socket);
  }
}
