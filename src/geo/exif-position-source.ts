// Position source that reads each frame's own EXIF GPS tags (and DJI's XMP relative altitude).
import exifr from 'exifr';
import type { Frame } from '../capture/frame-source.js';
import type { PositionLookup, PositionSource } from './position-source.js';

export class ExifPositionSource implements PositionSource {
  async positionFor(frame: Frame): Promise<PositionLookup> {
    let tags: Record<string, unknown> | undefined;
    try {
      tags = (await exifr.parse(frame.bytes, {
        gps: true,
        xmp: true,
        tiff: false,
        // exifr's pick drops XMP tags (DJI's RelativeAltitude), so read the GPS and XMP blocks whole.
        exif: false,
      })) as Record<string, unknown> | undefined;
    } catch (err) {
      return { position: null, reason: `EXIF unreadable: ${(err as Error).message}` };
    }
    const lat = tags?.['latitude'];
    const lon = tags?.['longitude'];
    if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) {
      return { position: null, reason: 'frame has no EXIF GPS position' };
    }
    const alt = tags?.['GPSAltitude'];
    // GPSAltitudeRef 1 means below sea level.
    const ref = tags?.['GPSAltitudeRef'];
    const below = ref instanceof Uint8Array ? ref[0] === 1 : ref === 1;
    const rel = tags?.['RelativeAltitude'];
    const relNum = typeof rel === 'string' ? Number(rel) : rel;
    const dop = tags?.['GPSDOP'];
    const sats = Number(tags?.['GPSSatellites']);
    return {
      position: {
        latDeg: lat,
        lonDeg: lon,
        altMslM: typeof alt === 'number' ? (below ? -alt : alt) : null,
        altAglM: typeof relNum === 'number' && Number.isFinite(relNum) ? relNum : null,
        source: 'exif',
        fixType: null,
        hdop: typeof dop === 'number' ? dop : null,
        satellites: Number.isInteger(sats) ? sats : null,
        sampleAgeMs: 0,
        courseDeg: null,
        // DJI's XMP has flight and gimbal angles, but no other source here writes them, so they are not read yet.
        attitude: null,
      },
    };
  }

  async close(): Promise<void> {}
}
