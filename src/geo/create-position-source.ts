// Builds the configured PositionSource and the footprint's camera geometry from the position config.
import type { Config } from '../config/schema.js';
import { CAMERA_MODULE_FOV } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { ExifPositionSource } from './exif-position-source.js';
import { FixedPositionSource } from './fixed-position-source.js';
import type { CameraGeometry } from './footprint.js';
import { GpsdPositionSource } from './gpsd-position-source.js';
import { MavlinkPositionSource } from './mavlink-position-source.js';
import { NmeaPositionSource } from './nmea-position-source.js';
import { NonePositionSource } from './none-position-source.js';
import type { PositionSource } from './position-source.js';
import type { TrackOptions } from './track.js';

function trackOptions(position: Config['position']): TrackOptions {
  const t = position.track;
  return {
    maxExtrapolationMs: t.maxExtrapolationMs,
    maxGapMs: t.maxGapMs,
    retentionMs: t.retentionS * 1000,
    maxSamples: t.maxSamples,
    gimbalMaxAgeMs: position.camera.gimbalMaxAgeMs,
  };
}

/** A serial input needs its device: an empty path is a startup error naming the key. */
function serialInput(serial: { path: string; baudRate: number }, key: string): { type: 'serial'; path: string; baudRate: number } {
  if (serial.path === '') throw new Error(`${key}.path: expected the serial device (e.g. /dev/ttyAMA0) because the input is "serial", received ""`);
  return { type: 'serial', path: serial.path, baudRate: serial.baudRate };
}

export async function createPositionSource(position: Config['position'], logger: Logger): Promise<PositionSource> {
  switch (position.type) {
    case 'exif':
      return new ExifPositionSource();
    case 'fixed':
      return new FixedPositionSource(position.fixed);
    case 'none':
      return new NonePositionSource();
    case 'nmea': {
      const n = position.nmea;
      if (n.input === 'file' && n.path === '') {
        throw new Error('position.nmea.path: expected the NMEA log to read (position.nmea.input is "file"), received ""');
      }
      return NmeaPositionSource.open({
        input:
          n.input === 'file'
            ? { type: 'file', path: n.path }
            : n.input === 'serial'
              ? serialInput(n.serial, 'position.nmea.serial')
              : { type: 'udp', host: n.host, port: n.port },
        // A log is read whole at start: keep all of it, however long.
        track: n.input === 'file' ? { ...trackOptions(position), retentionMs: Infinity, maxSamples: 10_000_000 } : trackOptions(position),
        waitForSampleMs: n.input === 'file' ? 0 : position.track.waitForSampleMs,
        linkTimeoutMs: n.linkTimeoutMs,
        logger,
      });
    }
    case 'mavlink': {
      const m = position.mavlink;
      if (m.input === 'tlog' && m.path === '') {
        throw new Error('position.mavlink.path: expected the .tlog to read (position.mavlink.input is "tlog"), received ""');
      }
      const tlog = m.input === 'tlog';
      return MavlinkPositionSource.open({
        input: tlog
          ? { type: 'tlog', path: m.path }
          : m.input === 'serial'
            ? serialInput(m.serial, 'position.mavlink.serial')
            : { type: 'udp', host: m.host, port: m.port },
        // A log is read whole at start: keep all of it, however long.
        track: tlog ? { ...trackOptions(position), retentionMs: Infinity, maxSamples: 10_000_000 } : trackOptions(position),
        waitForSampleMs: tlog ? 0 : position.track.waitForSampleMs,
        linkTimeoutMs: m.linkTimeoutMs,
        systemId: m.systemId,
        componentId: m.componentId,
        logger,
      });
    }
    case 'gpsd':
      return GpsdPositionSource.open({
        host: position.gpsd.host,
        port: position.gpsd.port,
        track: trackOptions(position),
        waitForSampleMs: position.track.waitForSampleMs,
        reconnectMinMs: position.gpsd.reconnectMinMs,
        reconnectMaxMs: Math.max(position.gpsd.reconnectMinMs, position.gpsd.reconnectMaxMs),
        logger,
      });
  }
}

/** The camera as the footprint needs it; `crop` comes from the model card (what the classifier actually sees). */
export function cameraGeometry(position: Config['position'], crop: CameraGeometry['crop']): CameraGeometry {
  const c = position.camera;
  const published = CAMERA_MODULE_FOV[c.module];
  return {
    hfovDeg: c.hfovDeg > 0 ? c.hfovDeg : published.hfovDeg,
    vfovDeg: c.vfovDeg > 0 ? c.vfovDeg : published.vfovDeg,
    mount: { rollDeg: c.mountRollDeg, pitchDeg: c.mountPitchDeg, yawDeg: c.mountYawDeg },
    crop,
    groundElevationMslM: c.groundElevationMslM,
  };
}
