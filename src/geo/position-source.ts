// The PositionSource port: where the camera was when a frame was captured.
import type { Frame } from '../capture/frame-source.js';
import type { Attitude, Track } from './track.js';

export interface Position {
  latDeg: number;
  lonDeg: number;
  /** Altitude above mean sea level, metres, when known. */
  altMslM: number | null;
  /** Height above ground, metres, when known (relative altitude from the flight controller or DJI XMP). */
  altAglM: number | null;
  source: 'exif' | 'gpsd' | 'mavlink' | 'nmea' | 'fixed' | 'recording';
  /** 0 no fix, 2 2D, 3 3D; null when the source does not say (EXIF). */
  fixType: number | null;
  hdop: number | null;
  satellites: number | null;
  /** |capture time - nearest sample time| in ms; 0 when the sample belongs to the frame itself (EXIF). */
  sampleAgeMs: number;
  /** Course over ground, degrees from true north, when the source reports one (heading fallback for the footprint). */
  courseDeg: number | null;
  /** Vehicle attitude at capture time, when the source reports one (gpsd ATT, MAVLink ATTITUDE). */
  attitude: Attitude | null;
}

/** A position, or null with a reason a human can act on. */
export type PositionLookup = { position: Position; reason?: undefined } | { position: null; reason: string };

export interface PositionSource {
  positionFor(frame: Frame): Promise<PositionLookup>;
  /** The telemetry track, for sources built on one (nmea, gpsd, recording): a flight recorder observes it. */
  readonly track?: Track;
  close(): Promise<void>;
}
