// The page's class-map layer: a flight's footprints clipped exactly against square UTM cells by the ground station's
// own class-map code (the numbers `fieldeye ground classmap` writes), each cell with its majority top-1 class and share.
import { CellAccumulator } from '../geo/class-map-cells.js';
import { utmZoneOf } from '../geo/utm.js';
import type { ResultView } from './dashboard-types.js';

/** Cell sizes the route accepts, metres: below a metre a footprint is thousands of cells, above a kilometre one cell. */
export const CLASS_MAP_CELL_M = { min: 1, max: 1000, default: 10 } as const;

export interface ClassMapCellView {
  row: number;
  col: number;
  label: string;
  /** The class's model output index (from the results), for its colour on the page. */
  index: number;
  /** Share of the cell's imaged area the majority class covers, 0..1. */
  share: number;
  /** Footprints that reach into the cell. */
  footprints: number;
  coveredM2: number;
  /** Every class seen in the cell and its share, by label. */
  shares: Array<[string, number]>;
  /** The cell's corners as [lat, lon] (Leaflet's order), closed. */
  ring: Array<[number, number]>;
}

export interface ClassMapView {
  droneId: string;
  flightId: string | null;
  cellM: number;
  /** The UTM zone the cells are square in. */
  epsg: number | null;
  /** Results with a footprint (the others have no area to count). */
  footprints: number;
  cells: ClassMapCellView[];
}

/** The class map of these results (one flight's), in cells of `cellM` metres of the UTM zone of their centre. */
export function classMapView(droneId: string, flightId: string | null, results: Iterable<ResultView>, cellM: number): ClassMapView {
  const withFootprint = [...results].filter((r) => r.footprint !== null && r.top[0] !== undefined);
  const empty: ClassMapView = { droneId, flightId, cellM, epsg: null, footprints: 0, cells: [] };
  if (withFootprint.length === 0) return empty;
  let [minLon, maxLon, minLat, maxLat] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const r of withFootprint) {
    for (const [lon, lat] of r.footprint?.coordinates[0] ?? []) {
      [minLon, maxLon, minLat, maxLat] = [Math.min(minLon, lon), Math.max(maxLon, lon), Math.min(minLat, lat), Math.max(maxLat, lat)];
    }
  }
  const zone = utmZoneOf((minLon + maxLon) / 2, (minLat + maxLat) / 2);
  const cells = new CellAccumulator(zone, cellM);
  const indexOf = new Map<string, number>();
  for (const r of withFootprint) {
    const top = r.top[0] as ResultView['top'][number];
    if (!indexOf.has(top.label)) indexOf.set(top.label, top.index);
    cells.add(r.footprint?.coordinates[0] ?? [], top.label, top.score);
  }
  return {
    ...empty,
    epsg: zone.epsg,
    footprints: withFootprint.length,
    cells: cells.cells().map((c) => ({
      row: c.row,
      col: c.col,
      label: c.majorityLabel,
      index: indexOf.get(c.majorityLabel) ?? -1,
      share: c.majorityShare,
      footprints: c.footprints,
      coveredM2: c.coveredM2,
      shares: c.shares,
      ring: (c.polygon.coordinates as Array<Array<readonly [number, number]>>)[0]?.map(([lon, lat]) => [lat, lon] as [number, number]) ?? [],
    })),
  };
}
