// The result payload: one per frame, validated with this zod schema before it leaves the drone and
// exported so the dashboard and users' code validate with the same definition.
import { z } from 'zod';
import { GeoJsonPolygonSchema, PositionSchema } from '../geo/position-schema.js';
import { TopClassSchema } from '../vision/top-k.js';

// The parts are defined where they are made (top-k in vision, position and footprint in geo) and exported here too,
// so users of the payload import everything from one place.
export { GeoJsonPolygonSchema, PositionSchema, TopClassSchema };
export type { GeoJsonPolygon, Position as ResultPosition } from '../geo/position-schema.js';
export type { TopClass } from '../vision/top-k.js';

export const RESULT_SCHEMA_VERSION = 1;

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

export type Result = z.infer<typeof ResultSchema>;
