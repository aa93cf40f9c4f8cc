// `fieldeye import images`: a folder of geotagged photos becomes a flight folder (frames, EXIF/XMP telemetry), ready to replay.
import { readFile } from 'node:fs/promises';
import { ImagesFrameSource } from '../capture/images-frame-source.js';
import type { Frame } from '../capture/frame-source.js';
import { autoFlightId } from '../platform/flight-id.js';
import type { Logger } from '../platform/logger.js';
import { startProgress } from '../platform/progress.js';
import { FlightWriter } from './flight-writer.js';
import { noFixPeriods } from './no-fix-periods.js';
import { readPhotoMetadata, type PhotoMetadata } from './photo-metadata.js';
import type { FlightManifest, FrameGeotag } from './recording-format.js';

export interface ImportImagesOptions {
  dir: string;
  out: string;
  droneId: string;
  /** Default: the first photo's capture time, as `run` names flights. */
  flightId?: string;
  logger: Logger;
}

interface Photo {
  name: string;
  path: string;
  capturedAtMs: number;
  timeSource: Frame['timeSource'];
  meta: PhotoMetadata;
}

export async function importImages(options: ImportImagesOptions): Promise<FlightManifest> {
  const source = await ImagesFrameSource.open(options.dir, options.logger);
  const photos: Photo[] = [];
  // Reading every photo and its tags is the slow part of an import of hundreds of photos.
  const progress = startProgress('import: reading photos', source.expectedCount);
  for await (const frame of source.frames()) {
    const meta = await readPhotoMetadata(frame.bytes);
    // senseFly cameras keep an unsynchronised local clock in DateTimeOriginal; their XMP UTC time matches the GPS.
    const capturedAtMs = meta.utcTimeMs ?? frame.capturedAtMs;
    photos.push({ name: frame.name, path: frame.path ?? frame.name, capturedAtMs, timeSource: frame.timeSource, meta });
    progress.tick();
  }
  progress.done();
  photos.sort((a, b) => a.capturedAtMs - b.capturedAtMs);
  const first = photos[0] as Photo;
  const cameras = [...new Set(photos.map((p) => p.meta.camera).filter((c) => c !== null))];
  const writer = await FlightWriter.create(
    options.out,
    {
      droneId: options.droneId,
      flightId: options.flightId ?? autoFlightId(new Date(first.capturedAtMs)),
      startedAt: new Date(first.capturedAtMs).toISOString(),
      origin: 'import-images',
      camera: { description: cameras.join(', ') || 'unknown', hfovDeg: null, vfovDeg: null, mountPitchDeg: null },
      model: null,
      configSha256: null,
    },
    { maxBytes: null, logger: options.logger },
  );
  const states = [];
  for (const p of photos) {
    const { meta } = p;
    const hasFix = meta.latDeg !== null && meta.lonDeg !== null;
    // The photo's own tags, with the frame: replay geotags it with them, whatever else shares its second (burst shots,
    // fast intervals with whole-second EXIF times) in telemetry.jsonl.
    const geotag: FrameGeotag = hasFix
      ? { latDeg: meta.latDeg as number, lonDeg: meta.lonDeg as number, altMslM: meta.altMslM, altAglM: meta.altAglM, attitude: meta.attitude }
      : null;
    writer.writeFrame({
      capturedAtMs: p.capturedAtMs,
      timeSource: p.timeSource,
      name: p.name,
      bytes: await readFile(p.path),
      source: { photo: p.name, camera: meta.camera, altAglTag: meta.altAglTag, geotag, ...(meta.exposureUs !== null ? { exposureUs: meta.exposureUs } : {}) },
    });
    writer.writeTelemetry({
      kind: 'fix',
      source: 'exif',
      timeMs: p.capturedAtMs,
      fix: hasFix ? { latDeg: meta.latDeg as number, lonDeg: meta.lonDeg as number, altMslM: meta.altMslM, altAglM: meta.altAglM } : null,
      // A photo's geotag carries no fix type; cameras write coordinates only with a fix.
      fixType: hasFix ? 3 : 0,
      hdop: null,
      satellites: null,
      courseDeg: null,
      speedMps: null,
    });
    if (meta.attitude) writer.writeTelemetry({ kind: 'attitude', source: 'xmp', timeMs: p.capturedAtMs, ...meta.attitude });
    if (meta.gimbal) writer.writeTelemetry({ kind: 'gimbal', source: 'xmp', timeMs: p.capturedAtMs, ...meta.gimbal });
    states.push({ timeMs: p.capturedAtMs, noFixWhy: hasFix ? null : 'photo has no EXIF GPS position' });
  }
  writer.addNoFixPeriods(noFixPeriods(states));
  return writer.close('source-ended');
}
