// A frame's position as results carry it, defined once as a zod schema: the geo stages produce it, the result payload embeds it.
import { z } from 'zod';

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

export type Position = z.infer<typeof PositionSchema>;
export type GeoJsonPolygon = z.infer<typeof GeoJsonPolygonSchema>;
