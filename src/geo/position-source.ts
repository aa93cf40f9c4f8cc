// The PositionSource port: where the camera was when a frame was captured.
import type { Frame } from '../capture/frame-source.js';
import type { Track } from './track.js';
import type { ArmingChange } from './mavlink-telemetry.js';
import type { PositionHealth } from './telemetry-health.js';

import type { Position } from './position-schema.js';

// One definition of a position, the zod schema the result payload embeds (fields documented there).
export type { Position };

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
