// The flight recording on disk (format version 1): file names and the zod schemas of flight.json and of each JSON-lines record.
// docs/recording-format.md is the human description; keep the two in step and bump the version on a breaking change.
import { z } from 'zod';
import { FlightSchema } from '../publish/flight-schema.js';

export const RECORDING_FORMAT = 'fieldeye-flight';
export const RECORDING_FORMAT_VERSION = 1;

export const FLIGHT_FILES = {
  manifest: 'flight.json',
  framesDir: 'frames',
  frames: 'frames.jsonl',
  telemetry: 'telemetry.jsonl',
  results: 'results.jsonl',
} as const;

const epochMs = z.number().finite();
const nullableNumber = z.number().finite().nullable();

export const CameraInfoSchema = z.strictObject({
  /** Free text: "camera-module-3", "DJI FC300S", "video 1920x1080". */
  description: z.string(),
  /** Full-frame field of view, degrees; null when the source does not say. */
  hfovDeg: nullableNumber,
  vfovDeg: nullableNumber,
  /** Mount relative to the airframe (pitch -90 = nadir); null when unknown (imports use the gimbal samples instead). */
  mountPitchDeg: nullableNumber,
});

export const NoFixPeriodSchema = z.strictObject({
  fromMs: epochMs,
  toMs: epochMs,
  /** Telemetry samples in the period that carried no usable position. */
  samples: z.number().int().nonnegative(),
  /** What the source said: "GPS(N/A,N/A)", "lat/lon 0,0 before lock", "receiver reported no fix". */
  why: z.string(),
});

export const FlightManifestSchema = z.strictObject({
  format: z.literal(RECORDING_FORMAT),
  formatVersion: z.literal(RECORDING_FORMAT_VERSION),
  droneId: z.string().min(1),
  flightId: z.string().min(1),
  /** When the flight (or the import) started, ISO 8601 UTC. */
  startedAt: z.iso.datetime(),
  /** What made the folder. */
  origin: z.enum(['run', 'import-images', 'import-video', 'simulate']),
  camera: CameraInfoSchema,
  /** The model that produced results.jsonl (the flight document's model card summary); null when there are no results. */
  model: FlightSchema.shape.model.nullable(),
  /** sha256 of the effective configuration of the run; null for imports. */
  configSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  software: z.strictObject({ name: z.literal('fieldeye'), version: z.string() }),
  /** Periods when telemetry had no usable position, found at record or import time (reported, never guessed). */
  noFixPeriods: z.array(NoFixPeriodSchema),
  /** Anything a human should know: skipped input lines, time-zone assumptions. */
  notes: z.array(z.string()),
  /** Written when the folder is closed; null means the writer never closed it (crash, power loss). */
  end: z
    .strictObject({
      endedAt: z.iso.datetime(),
      frames: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      /**
       * Why recording ended: the source ran out, the size limit was reached, the run was stopped, or the vehicle armed
       * or disarmed and the next flight went on in its own folder.
       */
      reason: z.enum(['source-ended', 'size-limit', 'stopped', 'next-flight']),
    })
    .nullable(),
});

export const FrameRecordSchema = z.strictObject({
  /** Position in this recording, contiguous from 0. */
  seq: z.number().int().nonnegative(),
  /** Capture time, ms since the epoch (exact: replay feeds it back unchanged). */
  capturedAtMs: epochMs,
  timeSource: z.enum(['exif', 'file-mtime', 'sensor', 'arrival', 'recording']),
  /** The frame's name in results (the original file name, or one the importer gave it). */
  name: z.string().min(1),
  /** The encoded image, relative to the flight folder (frames/...). */
  file: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Where the frame came from: the live seq, a photo's path name, a video time, the simulator's true zone... */
  source: z.record(z.string(), z.unknown()),
  /** Present when the file holds raw pixels (a camera's yuv420 stream) instead of an encoded image. */
  raw: z
    .strictObject({
      format: z.literal('i420'),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      stride: z.number().int().positive(),
    })
    .optional(),
});

/**
 * What an imported photo says about itself (EXIF GPS, XMP attitude), kept in its frames.jsonl record as
 * `source.geotag`; null when the photo has no GPS position. Replay geotags the frame with it instead of looking the
 * frame's time up in telemetry.jsonl: photos taken within the same second share a time there, and the track keeps one.
 * Inside the free-form `source`, so readers of version 1 without it still read the file (and use the telemetry).
 */
export const FrameGeotagSchema = z
  .strictObject({
    latDeg: z.number().min(-90).max(90),
    lonDeg: z.number().min(-180).max(180),
    altMslM: nullableNumber,
    altAglM: nullableNumber,
    /** Vehicle attitude from the photo's XMP (as its `attitude` telemetry sample); null when it has none. */
    attitude: z.strictObject({ rollDeg: z.number().finite(), pitchDeg: z.number().finite(), yawDeg: z.number().finite() }).nullable(),
  })
  .nullable();

/**
 * The frame's exposure time in microseconds, kept in its frames.jsonl record as `source.exposureUs` when the source
 * knows it (an imported photo's EXIF ExposureTime, the simulator's shutter, a live camera's fixed shutter). Inside the
 * free-form `source`, like the geotag, so version 1 readers without it still read the file; the blur check uses it.
 */
export const FrameExposureUsSchema = z.number().finite().positive();

/** A frame record's exposure, microseconds; null when the recording does not say (or says something unusable). */
export function frameExposureUs(source: Record<string, unknown>): number | null {
  const parsed = FrameExposureUsSchema.safeParse(source['exposureUs']);
  return parsed.success ? parsed.data : null;
}

const sampleBase = {
  timeMs: epochMs,
  /** Which telemetry source produced the sample: nmea, gpsd, mavlink, exif, xmp, srt, simulator... */
  source: z.string().min(1),
};

/** A position sample, the same shape the Track takes; `fix: null` records "no fix at this time". */
export const FixRecordSchema = z.strictObject({
  kind: z.literal('fix'),
  ...sampleBase,
  fix: z
    .strictObject({
      latDeg: z.number().min(-90).max(90),
      lonDeg: z.number().min(-180).max(180),
      altMslM: nullableNumber,
      altAglM: nullableNumber,
    })
    .nullable(),
  fixType: z.number().int().min(0).max(3),
  hdop: nullableNumber,
  satellites: z.number().int().nonnegative().nullable(),
  courseDeg: nullableNumber,
  speedMps: nullableNumber,
});

const anglesRecord = {
  ...sampleBase,
  rollDeg: z.number().finite(),
  pitchDeg: z.number().finite(),
  yawDeg: z.number().finite(),
};

/** Vehicle attitude (yaw clockwise from true north). */
export const AttitudeRecordSchema = z.strictObject({ kind: z.literal('attitude'), ...anglesRecord });
/** Camera gimbal angles in the earth frame (DJI's convention: pitch -90 = nadir). Kept for analysis; replay does not use them yet. */
export const GimbalRecordSchema = z.strictObject({ kind: z.literal('gimbal'), ...anglesRecord });

export const TelemetryRecordSchema = z.discriminatedUnion('kind', [FixRecordSchema, AttitudeRecordSchema, GimbalRecordSchema]);

export type FlightManifest = z.infer<typeof FlightManifestSchema>;
export type FrameRecord = z.infer<typeof FrameRecordSchema>;
export type FixRecord = z.infer<typeof FixRecordSchema>;
export type TelemetryRecord = z.infer<typeof TelemetryRecordSchema>;
export type NoFixPeriod = z.infer<typeof NoFixPeriodSchema>;
export type FrameGeotag = z.infer<typeof FrameGeotagSchema>;

/**
 * The simulator's zones, in class order: the vocabulary of `source.simulator.zone` (the ground truth of a simulated
 * flight), read by head training and truth scoring.
 */
export const FIELD_ZONES = ['crop-rows', 'weeds', 'bare-soil', 'water', 'stressed-crop'] as const;
export type FieldZone = (typeof FIELD_ZONES)[number];
