// The PositionSource port: where the camera was when a frame was captured.
import type { Frame } from '../capture/frame-source.js';
import type { Attitude, Track } from './track.js';
import type { ArmingChange } from './mavlink-telemetry.js';
import type { PositionHealth } from './telemetry-health.js';

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
  /**
   * The camera gimbal's attitude at capture time in the earth frame (yaw from true north), when the source reports
   * a fresh one (MAVLink GIMBAL_DEVICE_ATTITUDE_STATUS); the footprint then uses it instead of the mount angles.
   */
  gimbal?: Attitude | null;
}

/** A position, or null with a reason a human can act on. */
export type PositionLookup = { position: Position; reason?: undefined } | { position: null; reason: string };

/** GPS time as seen live by a source, against this computer's clock. */
export interface GpsTimeReference {
  /** This computer's clock minus GPS time, ms, including the smallest delivery delay seen. */
  systemMinusGpsMs: number;
  /** What it was measured from ("gpsd TPV time", "NMEA RMC date and time", "MAVLink SYSTEM_TIME"). */
  from: string;
}

export interface PositionSource {
  positionFor(frame: Frame): Promise<PositionLookup>;
  /** The telemetry track, for sources built on one (nmea, gpsd, recording): a flight recorder observes it. */
  readonly track?: Track;
  /** The clock the track's sample times are on: GPS time (gpsd, NMEA) or this computer's (MAVLink boot times mapped on arrival). */
  readonly trackClock?: 'gps' | 'system';
  /** Live telemetry state for the health report. */
  health?(): PositionHealth;
  /** GPS time against this computer's clock, once a live source has seen it; null before (or for log files). */
  gpsTime?(): GpsTimeReference | null;
  /** The vehicle's arming changes (MAVLink): every one so far, then each new one; returns the unsubscribe. */
  observeArming?(listener: (change: ArmingChange) => void): () => void;
  close(): Promise<void>;
}
