// The page's class-map layer: a flight's footprints clipped exactly against square UTM cells by the ground station's
// own class-map code (the numbers `fieldeye ground classmap` writes), each cell with its majority top-1 class and share.
import { CellAccumulator, type ClassMapCell } from '../geo/class-map-cells.js';
import { utmZoneOf, type UtmZone } from '../geo/utm.js';
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
  /** A live map's revision: given back as ?since=, the next answer holds only the cells changed after it. */
  revision?: string;
  /** False when `cells` are only the changes since the revision asked for; true or absent: every cell. */
  full?: boolean;
}

/** The results that can be counted: a footprint to clip and a top-1 class. */
export function withFootprints(results: Iterable<ResultView>): ResultView[] {
  return [...results].filter((r) => r.footprint !== null && r.top[0] !== undefined);
}

/** A lon/lat bounding box: [minLon, maxLon, minLat, maxLat]. */
export type LonLatBox = [number, number, number, number];

export const NO_BOX: LonLatBox = [Infinity, -Infinity, Infinity, -Infinity];

/** `box` grown to hold these results' footprints. */
export function extendBox(box: LonLatBox, results: readonly ResultView[]): LonLatBox {
  let [minLon, maxLon, minLat, maxLat] = box;
  for (const r of results) {
    for (const [lon, lat] of r.footprint?.coordinates[0] ?? []) {
      [minLon, maxLon, minLat, maxLat] = [Math.min(minLon, lon), Math.max(maxLon, lon), Math.min(minLat, lat), Math.max(maxLat, lat)];
    }
  }
  return [minLon, maxLon, minLat, maxLat];
}

/** The UTM zone of the box's centre: the cells are square in it. */
export function boxZone([minLon, maxLon, minLat, maxLat]: LonLatBox): UtmZone {
  return utmZoneOf((minLon + maxLon) / 2, (minLat + maxLat) / 2);
}

/** Counts one counted result into the cells and notes its class's output index (for the colour on the page). */
export function addFootprint(cells: CellAccumulator, indexOf: Map<string, number>, r: ResultView): void {
  const top = r.top[0] as ResultView['top'][number];
  if (!indexOf.has(top.label)) indexOf.set(top.label, top.index);
  cells.add(r.footprint?.coordinates[0] ?? [], top.label, top.score);
}

/** The cells as the page draws them. */
export function cellViews(cells: readonly ClassMapCell[], indexOf: ReadonlyMap<string, number>): ClassMapCellView[] {
  return cells.map((c) => ({
    row: c.row,
    col: c.col,
    label: c.majorityLabel,
    index: indexOf.get(c.majorityLabel) ?? -1,
    share: c.majorityShare,
    footprints: c.footprints,
    coveredM2: c.coveredM2,
    shares: c.shares,
    ring: (c.polygon.coordinates as Array<Array<readonly [number, number]>>)[0]?.map(([lon, lat]) => [lat, lon] as [number, number]) ?? [],
  }));
}

/** The class map of these results (one flight's), in cells of `cellM` metres of the UTM zone of their centre. */
export function classMapView(droneId: string, flightId: string | null, results: Iterable<ResultView>, cellM: number): ClassMapView {
  const counted = withFootprints(results);
  const empty: ClassMapView = { droneId, flightId, cellM, epsg: null, footprints: 0, cells: [] };
  if (counted.length === 0) return empty;
  const zone = boxZone(extendBox(NO_BOX, counted));
  const cells = new CellAccumulator(zone, cellM);
  const indexOf = new Map<string, number>();
  for (const r of counted) addFootprint(cells, indexOf, r);
  return { ...empty, epsg: zone.epsg, footprints: counted.length, cells: cellViews(cells.cells(), indexOf) };
}
