// The live flights' class maps kept up to date as results arrive: each new footprint is clipped once into the drone's
// cells instead of every footprint on every request (18,000 results took ~450 ms and 7.7 MB a request, every 1.5 s per
// open page), and a page that gives back the revision it has gets only the cells changed since.
import { randomBytes } from 'node:crypto';
import { CellAccumulator } from '../geo/class-map-cells.js';
import type { DashboardEvent, ResultView } from './dashboard-types.js';
import type { DashboardState } from './dashboard-state.js';
import { addFootprint, boxZone, cellViews, extendBox, NO_BOX, withFootprints, type ClassMapView, type LonLatBox } from './class-map-view.js';

/** Cell sizes kept per drone; asking for another drops the least recently asked (each is one tally per cell). */
const CELL_SIZES_KEPT = 4;

interface LiveMap {
  /** Unique over every map built in this process: a revision from an earlier build never matches. */
  generation: number;
  flightId: string | null;
  cells: CellAccumulator | null;
  indexOf: Map<string, number>;
  epsg: number | null;
  /** The footprints' bounding box: its centre picks the zone, as classMapView does for the same results. */
  box: LonLatBox;
}

/** Counted results in the map so far: the accumulator's own count. */
const footprintsOf = (map: LiveMap): number => map.cells?.added ?? 0;

export class LiveClassMaps {
  /** droneId -> cellM -> map, in the order last asked. */
  private readonly maps = new Map<string, Map<number, LiveMap>>();
  private generations = 0;
  /** Names this process in every revision: a page left open across a dashboard restart gets the whole map again. */
  private readonly instance = randomBytes(4).toString('hex');
  private readonly unsubscribe: () => void;

  constructor(private readonly state: DashboardState) {
    this.unsubscribe = state.subscribe((event) => this.onEvent(event));
  }

  close(): void {
    this.unsubscribe();
    this.maps.clear();
  }

  /**
   * The drone's live class map in cells of `cellM` metres; with `since` (a revision this map gave), only the cells
   * changed after it. Undefined for a drone the dashboard does not show.
   */
  view(droneId: string, cellM: number, since: string | null): ClassMapView | undefined {
    const live = this.state.flightResults(droneId);
    if (!live) {
      // A drone the state let go of (dashboard.maxDrones) takes its maps with it.
      this.maps.delete(droneId);
      return undefined;
    }
    const byCell = this.maps.get(droneId) ?? new Map<number, LiveMap>();
    this.maps.set(droneId, byCell);
    let map = byCell.get(cellM);
    byCell.delete(cellM);
    if (!map) map = this.build(live.flightId, live.results, cellM);
    byCell.set(cellM, map);
    while (byCell.size > CELL_SIZES_KEPT) byCell.delete(byCell.keys().next().value as number);
    const built = `${this.instance}-${map.generation}`;
    const footprints = footprintsOf(map);
    const revision = `${built}.${footprints}`;
    const [sinceBuilt, sinceCount] = (since ?? '').split('.');
    const count = Number(sinceCount);
    const delta = sinceBuilt === built && /^\d+$/.test(sinceCount ?? '') && count <= footprints;
    const cells = map.cells === null ? [] : delta ? map.cells.cellsTouchedAfter(count) : map.cells.cells();
    const view = { droneId, flightId: map.flightId, cellM, epsg: map.epsg, footprints, revision, full: !delta };
    return { ...view, cells: cellViews(cells, map.indexOf) };
  }

  private build(flightId: string | null, results: Iterable<ResultView>, cellM: number): LiveMap {
    const counted = withFootprints(results);
    const box = extendBox(NO_BOX, counted);
    const map: LiveMap = { generation: ++this.generations, flightId, cells: null, indexOf: new Map(), epsg: null, box };
    if (counted.length === 0) return map;
    const zone = boxZone(box);
    map.cells = new CellAccumulator(zone, cellM);
    map.epsg = zone.epsg;
    for (const r of counted) addFootprint(map.cells, map.indexOf, r);
    return map;
  }

  private onEvent(event: DashboardEvent): void {
    // A new flight, or results dropped from memory: the map is built again from what is kept, when next asked.
    if (event.type === 'flight-reset' || event.type === 'evicted') this.maps.delete(event.droneId);
    if (event.type !== 'result') return;
    const byCell = this.maps.get(event.droneId);
    if (!byCell || withFootprints([event.result]).length === 0) return;
    for (const [cellM, map] of byCell) {
      // The first footprint fixes the zone, and one that moves the box's centre into another zone changes it: either
      // way the map is built again when next asked, so it stays the one classMapView makes of the same results.
      map.box = extendBox(map.box, [event.result]);
      if (map.cells === null || boxZone(map.box).epsg !== map.epsg) {
        byCell.delete(cellM);
        continue;
      }
      addFootprint(map.cells, map.indexOf, event.result);
    }
  }
}
