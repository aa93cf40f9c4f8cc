// Reads a photo's capture time from EXIF as UTC milliseconds, preferring tags that carry a time zone.
import exifr from 'exifr';
import { readFileHead } from '../platform/read-file-head.js';

/** JPEG's EXIF segment is at most 64 KiB and comes first; PNG and TIFF keep their tags near the start too. */
const EXIF_HEAD_BYTES = 256 * 1024;

export interface ExifCaptureTime {
  ms: number;
  /** Which tags gave the time; 'local-as-utc' means no zone was recorded and UTC was assumed. */
  basis: 'offset' | 'gps-utc' | 'local-as-utc';
}

const EXIF_DATE = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function parseExifDate(text: unknown, subSec: unknown, offset: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = EXIF_DATE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const frac = typeof subSec === 'string' || typeof subSec === 'number' ? Number(`0.${String(subSec).trim()}`) : 0;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s) + Math.round((Number.isFinite(frac) ? frac : 0) * 1000);
  if (typeof offset === 'string') {
    const om = /^([+-])(\d{2}):(\d{2})$/.exec(offset.trim());
    if (om) ms -= (om[1] === '-' ? -1 : 1) * (Number(om[2]) * 60 + Number(om[3])) * 60_000;
  }
  return ms;
}

function parseGpsUtc(date: unknown, time: unknown): number | null {
  if (typeof date !== 'string' || !Array.isArray(time) || time.length !== 3) return null;
  const dm = /^(\d{4}):(\d{2}):(\d{2})$/.exec(date.trim());
  if (!dm) return null;
  const [h, mi, s] = time.map(Number) as [number, number, number];
  return Date.UTC(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3]), h, mi, 0) + Math.round(s * 1000);
}

/** null when the image has no usable date tags (or no EXIF at all). */
export async function readExifCaptureTime(image: Buffer | string): Promise<ExifCaptureTime | null> {
  let tags: Record<string, unknown> | undefined;
  try {
    // Our own bounded read, never exifr's file access: it leaks the descriptor when parsing fails.
    const bytes = typeof image === 'string' ? await readFileHead(image, EXIF_HEAD_BYTES) : image;
    tags = (await exifr.parse(bytes, {
      pick: ['DateTimeOriginal', 'SubSecTimeOriginal', 'OffsetTimeOriginal', 'GPSDateStamp', 'GPSTimeStamp'],
      reviveValues: false,
    })) as Record<string, unknown> | undefined;
  } catch {
    return null;
  }
  if (!tags) return null;
  const withOffset = typeof tags['OffsetTimeOriginal'] === 'string';
  const local = parseExifDate(tags['DateTimeOriginal'], tags['SubSecTimeOriginal'], tags['OffsetTimeOriginal']);
  if (local !== null && withOffset) return { ms: local, basis: 'offset' };
  const gps = parseGpsUtc(tags['GPSDateStamp'], tags['GPSTimeStamp']);
  if (gps !== null) return { ms: gps, basis: 'gps-utc' };
  return local === null ? null : { ms: local, basis: 'local-as-utc' };
}
