// Reads what a drone photo says about where it was taken: EXIF GPS, height above ground and angles from DJI and senseFly XMP.
import { readFile } from 'node:fs/promises';
import exifr from 'exifr';
import type { Attitude } from '../geo/attitude.js';

export interface PhotoMetadata {
  latDeg: number | null;
  lonDeg: number | null;
  altMslM: number | null;
  /** Height above the take-off point or ground, and which tag gave it. */
  altAglM: number | null;
  altAglTag: 'drone-dji:RelativeAltitude' | 'sensefly:Height' | null;
  /** Vehicle attitude: DJI Flight*Degree, senseFly Heading/PitchAngle/RollAngle. */
  attitude: Attitude | null;
  /** DJI gimbal angles (earth frame, pitch -90 = nadir). */
  gimbal: Attitude | null;
  /** senseFly's own UTC time tag: its cameras' DateTimeOriginal is the camera's unsynchronised local clock. */
  utcTimeMs: number | null;
  camera: string | null;
  /** EXIF ExposureTime in microseconds; null when the photo does not say. */
  exposureUs: number | null;
}

type Block = Record<string, unknown> | undefined;

function num(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function angles(block: Block, roll: string, pitch: string, yaw: string): Attitude | null {
  const r = num(block?.[roll]);
  const p = num(block?.[pitch]);
  const y = num(block?.[yaw]);
  return r === null || p === null || y === null ? null : { rollDeg: r, pitchDeg: p, yawDeg: y };
}

export async function readPhotoMetadata(image: Buffer | string): Promise<PhotoMetadata> {
  let tags: Record<string, Block>;
  try {
    // Per-namespace output: DJI, senseFly and Parrot reuse names (Yaw, Height) with different meanings.
    // Whole file for a path (XMP may sit after the EXIF segment), read by us: exifr leaks the descriptor when it throws.
    const bytes = typeof image === 'string' ? await readFile(image) : image;
    tags = ((await exifr.parse(bytes, { gps: true, xmp: true, ifd0: { pick: ['Make', 'Model'] }, exif: { pick: ['ExposureTime'] }, mergeOutput: false })) ??
      {}) as Record<string, Block>;
  } catch {
    tags = {};
  }
  const gps = tags['gps'];
  const dji = tags['drone-dji'];
  const sensefly = tags['sensefly'];
  const lat = num(gps?.['latitude']);
  const lon = num(gps?.['longitude']);
  const alt = num(gps?.['GPSAltitude']);
  // GPSAltitudeRef 1 = below sea level; exifr gives it as a number or a one-byte array.
  const ref = gps?.['GPSAltitudeRef'];
  const below = (typeof ref === 'object' && ref !== null ? (ref as Record<string, unknown>)['0'] : ref) === 1;
  const rel = num(dji?.['RelativeAltitude']);
  const height = num(sensefly?.['Height']);
  const utc = typeof sensefly?.['UTCTime'] === 'string' ? Date.parse(`${sensefly['UTCTime']}Z`) : NaN;
  // EXIF ExposureTime is a rational in seconds (1/1000 -> 0.001); the recording keeps microseconds.
  const exposure = num(tags['exif']?.['ExposureTime']);
  const make = tags['ifd0']?.['Make'];
  const model = tags['ifd0']?.['Model'];
  return {
    latDeg: lat,
    lonDeg: lon,
    altMslM: alt === null ? null : below ? -alt : alt,
    altAglM: rel ?? height,
    altAglTag: rel !== null ? 'drone-dji:RelativeAltitude' : height !== null ? 'sensefly:Height' : null,
    attitude: angles(dji, 'FlightRollDegree', 'FlightPitchDegree', 'FlightYawDegree') ?? angles(sensefly, 'RollAngle', 'PitchAngle', 'Heading'),
    gimbal: angles(dji, 'GimbalRollDegree', 'GimbalPitchDegree', 'GimbalYawDegree'),
    utcTimeMs: Number.isFinite(utc) ? utc : null,
    camera: [make, model].filter((s) => typeof s === 'string').join(' ') || null,
    exposureUs: exposure !== null && exposure > 0 ? Math.round(exposure * 1e7) / 10 : null,
  };
}
