// The result payload: one per frame, validated with this zod schema before it leaves the drone and
// exported so the dashboard and users' code validate with the same definition.
import { z } from 'zod';

export const RESULT_SCHEMA_VERSION = 1;

export const TopClassSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  label: z.string(),
  score: z.number().min(0).max(1),
});

export const PositionSchema = z.strictObject({
  latDeg: z.number().min(-90).max(90),
  lonDeg: z.number().min(-180).max(180),
  altMslM: z.number().nullable(),
  altAglM: z.number().nullable(),
  source: z.enum(['exif', 'gpsd', 'mavlink', 'nmea', 'fixed', 'recording']),
  fixType: z.number().int().min(0).max(3).nullable(),
  hdop: z.number().nonnegative().nullable(),
  satellites: z.number().int().nonnegative().nullable(),
  sampleAgeMs: z.number().nonnegative(),
  /** Course over ground, degrees clockwise from true north; null when the source does not report it. */
  courseDeg: z.number().min(0).max(360).nullable(),
  /** Vehicle attitude at capture time, degrees; yaw clockwise from true north; null when the source has none. */
  attitude: z
    .strictObject({
      rollDeg: z.number().min(-180).max(180),
      pitchDeg: z.number().min(-180).max(180),
      yawDeg: z.number().min(0).max(360),
    })
    .nullable(),
  /**
   * Camera gimbal attitude at capture time in the earth frame, degrees (pitch -90 looks straight down, yaw clockwise
   * from true north), when the source reports a fresh one (MAVLink GIMBAL_DEVICE_ATTITUDE_STATUS); it replaces the
   * configured mount angles for the footprint. Absent: the mount angles were used.
   */
  gimbal: z
    .strictObject({
      rollDeg: z.number().min(-180).max(180),
      pitchDeg: z.number().min(-90).max(90),
      yawDeg: z.number().min(0).max(360),
    })
    .nullable()
    .optional(),
});

const LonLatSchema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);

/** GeoJSON Polygon (RFC 7946): one exterior ring of [lon, lat], counter-clockwise, closed. */
export const GeoJsonPolygonSchema = z.strictObject({
  type: z.literal('Polygon'),
  coordinates: z.array(z.array(LonLatSchema).min(4)).min(1),
});

export const ResultSchema = z.strictObject({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  droneId: z.string().min(1),
  flightId: z.string().min(1),
  /** Per-flight sequence number: contiguous from 0, lets subscribers dedupe and order. */
  seq: z.number().int().nonnegative(),
  /** Capture time, ISO 8601 UTC with milliseconds. */
  capturedAt: z.iso.datetime(),
  timeSource: z.enum(['exif', 'file-mtime', 'sensor', 'arrival', 'recording']),
  /**
   * The clock capturedAt is on. source: system = this computer's clock; gps = this computer's stamp moved onto GPS
   * time by the measured offset (clock.reference: gps); frame = the frame's own time (EXIF, file, recording).
   * synchronised: whether this computer's clock was synchronised (NTP, chrony) at start, null = cannot tell.
   * systemMinusGpsMs: this computer's clock minus GPS time as measured live from the position source, null without.
   * Always sent; optional so results from earlier versions still validate.
   */
  clock: z
    .strictObject({
      source: z.enum(['system', 'gps', 'frame']),
      synchronised: z.boolean().nullable(),
      systemMinusGpsMs: z.number().nullable(),
    })
    .optional(),
  frame: z.strictObject({ name: z.string() }),
  position: PositionSchema.nullable(),
  /** Why position is null; null when there is a position. */
  positionReason: z.string().nullable(),
  /** Where the image centre meets flat ground; null when it cannot be known (see footprintReason). */
  target: z.strictObject({ latDeg: z.number().min(-90).max(90), lonDeg: z.number().min(-180).max(180) }).nullable(),
  /** The model's crop on flat ground; null when it cannot be known (see footprintReason). */
  footprint: GeoJsonPolygonSchema.nullable(),
  /** Why target or footprint is null; null when both are there. */
  footprintReason: z.string().nullable(),
  top: z.array(TopClassSchema).min(1),
  model: z.strictObject({
    name: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    precision: z.enum(['fp32', 'int8']),
  }),
  /** Per-stage times for this frame; excluded when comparing result sets. */
  timingsMs: z.strictObject({
    decode: z.number().nonnegative(),
    preprocess: z.number().nonnegative(),
    inference: z.number().nonnegative(),
    total: z.number().nonnegative(),
  }),
});

export type TopClass = z.infer<typeof TopClassSchema>;
export type ResultPosition = z.infer<typeof PositionSchema>;
export type GeoJsonPolygon = z.infer<typeof GeoJsonPolygonSchema>;
export type Result = z.infer<typeof ResultSchema>;
