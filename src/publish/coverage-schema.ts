// The retained `coverage` payload (and `fieldeye coverage --json`): how much of the field the flight's footprints cover,
// where the gaps are, the extra survey lines that would close them, and which frames do not count (no position, blur).
import { z } from 'zod';

export const COVERAGE_SCHEMA_VERSION = 1;
/** At most this many seqs are listed per kind of frame. */
export const COVERAGE_MAX_SEQS = 500;

const LonLatSchema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const RingSchema = z.array(LonLatSchema).min(4);

/** A GeoJSON MultiPolygon (RFC 7946, [lon, lat]); empty coordinates = no gap. */
export const GeoJsonMultiPolygonSchema = z.strictObject({
  type: z.literal('MultiPolygon'),
  coordinates: z.array(z.array(RingSchema).min(1)),
});

export const GeoJsonLineStringSchema = z.strictObject({
  type: z.literal('LineString'),
  coordinates: z.array(LonLatSchema).min(2),
});

/** Frame seqs of one kind: the count is exact, the list holds the first COVERAGE_MAX_SEQS so a long flight keeps the message small. */
const SeqListSchema = z.strictObject({
  count: z.number().int().nonnegative(),
  seqs: z.array(z.number().int().nonnegative()),
});

export const CoverageSchema = z.strictObject({
  schemaVersion: z.literal(COVERAGE_SCHEMA_VERSION),
  droneId: z.string().min(1),
  flightId: z.string().min(1),
  /** When the coverage was computed, ISO 8601 UTC. */
  at: z.iso.datetime(),
  /**
   * What the footprints were measured against: a field boundary file, or (none given) the convex hull of the
   * footprints themselves, which can only show holes inside the surveyed area, never a missed edge of the field.
   */
  boundary: z.strictObject({
    kind: z.enum(['file', 'convex-hull']),
    /** The file's name for kind file; null for the hull. */
    name: z.string().nullable(),
    areaM2: z.number().nonnegative(),
  }),
  /** Area of the boundary inside the union of the footprints. */
  coveredM2: z.number().nonnegative(),
  coveredHa: z.number().nonnegative(),
  /** coveredM2 / boundary area, 0..1; null when the boundary has no area (no footprints and no file). */
  coveredShare: z.number().min(0).max(1).nullable(),
  gaps: z.strictObject({
    /** Gap polygons at least minAreaM2 large (the largest first when there are many; `count` is exact). */
    count: z.number().int().nonnegative(),
    areaM2: z.number().nonnegative(),
    minAreaM2: z.number().nonnegative(),
    /** Pieces below minAreaM2 (slivers between footprints that touch), not counted as gaps. */
    sliversDropped: z.number().int().nonnegative(),
    geometry: GeoJsonMultiPolygonSchema,
  }),
  /** Extra survey lines over the gaps: parallel to the flight's main direction, spaced by the median swath. */
  lines: z.strictObject({
    /** The flight's main direction, degrees clockwise from true north, 0..180 (a line has two ends); null if unknown. */
    headingDeg: z.number().min(0).max(180).nullable(),
    /** Median footprint width across that direction, metres; null without footprints. */
    spacingM: z.number().nonnegative().nullable(),
    totalLengthM: z.number().nonnegative(),
    lines: z.array(GeoJsonLineStringSchema),
  }),
  frames: z.strictObject({
    total: z.number().int().nonnegative(),
    withFootprint: z.number().int().nonnegative(),
    noPosition: SeqListSchema,
    /** Frames with a position but no footprint (no height above ground, camera above the horizon...). */
    noFootprint: SeqListSchema,
    /** Footprints beyond the collector's cap (a very long flight): not in the union. */
    notCounted: z.number().int().nonnegative(),
  }),
  /** Motion blur: ground speed x exposure time larger than the ground sampling distance of the frame. */
  blur: z.strictObject({
    checked: z.number().int().nonnegative(),
    blurred: SeqListSchema,
    /** Frames whose exposure time, ground speed or pixel size is not known. */
    notCheckable: z.number().int().nonnegative(),
    /** Why frames could not be checked, for a human; null when all were. */
    note: z.string().nullable(),
  }),
});

export type Coverage = z.infer<typeof CoverageSchema>;
export type GeoJsonMultiPolygon = z.infer<typeof GeoJsonMultiPolygonSchema>;
export type GeoJsonLineString = z.infer<typeof GeoJsonLineStringSchema>;
