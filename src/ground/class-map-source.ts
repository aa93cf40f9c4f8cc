// Where the class map's footprints come from: the station's GeoPackage (clipped in TypeScript) or its PostGIS
// (clipped in SQL); both answer the same two questions, so the command and the tests treat them alike.
import type { ClassMapCell } from '../geo/class-map-cells.js';
import type { ClassMapSelection } from './class-map-options.js';
import type { UtmZone } from '../geo/utm.js';

/** How many footprints the selection holds and their lon/lat bounds (null bounds when there are none). */
export interface SelectionExtent {
  footprints: number;
  bounds: { minLon: number; maxLon: number; minLat: number; maxLat: number } | null;
}

export interface ClassMapSource {
  /** For logs and messages: the file path or the redacted database URL. */
  readonly description: string;
  extent(selection: ClassMapSelection): Promise<SelectionExtent>;
  /** The map's cells (those some footprint covers), by row then column, in batches. */
  cells(selection: ClassMapSelection, zone: UtmZone, cellM: number): AsyncIterable<ClassMapCell[]>;
  close(): Promise<void>;
}

/** Cells handed to the writer at a time (PostGIS cursor fetches, GeoPackage chunks). */
export const CELL_BATCH = 2000;

/** The extent's centre, which picks the UTM zone (fields across the antimeridian are not handled). */
export function centreOf(bounds: NonNullable<SelectionExtent['bounds']>): { lon: number; lat: number } {
  return { lon: (bounds.minLon + bounds.maxLon) / 2, lat: (bounds.minLat + bounds.maxLat) / 2 };
}
